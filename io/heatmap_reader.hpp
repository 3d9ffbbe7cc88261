#pragma once
// One entry point for heatmap files (issue 5): picks the format by name, else by content.
#include <string>

#include "io/heatmap.hpp"

namespace voxflow::io {

enum class HeatmapFormat { Json, Csv, Binary, Npy, Nifti, Hdf5 };

/// Format of heatmap `spec` (a path, or "file.h5:dataset" for voxflow HDF5):
///   .json -> Json; .csv / .txt -> Csv; .bin / .raw / .f32 -> Binary; .npy -> Npy;
///   .nii / .nii.gz / .hdr -> Nifti; .h5 / .hdf5 (with or without ":dataset") -> Hdf5;
///   otherwise the content: "\x93NUMPY" -> Npy, HDF5 signature -> Hdf5, a NIfTI header -> Nifti,
///   first non-blank character '{' or '[' -> Json, a digit/sign/'.' -> Csv.
/// Throws InputError for a missing file or a content that matches none.
HeatmapFormat detect_heatmap_format(const std::string& spec);
const char* heatmap_format_name(HeatmapFormat f);

/// Reads heatmap `spec`:
///   Json, Csv, Binary: 2-D maps (io/heatmap_json, heatmap_csv, heatmap_binary);
///   Npy (io/npy_reader): shape (rows, cols) is a 2-D map (row 0 on top), shape (nx, ny, nz) a
///     volume indexed [x, y, z] as voxflow's own .npy maps (write_npy_map), identity affine;
///     other ranks are InputErrors;
///   Nifti: a 3-D volume (nifti_clib via read_nifti_3d, scl_slope applied), with its affine;
///   Hdf5: dataset `name` of a voxflow result file, "file.h5:maps/kb" (read_h5_map on
///     MPI_COMM_SELF: serial, call it on one rank), with the file's grid and the "units" attribute.
///     Without ":dataset" the InputError lists the datasets the file holds.
/// Throws InputError (one line naming the file) for anything the format readers reject.
Heatmap read_heatmap(const std::string& spec);

}  // namespace voxflow::io
