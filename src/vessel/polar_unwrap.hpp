#pragma once
// Polar unwrap of a cross-section (the seed's cartesian_to_polar): the plane perpendicular to the
// centerline sampled on rays, so that a vessel wall becomes a roughly horizontal line r(theta).
// The rays are sampled straight from the volume (trilinear), not from the Cartesian MPR image:
// the same plane without a second interpolation.
#include <vector>

#include "src/vessel/cross_section.hpp"

namespace voxflow::vessel {

/// values[a * radii + i] = image at angle theta_a = 2 pi a / angles (from n1 towards n2) and
/// radius r_i = i * dr, dr = max_radius_mm / (radii - 1) (mm); NaN outside the volume.
struct PolarImage {
  int angles = 0, radii = 0;
  double dr_mm = 0.0;
  std::vector<double> values;
  double at(int a, int i) const { return values[static_cast<size_t>(a) * static_cast<size_t>(radii) + static_cast<size_t>(i)]; }
  double& at(int a, int i) { return values[static_cast<size_t>(a) * static_cast<size_t>(radii) + static_cast<size_t>(i)]; }
  double theta(int a) const { return 2.0 * 3.14159265358979323846 * a / angles; }
};

/// Throws InputError for angles < 8, radii < 4 or max_radius_mm <= 0.
PolarImage polar_unwrap(const PlaneBlock& block, const WorldToVoxel& w2v, const Point3& centre, const Frame& frame,
                        int angles, int radii, double max_radius_mm);

}  // namespace voxflow::vessel
