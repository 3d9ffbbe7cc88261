#pragma once
// Everything `voxflow kinetics` writes: maps as .npy / NIfTI / HDF5 / DICOM, the panel PNG, the
// per-slice CSV, summary.yaml, and its checkpoint.
#include <chrono>
#include <map>
#include <string>

#include "io/dicom_reader.hpp"
#include "io/image_info.hpp"
#include "src/core/mpi_context.hpp"
#include "src/kinetics/pixel_maps.hpp"
#include "src/kinetics/time_axis.hpp"

namespace voxflow::apps {

/// The settings and bookkeeping of one kinetics run (what summary.yaml reports).
struct KineticsRun {
  std::string input, out_dir, mask_path, fingerprint;
  io::ImageInfo info;
  io::DicomReadOptions dicom_opts;
  kinetics::TimeAxis axis;
  int window = 0, z_only = -1, injection_index = 0, panel_slice = 0;
  double checkpoint_interval_s = 60;
  bool resume = false, dicom_export = true, cancelled = false;
  long long voxels_total = 0, voxels_resumed = 0, voxels_fitted = 0, checkpoints = 0;
  std::map<std::string, double> timing;  // seconds per stage
};

/// Collective: save every map and the done flags of `maps` to `path` (see io/checkpoint.hpp).
void write_kinetics_checkpoint(const std::string& path, const kinetics::PixelMaps& maps, const KineticsRun& run,
                               const Comm& comm);

/// Collective: write all outputs of the run into run.out_dir:
///   pixel_maps/<name>_map.npy   the original's 9 maps, float64 [x, y, z]
///   pixel_maps/pixel_maps_visualization.png   one panel per map on run.panel_slice
///   nifti/<name>.nii.gz         every map (status as uint8) on the input's grid and affine
///   kinetics_maps.h5            every map + attributes (parallel HDF5)
///   slice_statistics.csv        n, mean, std, min, max per slice and map
///   dicom/<name>/               the original's maps as 16-bit DICOM series (unless disabled)
///   summary.yaml                inputs, options, time axis, status counts, timings, voxels/s
void write_kinetics_outputs(const kinetics::PixelMaps& maps, KineticsRun& run, const Comm& comm,
                            std::chrono::steady_clock::time_point t_start);

}  // namespace voxflow::apps
