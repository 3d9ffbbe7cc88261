#include "src/vessel/polar_unwrap.hpp"

#include <cmath>

#include "src/core/error.hpp"

namespace voxflow::vessel {

PolarImage polar_unwrap(const PlaneBlock& block, const WorldToVoxel& w2v, const Point3& centre, const Frame& frame,
                        int angles, int radii, double max_radius_mm) {
  if (angles < 8) throw InputError("vessel: --angles must be >= 8");
  if (radii < 4) throw InputError("vessel: --radii must be >= 4");
  if (!(max_radius_mm > 0.0)) throw InputError("vessel: --max-radius-mm must be > 0");
  PolarImage p;
  p.angles = angles;
  p.radii = radii;
  p.dr_mm = max_radius_mm / (radii - 1);
  p.values.resize(static_cast<size_t>(angles) * static_cast<size_t>(radii));
  // voxel coordinates are affine in (u, v): c + u a + v b
  const Point3 c = w2v(centre);
  const Point3 a = v_sub(w2v(plane_point(centre, frame, 1.0, 0.0)), c), b = v_sub(w2v(plane_point(centre, frame, 0.0, 1.0)), c);
  for (int k = 0; k < angles; ++k) {
    const double th = p.theta(k), cu = std::cos(th), sv = std::sin(th);
    for (int i = 0; i < radii; ++i) {
      const double r = i * p.dr_mm;
      p.at(k, i) = trilinear(block, v_add(c, v_add(v_mul(a, r * cu), v_mul(b, r * sv))));
    }
  }
  return p;
}

}  // namespace voxflow::vessel
