#include "src/viz/volume_slice.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "src/core/error.hpp"

namespace voxflow::viz {

SliceAxis parse_slice_axis(const std::string& name) {
  std::string s;
  for (char c : name) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "axial") return SliceAxis::Axial;
  if (s == "coronal") return SliceAxis::Coronal;
  if (s == "sagittal") return SliceAxis::Sagittal;
  throw InputError("unknown --axis '" + name + "' (valid: axial, coronal, sagittal)");
}

std::string slice_axis_name(SliceAxis axis) {
  switch (axis) {
    case SliceAxis::Axial: return "axial";
    case SliceAxis::Coronal: return "coronal";
    case SliceAxis::Sagittal: return "sagittal";
  }
  return "?";
}

SliceGeometry slice_geometry(const std::array<std::int64_t, 3>& dims, const Affine& affine, SliceAxis axis) {
  for (auto d : dims)
    if (d < 1) throw InputError("volume of " + std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " x " +
                                std::to_string(dims[2]) + " voxels has no slices");
  // world axis (0 = R, 1 = A, 2 = S) and direction of each voxel axis
  int world[3];
  double sign[3];
  for (int i = 0; i < 3; ++i) {
    int best = 0;
    for (int j = 1; j < 3; ++j)
      if (std::abs(affine[j][i]) > std::abs(affine[best][i])) best = j;
    world[i] = best;
    sign[i] = affine[best][i] < 0 ? -1.0 : 1.0;
  }
  if (world[0] == world[1] || world[0] == world[2] || world[1] == world[2] || !std::isfinite(affine[0][0])) {
    for (int i = 0; i < 3; ++i) {
      world[i] = i;
      sign[i] = 1.0;
    }
  }
  auto voxel_axis_of = [&](int w) {
    for (int i = 0; i < 3; ++i)
      if (world[i] == w) return i;
    return w;
  };
  int slice_w = 2, col_w = 0, row_w = 1;
  switch (axis) {
    case SliceAxis::Axial: slice_w = 2; col_w = 0; row_w = 1; break;
    case SliceAxis::Coronal: slice_w = 1; col_w = 0; row_w = 2; break;
    case SliceAxis::Sagittal: slice_w = 0; col_w = 1; row_w = 2; break;
  }
  SliceGeometry g;
  g.slice_axis = voxel_axis_of(slice_w);
  g.column_axis = voxel_axis_of(col_w);
  g.row_axis = voxel_axis_of(row_w);
  // Screen right = decreasing R (axial, coronal) or decreasing A (sagittal); screen down =
  // decreasing A (axial) or S: an axis whose index runs towards +world is flipped.
  g.flip_columns = sign[g.column_axis] > 0;
  g.flip_rows = sign[g.row_axis] > 0;
  g.n_slices = dims[static_cast<std::size_t>(g.slice_axis)];
  const std::int64_t w = dims[static_cast<std::size_t>(g.column_axis)], h = dims[static_cast<std::size_t>(g.row_axis)];
  if (w > 32767 || h > 32767) throw InputError("slice of " + std::to_string(w) + " x " + std::to_string(h) + " pixels is too large");
  g.width = static_cast<int>(w);
  g.height = static_cast<int>(h);
  return g;
}

std::vector<float> extract_slice(const std::vector<float>& volume, const std::array<std::int64_t, 3>& dims,
                                 const SliceGeometry& g, std::int64_t k) {
  if (volume.size() != static_cast<std::size_t>(dims[0] * dims[1] * dims[2]))
    throw InputError("volume has " + std::to_string(volume.size()) + " values for " + std::to_string(dims[0]) + " x " +
                     std::to_string(dims[1]) + " x " + std::to_string(dims[2]) + " voxels");
  if (k < 0 || k >= g.n_slices)
    throw InputError("--slice " + std::to_string(k) + " is outside the volume's " + std::to_string(g.n_slices) +
                     " slices along that axis (0.." + std::to_string(g.n_slices - 1) + ")");
  const std::int64_t stride[3] = {1, dims[0], dims[0] * dims[1]};
  std::vector<float> out(static_cast<std::size_t>(g.width) * static_cast<std::size_t>(g.height));
  const std::int64_t base = k * stride[g.slice_axis];
  for (int v = 0; v < g.height; ++v) {
    const std::int64_t rv = g.flip_rows ? g.height - 1 - v : v;
    for (int u = 0; u < g.width; ++u) {
      const std::int64_t cu = g.flip_columns ? g.width - 1 - u : u;
      out[static_cast<std::size_t>(v) * static_cast<std::size_t>(g.width) + static_cast<std::size_t>(u)] =
          volume[static_cast<std::size_t>(base + cu * stride[g.column_axis] + rv * stride[g.row_axis])];
    }
  }
  return out;
}

std::vector<std::int64_t> evenly_spaced_slices(int n, std::int64_t n_slices) {
  if (n < 1 || n > n_slices)
    throw InputError("--montage " + std::to_string(n) + ": the volume has " + std::to_string(n_slices) +
                     " slices along that axis (give 1.." + std::to_string(n_slices) + ")");
  std::vector<std::int64_t> k(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    k[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(std::floor((i + 0.5) * static_cast<double>(n_slices) / n));
  return k;
}

}  // namespace voxflow::viz
