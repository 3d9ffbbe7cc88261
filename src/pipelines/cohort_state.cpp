#include "src/pipelines/cohort_state.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/atomic_file.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/provenance.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace voxflow::pipelines {
namespace {

json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return nullptr;
  try {
    return json::parse(in);
  } catch (const json::exception&) {
    return nullptr;
  }
}

std::string summary_state(const fs::path& summary) {
  std::ifstream in(summary);
  if (!in) return "";
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("state:", 0) == 0) {
      std::string v = line.substr(6);
      const auto b = v.find_first_not_of(" \t\"'"), e = v.find_last_not_of(" \t\r\"'");
      return b == std::string::npos ? "" : v.substr(b, e - b + 1);
    }
  return "complete";  // a summary without a state (vessel) is written only at the end
}

std::string hostname() {
  char h[256] = {0};
  gethostname(h, sizeof h - 1);
  return h;
}

std::string env(const char* k) {
  const char* v = std::getenv(k);
  return v ? v : "";
}

void write_task(const fs::path& dir, const json& j) {
  io::write_text_atomic(cohort_record_path(dir.string(), ".json"), j.dump(2) + "\n");
}

}  // namespace

std::string cohort_record_path(const std::string& out_dir, const std::string& ext) {
  const fs::path d = fs::path(out_dir).lexically_normal();
  const fs::path dir = d.filename().empty() ? d.parent_path() : d;
  return (dir.parent_path() / ".cohort" / (dir.filename().string() + ext)).string();
}

const char* cohort_state_name(CohortState s) {
  switch (s) {
    case CohortState::Pending: return "pending";
    case CohortState::Running: return "running";
    case CohortState::Done: return "done";
    case CohortState::Failed: return "failed";
    case CohortState::Stale: return "stale";
  }
  return "?";
}

std::string last_error_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find("error") != std::string::npos || line.find("Error") != std::string::npos) last = line;
  }
  return last;
}

SubjectStatus cohort_subject_status(const std::string& out_dir, const CohortEntry& e, const std::string& key) {
  SubjectStatus st;
  const fs::path dir(out_dir);
  const json task = read_json(cohort_record_path(out_dir, ".json"));
  const json prov = read_json(dir / kProvenanceFile);
  if (task.is_object()) {
    st.start_utc = task.value("start_utc", "");
    st.end_utc = task.value("end_utc", "");
    st.slurm_job_id = task.value("slurm_job_id", "");
    st.exit_code = task.value("exit_code", 0);
  }
  const std::string task_state = task.is_object() ? task.value("state", "") : "";
  if (task_state == "running") {
    st.state = CohortState::Running;
    st.detail = st.slurm_job_id.empty() ? "pid " + std::to_string(task.value("pid", 0)) : "job " + st.slurm_job_id;
    // a local run (no SLURM) whose process is gone from this host: it was killed
    const int pid = task.value("pid", 0);
    if (st.slurm_job_id.empty() && pid > 0 && task.value("host", "") == hostname() && kill(pid, 0) != 0 && errno == ESRCH) {
      st.state = CohortState::Failed;
      st.error = "the run (pid " + std::to_string(pid) + ") ended without a record (killed?)";
    }
    return st;
  }
  if (task_state == "failed") {
    st.state = CohortState::Failed;
    st.error = task.value("error", "");
    if (task.value("key", "") != key) {
      st.state = CohortState::Stale;
      st.detail = "failed with other inputs/options/version";
    }
    return st;
  }
  const std::string sstate = summary_state(dir / cohort_summary_file(e));
  if (sstate.empty() || !prov.is_object()) return st;  // pending
  const std::string done_key = prov.contains("cohort") ? prov["cohort"].value("key", "") : "";
  if (sstate != "complete") {
    st.state = CohortState::Stale;
    st.detail = "last run " + sstate;
  } else if (done_key != key) {
    st.state = CohortState::Stale;
    st.detail = done_key.empty() ? "not made by voxflow cohort" : "inputs, options or version changed";
  } else {
    st.state = CohortState::Done;
  }
  if (st.start_utc.empty()) st.start_utc = prov.value("start_utc", "");
  if (st.end_utc.empty()) st.end_utc = prov.value("end_utc", "");
  return st;
}

bool cohort_task_begin(const std::string& out_dir, const CohortEntry& e, const std::string& key, bool force) {
  const fs::path dir(out_dir);
  std::error_code ec;
  const fs::path records = fs::path(cohort_record_path(out_dir, ".json")).parent_path();
  fs::create_directories(records, ec);
  if (ec) throw InputError(records.string() + ": cannot create the folder (" + ec.message() + ")");
  const json old = read_json(cohort_record_path(out_dir, ".json"));
  const bool same_key = old.is_object() && old.value("key", "") == key;
  if ((force || !same_key) && fs::exists(dir / "checkpoint.h5")) fs::remove(dir / "checkpoint.h5", ec);
  json j{{"subject", e.subject}, {"command", e.command}, {"key", key}, {"state", "running"},
         {"start_utc", iso8601_utc(epoch_seconds_now())}, {"host", hostname()}, {"pid", static_cast<int>(getpid())},
         {"slurm_job_id", env("SLURM_JOB_ID")}};
  if (same_key && old.contains("first_start_utc")) j["first_start_utc"] = old["first_start_utc"];
  else j["first_start_utc"] = j["start_utc"];
  write_task(dir, j);
  return fs::exists(dir / "checkpoint.h5");
}

void cohort_task_end(const std::string& out_dir, const CohortEntry& e, const std::string& key, int exit_code) {
  const fs::path dir(out_dir);
  json j = read_json(cohort_record_path(out_dir, ".json"));
  if (!j.is_object()) j = json{{"subject", e.subject}, {"command", e.command}, {"key", key}};
  j["key"] = key;
  j["state"] = exit_code == 0 ? "done" : "failed";
  j["exit_code"] = exit_code;
  j["end_utc"] = iso8601_utc(epoch_seconds_now());
  if (exit_code != 0) {
    std::string err = last_error_line(cohort_record_path(out_dir, ".err"));
    if (err.empty()) err = "voxflow " + e.command + " ended with exit code " + std::to_string(exit_code);
    j["error"] = err;
  } else {
    j.erase("error");
  }
  write_task(dir, j);
}

}  // namespace voxflow::pipelines
