#pragma once
// A heatmap as read from disk (issue 5, seeds/001 "ML Heatmap Integration"): a 2-D map or a 3-D
// volume of float values, before it is sliced, resampled and coloured by src/viz.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/grid.hpp"

namespace voxflow::io {

/// dims = {nx, ny, nz}; values[x + nx * (y + ny * z)] (x fastest).
///  2-D maps (JSON, CSV, binary, 2-D NPY): nx = columns, ny = rows, nz = 1, y = row index from
///    the top (row 0 is the first row of the file / the first index of the array), is_volume false.
///  3-D maps (NIfTI, voxflow HDF5, 3-D NPY): voxel (x, y, z) on the grid `grid` (affine RAS,
///    from the file; NPY has none and gets the identity), is_volume true.
/// NaN marks "no value" (drawn transparent).
struct Heatmap {
  std::array<std::int64_t, 3> dims{0, 0, 0};
  std::vector<float> values;
  bool is_volume = false;
  Grid grid;
  std::string units;   // from the file when it has them (HDF5 "units"), else ""
  std::string source;  // path (and dataset) it came from, for messages

  std::int64_t nx() const { return dims[0]; }
  std::int64_t ny() const { return dims[1]; }
  std::int64_t nz() const { return dims[2]; }
  /// value at (x, y, z); no bounds check
  float at(std::int64_t x, std::int64_t y, std::int64_t z = 0) const {
    return values[static_cast<std::size_t>(x + dims[0] * (y + dims[1] * z))];
  }
};

/// A 2-D Heatmap of `rows` x `cols` from row-major values (values[r * cols + c]).
/// Throws InputError naming `source` when values.size() != rows * cols or a size is < 1.
Heatmap make_heatmap_2d(std::int64_t rows, std::int64_t cols, std::vector<float> values, const std::string& source);

}  // namespace voxflow::io
