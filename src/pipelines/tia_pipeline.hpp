#pragma once
// `voxflow tia` as a library call: voxel-wise time-integrated activity maps from N >= 2
// SPECT/PET time points (seeds/002 PyTIA design §3.1, every step of its pipeline) on z-slabs,
// through the shared voxel-map run.
#include <string>

#include "src/core/mpi_context.hpp"
#include "src/pipelines/run_summary.hpp"
#include "src/tia/tia_config.hpp"

namespace voxflow::pipelines {

struct TiaOptions {
  tia::TiaConfig config;     // every key of the YAML configuration (src/pipelines/tia_options.hpp reads it)
  bool progress = true;      // progress bar / lines on rank 0
  std::string command_line;  // recorded in the summary and the HDF5 file
};

/// Collective over comm. Loads the time points (sorted by time), builds the mask (Otsu body
/// mask, a mask file or none), denoises (masked Gaussian), converts Bq/ml to Bq per voxel, fits
/// region mean curves (region mode), spreads the voxels inside the mask over the ranks, fits and
/// bootstraps every voxel, and writes into config.output_dir:
///   <prefix>tia, r2, sigma_tia, tpeak (unless io.write_tpeak is false) .nii.gz as float32,
///   <prefix>model_id, status_id, curve_class .nii.gz as uint8, on the first image's grid and header;
///   <prefix>tia_maps.h5 (the same maps, configuration and times as attributes);
///   <prefix>tia_summary.yaml (the common run summary + time points, physics, mask, model and class
///   legends and counts, regions).
/// Every time point, the mask file and the label map must lie on the first image's grid (dims and
/// affine within kGeometryTolMm), else InputError naming the file and the difference.
/// Returns the summary. On SIGINT/SIGTERM/SIGUSR1 nothing is written and CancelledError (rank 0) /
/// PeerFailure (others) is thrown. Errors: InputError / UsageError (exit 2), InternalError (exit 1).
RunSummary run_tia(const TiaOptions& options, const Comm& comm);

}  // namespace voxflow::pipelines
