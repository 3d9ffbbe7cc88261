#include "src/pipelines/cohort_collect.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "io/atomic_file.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/cohort_state.hpp"

namespace fs = std::filesystem;

namespace voxflow::pipelines {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
  return q + "\"";
}

std::string num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

/// "map=mean;..." over all voxels of slice_statistics.csv (slice,map,n,mean,std,min,max)
std::string map_means(const fs::path& csv) {
  std::ifstream in(csv);
  if (!in) return "";
  std::string line;
  std::getline(in, line);
  std::map<std::string, std::pair<double, double>> acc;  // map -> (sum n*mean, sum n)
  std::vector<std::string> order;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string slice, map, n, mean;
    if (!std::getline(ss, slice, ',') || !std::getline(ss, map, ',') || !std::getline(ss, n, ',') ||
        !std::getline(ss, mean, ','))
      continue;
    const double nn = std::atof(n.c_str()), mm = std::atof(mean.c_str());
    if (!acc.count(map)) order.push_back(map);
    if (nn > 0 && mm == mm) {
      acc[map].first += nn * mm;
      acc[map].second += nn;
    } else {
      acc[map];
    }
  }
  std::string s;
  for (const auto& k : order) {
    if (acc[k].second <= 0) continue;
    s += (s.empty() ? "" : ";") + k + "=" + num(acc[k].first / acc[k].second);
  }
  return s;
}

}  // namespace

std::string cohort_status_text(const CohortManifest& m, const std::string& out_root) {
  std::map<std::string, int> counts;
  std::string s;
  for (const auto& e : m.entries) {
    std::string key;
    SubjectStatus st;
    try {
      key = cohort_key(e);
      st = cohort_subject_status(cohort_output_dir(out_root, e), e, key);
    } catch (const Error& ex) {
      st.state = CohortState::Failed;
      st.error = std::string("voxflow: error: ") + ex.what();
    }
    ++counts[cohort_state_name(st.state)];
    s += e.subject + " " + e.command + " " + cohort_state_name(st.state);
    if (!st.error.empty()) s += ": " + st.error;
    else if (!st.detail.empty()) s += " (" + st.detail + ")";
    s += "\n";
  }
  s += std::to_string(m.entries.size()) + " subjects:";
  for (const char* k : {"done", "running", "failed", "stale", "pending"}) s += std::string(" ") + k + " " + std::to_string(counts[k]);
  return s + "\n";
}

int cohort_collect(const CohortManifest& m, const std::string& out_root) {
  std::string csv =
      "subject,command,status,error,start_utc,end_utc,wall_s,voxels_selected,voxels_per_second,status_counts,map_means,"
      "output_dir\n";
  int rows = 0;
  for (const auto& e : m.entries) {
    const fs::path dir = cohort_output_dir(out_root, e);
    SubjectStatus st;
    try {
      st = cohort_subject_status(dir.string(), e, cohort_key(e));
    } catch (const Error& ex) {
      st.state = CohortState::Failed;
      st.error = std::string("voxflow: error: ") + ex.what();
    }
    std::string wall, selected, vps, counts, means;
    if (st.state == CohortState::Done || st.state == CohortState::Stale) {
      try {
        const YAML::Node y = YAML::LoadFile((dir / cohort_summary_file(e)).string());
        if (y["timing_s"] && y["timing_s"]["total"]) wall = num(y["timing_s"]["total"].as<double>());
        if (y["voxels"]) {
          if (y["voxels"]["selected"]) selected = y["voxels"]["selected"].as<std::string>();
          if (y["voxels"]["voxels_per_second"]) vps = num(y["voxels"]["voxels_per_second"].as<double>());
        }
        if (y["status_counts"] && y["status_counts"].IsMap())
          for (const auto& kv : y["status_counts"])
            counts += (counts.empty() ? "" : ";") + kv.first.as<std::string>() + "=" + kv.second.as<std::string>();
      } catch (const YAML::Exception&) {
        // a summary that cannot be read leaves its columns empty
      }
      means = map_means(dir / "slice_statistics.csv");
    }
    csv += csv_field(e.subject) + "," + csv_field(e.command) + "," + cohort_state_name(st.state) + "," +
           csv_field(st.error) + "," + st.start_utc + "," + st.end_utc + "," + wall + "," + selected + "," + vps + "," +
           csv_field(counts) + "," + csv_field(means) + "," + csv_field(dir.string()) + "\n";
    ++rows;
  }
  std::error_code ec;
  fs::create_directories(out_root, ec);
  io::write_text_atomic((fs::path(out_root) / "cohort.csv").string(), csv);
  return rows;
}

}  // namespace voxflow::pipelines
