#include "src/pipelines/run_summary.hpp"

#include <filesystem>

#include <yaml-cpp/yaml.h>

#include <Kokkos_Core.hpp>
#include <cmath>

#include "io/atomic_file.hpp"
#include "src/pipelines/provenance.hpp"
#include "voxflow/version.hpp"

namespace voxflow::pipelines {

double RunSummary::voxels_per_second() const {
  const auto it = timing_s.find("fit");
  const double t = it == timing_s.end() ? 0.0 : it->second;
  return t > 0 ? static_cast<double>(voxels_fitted) / t : 0.0;
}

void write_run_summary(const std::string& path, const RunSummary& s, const std::function<void(YAML::Node&)>& extra,
                       const Comm& comm) {
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    YAML::Node y;
    y["voxflow_version"] = kVersion;
    y["command"] = s.command;
    y["command_line"] = s.command_line;
    y["state"] = s.state;
    y["output_dir"] = s.output_dir;
    y["configuration"] = YAML::Load(s.configuration_yaml);
    YAML::Node g;
    g["dims"] = std::vector<long long>{s.grid.nx(), s.grid.ny(), s.grid.nz()};
    if (s.grid.nt > 1) g["time_points"] = static_cast<long long>(s.grid.nt);
    g["spacing_mm"] = std::vector<double>(s.grid.spacing_mm.begin(), s.grid.spacing_mm.end());
    YAML::Node aff;
    for (int r = 0; r < 4; ++r) {
      YAML::Node row;
      row.SetStyle(YAML::EmitterStyle::Flow);
      for (int c = 0; c < 4; ++c) row.push_back(s.grid.affine[r][c]);
      aff.push_back(row);
    }
    g["affine"] = aff;
    g["voxel_volume_ml"] = s.grid.voxel_volume_ml();
    y["grid"] = g;
    YAML::Node v;
    v["total"] = s.voxels_total;
    v["selected"] = s.voxels_selected;
    v["resumed_from_checkpoint"] = s.voxels_resumed;
    v["fitted_this_run"] = s.voxels_fitted;
    v["voxels_per_second"] = s.voxels_per_second();
    y["voxels"] = v;
    YAML::Node legend(YAML::NodeType::Map), counts(YAML::NodeType::Map);
    for (size_t i = 0; i < s.status_names.size(); ++i) {
      legend[static_cast<int>(i)] = s.status_names[i];
      counts[s.status_names[i]] = i < s.status_counts.size() ? s.status_counts[i] : 0LL;
    }
    y["status_legend"] = legend;
    y["status_counts"] = counts;
    YAML::Node par;
    par["mpi_ranks"] = s.mpi_ranks;
    par["kokkos_execution_space"] = Kokkos::DefaultExecutionSpace::name();
    par["threads_per_rank"] = Kokkos::DefaultExecutionSpace().concurrency();
    y["parallel"] = par;
    YAML::Node tm(YAML::NodeType::Map);
    for (const auto& [k, t] : s.timing_s) tm[k] = t;
    y["timing_s"] = tm;
    YAML::Node mp(YAML::NodeType::Map);
    for (const auto& sp : s.maps) mp[sp.name] = sp.units + (sp.units.empty() ? "" : " - ") + sp.description;
    y["maps"] = mp;
    if (extra) extra(y);
    YAML::Emitter e;
    e << y;
    io::write_text_atomic(path, std::string(e.c_str()) + "\n");
  });
  // provenance.json beside the summary (inputs' SHA-256, build, options): `voxflow cohort` reads it
  const auto total = s.timing_s.find("total");
  // a prefixed summary (tia's io.prefix: several runs share a folder) gets a prefixed record
  std::string prefix;
  const std::string base = std::filesystem::path(path).filename().string();
  for (const std::string suffix : {"tia_summary.yaml", "summary.yaml"})
    if (base.size() >= suffix.size() && base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0) {
      prefix = base.substr(0, base.size() - suffix.size());
      break;
    }
  write_provenance({s.command, s.command_line, s.configuration_yaml, s.output_dir, s.state, s.mpi_ranks,
                    total == s.timing_s.end() ? -1.0 : total->second, prefix},
                   comm);
}

}  // namespace voxflow::pipelines
