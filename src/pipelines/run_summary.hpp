#pragma once
// The summary every voxel-map command writes (kinetics: summary.yaml, TIA: tia_summary.yaml) and
// returns: the same keys and units (seconds) everywhere, command-specific sections added after.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "src/core/grid.hpp"
#include "src/core/map_set.hpp"
#include "src/core/mpi_context.hpp"

namespace YAML {
class Node;
}

namespace voxflow::pipelines {

/// What a voxel-map run reports. Common keys of the YAML file:
///   voxflow_version, command, command_line, state (complete | cancelled), output_dir,
///   configuration (the effective options, as `--config` would read them back),
///   grid {dims, spacing_mm, affine, voxel_volume_ml},
///   voxels {total, selected, resumed_from_checkpoint, fitted_this_run, voxels_per_second},
///   status_legend {code: name}, status_counts {name: voxels},
///   parallel {mpi_ranks, kokkos_execution_space, threads_per_rank},
///   timing_s {stage: seconds; always read, fit, write, total}, maps {name: "units - description"}.
struct RunSummary {
  std::string command;            // "kinetics", "tia"
  std::string command_line;
  std::string state = "complete";
  std::string output_dir;
  std::string configuration_yaml;
  Grid grid;
  long long voxels_total = 0;     // voxels of the volume
  long long voxels_selected = 0;  // voxels the maps are computed for (mask, slice)
  long long voxels_resumed = 0;   // finished by an earlier run (checkpoint)
  long long voxels_fitted = 0;    // computed in this run
  std::vector<std::string> status_names;  // code -> name
  std::vector<long long> status_counts;   // per code, all ranks
  std::map<std::string, double> timing_s; // per stage, seconds
  std::vector<MapSpec> maps;
  int mpi_ranks = 1;

  /// voxels computed in this run per second of the fit stage (0 when nothing was timed)
  double voxels_per_second() const;
};

/// Writes `s` and then what `extra` adds (command-specific sections) as YAML to `path`, atomically,
/// on rank 0 (collective only through the error check: a failure throws on every rank).
/// Then writes <s.output_dir>/provenance.json (src/pipelines/provenance.hpp) the same way.
void write_run_summary(const std::string& path, const RunSummary& s, const std::function<void(YAML::Node&)>& extra,
                       const Comm& comm);

}  // namespace voxflow::pipelines
