#pragma once
// From a backtracked voxel path to a centerline in world millimetres: the affine (NIfTI RAS+,
// voxel index -> mm), a cubic smoothing spline of the points against chord length (Reinsch 1967,
// "Smoothing by spline functions", Numer. Math. 10:177; Green & Silverman 1994, ch. 2), resampled
// at a fixed arc length, and a radius from the best Frangi scale at each sample.
#include <array>
#include <cstdint>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/grid.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::vessel {

using Point3 = std::array<double, 3>;

/// world (mm) = affine * (i, j, k, 1)
Point3 voxel_to_world(const Affine& affine, const Point3& ijk);
/// (i, j, k) = affine^-1 * (x, y, z, 1). Throws InputError for a singular affine.
Point3 world_to_voxel(const Affine& affine, const Point3& xyz_mm);

struct CenterlineOptions {
  double sample_spacing_mm = 0.5;  // arc length between samples (the seed's 0.5 mm)
  double smoothing_mm = 1.0;       // length scale l of the smoothing: lambda = l^4 / mean chord
};

struct Centerline {
  std::vector<Point3> points_mm;      // world mm, first = start, last = end
  std::vector<double> arc_length_mm;  // 0 at the start, increasing
  std::vector<double> radius_mm;      // NaN until a radius is attached
  double length_mm() const { return arc_length_mm.empty() ? 0.0 : arc_length_mm.back(); }
};

/// Smoothing spline through `points_mm` (>= 1 point; repeated points dropped) against chord
/// length, minimising sum w_i |p_i - f(t_i)|^2 + lambda int |f''|^2 with w = 1 inside and 1e6 at
/// both ends (the curve keeps the clicked start and end), lambda = smoothing_mm^4 / mean chord,
/// then resampled every sample_spacing_mm of its arc length (the last sample is the end; the
/// last interval may be shorter). Fewer than 4 distinct points: a polyline. smoothing_mm = 0:
/// the interpolating natural cubic spline. Throws InputError for an empty input or a
/// non-positive sample spacing.
Centerline smooth_and_resample(const std::vector<Point3>& points_mm, const CenterlineOptions& options);

/// Values of a distributed volume at the nearest voxels of `points_vox` (continuous indices);
/// NaN for points outside the grid. Collective; every rank gets all values (MPI_Allreduce).
std::vector<double> sample_nearest(const Volume3D& vol, const std::vector<Point3>& points_vox, const Comm& comm);

/// radius_mm[n] = sqrt(2) * best_sigma * spacing (geometric mean of the spacings) at the nearest
/// voxel of each centerline point (filters::radius_from_sigma_mm; NaN where no scale responded).
/// Collective.
void attach_radius_from_scale(Centerline& line, const Volume3D& best_sigma_vox, const Comm& comm);

/// The same from the best sigma (voxels) already sampled at each centerline point (NaN or 0:
/// no radius) on grid `g` (its spacing).
void attach_radius_from_sigmas(Centerline& line, const std::vector<double>& sigma_vox, const Grid& g);

}  // namespace voxflow::vessel
