#pragma once
// `voxflow tia-roi` as a library call: per-label summary of a tia run's maps.
#include <string>
#include <vector>

#include "src/core/mpi_context.hpp"

namespace voxflow::pipelines {

struct TiaRoiOptions {
  std::string maps_dir;             // folder of the tia run's maps
  std::string prefix;               // io.prefix of that run ("" for none)
  std::string labels;               // label map (NIfTI) on the maps' grid; label 0 is ignored
  std::string config;               // the tia run's configuration: its images and times give roi_tacs.csv;
                                    // its io.output_dir, io.prefix, regions.label_map_path are the
                                    // defaults of maps_dir, prefix and labels
  std::vector<std::string> config_overrides;  // "key=value" applied to that configuration
  std::vector<std::string> images;  // or the time points themselves (override the configuration's)
  std::vector<double> times_s;      // their times in seconds
  std::string output_dir;           // default: maps_dir
  bool plot = true;                 // roi_tia.png
};

/// Collective over comm. Writes roi_summary.csv (label, voxels, voxels_ok, fraction_ok,
/// mean_tia_bq_s, total_tia_bq_s, mean_r2, mean_sigma_tia_bq_s), roi_tia.png (mean TIA per label
/// with the mean bootstrap SD) and, when time points are known, roi_tacs.csv (label, time_s,
/// mean_bq_per_ml). Every map and time point must lie on the label map's grid (dims and affine).
/// Returns the number of labels reported. Throws InputError for a missing map, another grid, no
/// label > 0 or labels above 65535; UsageError for images and times of different counts.
int run_tia_roi(const TiaRoiOptions& options, const Comm& comm);

}  // namespace voxflow::pipelines
