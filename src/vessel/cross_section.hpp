#pragma once
// Multi-planar reformation (MPR): samples of the image on a plane perpendicular to the
// centerline (the seed's extract_cross_section), by trilinear interpolation in voxel space.
#include <array>
#include <vector>

#include "src/core/grid.hpp"
#include "src/vessel/plane_block.hpp"
#include "src/vessel/rotation_minimising_frames.hpp"

namespace voxflow::vessel {

/// Trilinear value of `block` at continuous voxel index (i, j, k) (voxel centres at integers);
/// NaN when the 8 neighbours are not all inside the grid and the block (no extrapolation).
double trilinear(const PlaneBlock& block, const Point3& ijk);

/// Maps world mm to voxel indices for one grid (the inverse affine, computed once).
struct WorldToVoxel {
  double m[3][4]{};
  explicit WorldToVoxel(const Affine& affine);  // throws InputError for a singular affine
  Point3 operator()(const Point3& xyz) const {
    Point3 v{};
    for (int r = 0; r < 3; ++r) v[r] = m[r][0] * xyz[0] + m[r][1] * xyz[1] + m[r][2] * xyz[2] + m[r][3];
    return v;
  }
};

/// Value at world point centre + u n1 + v n2 (mm) of the plane through `centre` spanned by the
/// frame's normals.
inline Point3 plane_point(const Point3& centre, const Frame& f, double u, double v) {
  return v_add(centre, v_add(v_mul(f.n1, u), v_mul(f.n2, v)));
}

/// The size x size MPR image (row-major, row r at v = (r - (size-1)/2) spacing, column c at
/// u = (c - (size-1)/2) spacing, mm) of the plane through `centre` (world mm) spanned by the
/// frame's normals; NaN outside the volume. size = round(section_size_mm / spacing_mm) | 1 (odd,
/// so the centre is a pixel). Throws InputError for a non-positive size or spacing.
std::vector<float> cross_section_image(const PlaneBlock& block, const WorldToVoxel& w2v, const Point3& centre,
                                       const Frame& frame, double section_size_mm, double spacing_mm, int* size_out);

/// The voxel box (continuous indices, per axis [floor(min) - 1, ceil(max) + 1]) that the disc of
/// radius reach_mm around `centre` in the plane of `frame` touches, with the interpolation's
/// neighbours.
void voxel_box_of_disc(const WorldToVoxel& w2v, const Point3& centre, const Frame& frame, double reach_mm,
                       std::array<double, 3>* box_min, std::array<double, 3>* box_max);

}  // namespace voxflow::vessel
