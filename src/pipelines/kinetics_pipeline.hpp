#pragma once
// `voxflow kinetics` as a library call: the extended PROXYL model fitted to every voxel of a 4D
// series (seed T005), distributed over z-slabs, with the shared voxel-map run (balance, progress,
// cancellation, checkpoints) and every output of the command.
#include "src/core/mpi_context.hpp"
#include "src/pipelines/kinetics_options.hpp"
#include "src/pipelines/run_summary.hpp"

namespace voxflow::pipelines {

/// Collective over comm. Reads the series (and mask), fits the voxels selected by the mask and
/// `z`, and writes into options.output_dir:
///   pixel_maps/<name>_map.npy   the original's 9 maps (kb, kd, knt, A0, A1, A2, t0, tmax, r_squared), float64 [x, y, z]
///   pixel_maps/pixel_maps_visualization.png   one panel per map on the panel slice
///   nifti/<name>.nii.gz         every map (status as uint8) on the series' grid and affine
///   kinetics_maps.h5            every map as maps/<name> + configuration, time axis, model (parallel HDF5)
///   slice_statistics.csv        n, mean, std, min, max per slice and map
///   dicom/<name>/               the original's maps as 16-bit DICOM series (unless dicom_export is false)
///   summary.yaml                the common run summary + input, time_axis, checkpoints_written
/// Every input is checked before heavy work: the mask must lie on the series' grid (dims and affine
/// within kGeometryTolMm, src/core/grid.hpp), else InputError naming the difference.
/// Returns the summary (also written). On SIGINT/SIGTERM/SIGUSR1 it writes checkpoint.h5 and the
/// maps finished so far (state cancelled) and throws CancelledError (exit 130) on rank 0, PeerFailure
/// elsewhere; `resume` continues from that checkpoint with bit-identical results on any rank count.
/// Throws InputError / UsageError (exit 2) for bad inputs, InternalError (exit 1) for I/O or MPI faults.
RunSummary run_kinetics(const KineticsOptions& options, const Comm& comm);

}  // namespace voxflow::pipelines
