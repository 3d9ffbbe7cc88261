#pragma once
// Display slices of a 3-D volume (issue 5 `voxflow overlay --slice/--axis`): which voxels make
// up an axial, coronal or sagittal picture and which way up it is shown. No I/O here.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/grid.hpp"

namespace voxflow::viz {

enum class SliceAxis { Axial, Coronal, Sagittal };

/// "axial", "coronal" or "sagittal" (case-insensitive). Throws InputError listing the valid names.
SliceAxis parse_slice_axis(const std::string& name);
std::string slice_axis_name(SliceAxis axis);

/// How display pixel (u, v) (u = column from the left, v = row from the top) of slice k maps to a
/// voxel (i, j, k) of a volume with dims {nx, ny, nz} (x fastest).
/// Orientation (radiological convention, as DICOM viewers show images): each voxel axis is given
/// the world axis (RAS+, from the affine's 3x3 part) it is most nearly parallel to, and
///   axial    (slice across S): patient's right on the picture's left, anterior at the top;
///   coronal  (slice across A): patient's right on the left, superior at the top;
///   sagittal (slice across R): anterior on the left, superior at the top.
/// A DICOM axial series (ImageOrientationPatient 1,0,0,0,1,0) is therefore shown as stored
/// (column = x to the right, row = y downwards). When two voxel axes point along the same world
/// axis (degenerate affine) the voxel axes are used as they are: x -> R, y -> A, z -> S.
struct SliceGeometry {
  int slice_axis = 2;              // voxel axis (0 = x, 1 = y, 2 = z) across which the slice is cut
  int column_axis = 0, row_axis = 1;  // voxel axes along the picture's columns and rows
  bool flip_columns = false;       // true: u -> voxel index n - 1 - u along column_axis
  bool flip_rows = false;          // true: v -> voxel index n - 1 - v along row_axis
  std::int64_t n_slices = 1;       // voxels along slice_axis (valid slice indices 0..n_slices-1)
  int width = 0, height = 0;       // picture size: voxels along column_axis, row_axis
};

/// Geometry of `axis` slices of a volume of `dims` with `affine` (voxel -> RAS mm).
/// Throws InputError for dims < 1 or a picture side beyond 32767.
SliceGeometry slice_geometry(const std::array<std::int64_t, 3>& dims, const Affine& affine, SliceAxis axis);

/// Slice k (voxel index along slice_axis, 0-based) of `volume` (dims[0]*dims[1]*dims[2] values,
/// x fastest) as width * height values, row-major, row 0 at the top.
/// Throws InputError when k is outside [0, n_slices) (naming the axis and range) or the volume
/// has the wrong size.
std::vector<float> extract_slice(const std::vector<float>& volume, const std::array<std::int64_t, 3>& dims,
                                 const SliceGeometry& g, std::int64_t k);

/// n slice indices spread evenly over [0, n_slices): k_i = floor((i + 0.5) * n_slices / n),
/// i = 0..n-1 (9 of 90 slices: 5, 15, ..., 85). Throws InputError for n < 1 or n > n_slices.
std::vector<std::int64_t> evenly_spaced_slices(int n, std::int64_t n_slices);

}  // namespace voxflow::viz
