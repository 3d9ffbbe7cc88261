#include "src/pipelines/provenance.hpp"

#include <mpi.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <Kokkos_Core.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "io/atomic_file.hpp"
#include "io/file_digest.hpp"
#include "src/core/error.hpp"
#include "voxflow/build_info.hpp"
#include "voxflow/version.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace voxflow::pipelines {
namespace {

// the library is loaded at process start: this is the run's start time
const double g_process_start_s = epoch_seconds_now();

const std::set<std::string>& non_input_keys() {
  static const std::set<std::string> k = {"output", "output_dir", "prefix"};
  return k;
}

void collect_paths(const YAML::Node& n, const std::string& key, std::set<std::string>& out) {
  if (non_input_keys().count(key)) return;
  if (n.IsScalar()) {
    const std::string v = n.as<std::string>();
    std::error_code ec;
    if (!v.empty() && v.size() < 4096 && fs::exists(v, ec)) out.insert(v);
  } else if (n.IsSequence()) {
    for (const auto& e : n) collect_paths(e, key, out);
  } else if (n.IsMap()) {
    for (const auto& kv : n) collect_paths(kv.second, kv.first.as<std::string>(), out);
  }
}

/// YAML -> JSON: maps, lists, and scalars as booleans / integers / numbers where they read as such
json to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    json j = json::object();
    for (const auto& kv : n) j[kv.first.as<std::string>()] = to_json(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    json j = json::array();
    for (const auto& e : n) j.push_back(to_json(e));
    return j;
  }
  if (!n.IsScalar()) return nullptr;
  const std::string s = n.as<std::string>();
  if (n.Tag() == "!") return s;  // quoted in the YAML: a string
  if (s == "true") return true;
  if (s == "false") return false;
  char* end = nullptr;
  const long long i = std::strtoll(s.c_str(), &end, 10);
  if (!s.empty() && end && *end == '\0') return i;
  const double d = std::strtod(s.c_str(), &end);
  if (!s.empty() && end && *end == '\0') return d;
  return s;
}

json generated_by() {
  return json::array({json{{"Name", "voxflow"},
                           {"Version", kVersion},
                           {"Description", "quantitative imaging maps with MPI + Kokkos"},
                           {"Commit", kGitCommit}}});
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

double epoch_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string iso8601_utc(double epoch_s) {
  const std::time_t t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<std::string> configuration_input_paths(const std::string& configuration_yaml) {
  std::set<std::string> out;
  const YAML::Node root = YAML::Load(configuration_yaml);
  collect_paths(root, "", out);
  return {out.begin(), out.end()};
}

std::string provenance_json(const ProvenanceRecord& r) {
  const double end_s = epoch_seconds_now();
  const double start_s = r.wall_s >= 0 ? end_s - r.wall_s : g_process_start_s;
  json j;
  j["GeneratedBy"] = generated_by();
  j["voxflow_version"] = kVersion;
  j["git_commit"] = kGitCommit;
  char mpi_lib[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int len = 0;
  MPI_Get_library_version(mpi_lib, &len);
  std::string mpi_line(mpi_lib, static_cast<size_t>(len));
  if (auto p = mpi_line.find_first_of("\n,"); p != std::string::npos) mpi_line.resize(p);
  j["build"] = {{"type", kBuildType},
                {"compiler", kCxxCompiler},
                {"kokkos_version", kKokkosVersion},
                {"kokkos_backend", Kokkos::DefaultExecutionSpace::name()},
                {"threads_per_rank", Kokkos::DefaultExecutionSpace().concurrency()},
                {"mpi_library", mpi_line},
                {"options", kBuildOptions}};
  j["command"] = r.command;
  j["command_line"] = r.command_line;
  j["state"] = r.state;
  j["output_dir"] = r.output_dir;
  j["effective_options"] = to_json(YAML::Load(r.configuration_yaml));
  json inputs = json::array();
  for (const auto& p : configuration_input_paths(r.configuration_yaml))
    for (const auto& [file, digest] : io::sha256_files(p)) {
      std::error_code ec;
      inputs.push_back({{"path", fs::absolute(file, ec).lexically_normal().string()},
                        {"sha256", digest},
                        {"bytes", static_cast<long long>(fs::file_size(file, ec))}});
    }
  j["inputs"] = inputs;
  j["start_utc"] = iso8601_utc(start_s);
  j["end_utc"] = iso8601_utc(end_s);
  j["wall_s"] = end_s - start_s;
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  j["host"] = host;
  j["mpi_ranks"] = r.mpi_ranks;
  j["slurm_job_id"] = env_or_empty("SLURM_JOB_ID");
  j["slurm_nodelist"] = env_or_empty("SLURM_JOB_NODELIST");
  if (!env_or_empty("VOXFLOW_COHORT_KEY").empty())
    j["cohort"] = {{"subject", env_or_empty("VOXFLOW_COHORT_SUBJECT")}, {"key", env_or_empty("VOXFLOW_COHORT_KEY")}};
  return j.dump(2) + "\n";
}

void write_provenance(const ProvenanceRecord& r, const Comm& comm) {
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    io::write_text_atomic((fs::path(r.output_dir) / (r.file_prefix + kProvenanceFile)).string(), provenance_json(r));
  });
}

std::string dataset_description_json(const std::string& name) {
  json j;
  j["Name"] = name;
  j["BIDSVersion"] = "1.9.0";
  j["DatasetType"] = "derivative";
  j["GeneratedBy"] = generated_by();
  return j.dump(2) + "\n";
}

}  // namespace voxflow::pipelines
