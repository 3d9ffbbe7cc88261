#pragma once
// Everything `voxflow tia` writes: the maps as NIfTI on the input grid, one parallel HDF5 file,
// and the summary YAML (configuration snapshot, legends with voxel counts, timings, voxels/s).
#include <map>
#include <string>
#include <vector>

#include "src/core/mpi_context.hpp"
#include "src/tia/region_tia.hpp"
#include "src/tia/tia_config.hpp"
#include "src/tia/tia_maps.hpp"

namespace voxflow::apps {

/// One region of a region-mode run, for the summary.
struct TiaRegionReport {
  int label = 0;
  long long voxels = 0;
  tia::RegionFit fit;
  std::vector<double> mean_tac_bq;  // region mean TAC at the sorted times, Bq per voxel
};

/// What summary.yaml reports besides the configuration.
struct TiaRun {
  tia::TiaConfig config;
  std::vector<std::string> images_sorted;
  std::vector<double> times_sorted_s;
  std::string reference_image;  // header source of the written NIfTI maps
  Grid grid;
  double voxel_volume_ml = 0.0;
  long long voxels_total = 0, voxels_in_mask = 0;
  double otsu_threshold = 0.0;  // NaN unless mask mode otsu
  std::vector<TiaRegionReport> regions;
  std::map<std::string, double> timing_ms;  // per stage
};

/// Collective: writes into config.output_dir (created before) the files
///   <prefix>tia.nii.gz, r2, sigma_tia, tpeak (unless io.write_tpeak is false) as float32,
///   model_id, status_id, curve_class as uint8, on the input grid with the first image's header,
///   <prefix>tia_maps.h5 (the same maps, with the configuration as an attribute), and
///   <prefix>tia_summary.yaml (rank 0). Every file appears atomically.
/// Throws InputError when the folder is not writable, InternalError on I/O failure (all ranks).
void write_tia_outputs(const tia::TiaMaps& maps, TiaRun& run, const Comm& comm);

}  // namespace voxflow::apps
