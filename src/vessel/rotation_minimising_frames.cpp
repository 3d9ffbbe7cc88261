#include "src/vessel/rotation_minimising_frames.hpp"

#include <cmath>

#include "src/core/error.hpp"

namespace voxflow::vessel {

std::vector<Frame> rotation_minimising_frames(const std::vector<Point3>& p) {
  const size_t n = p.size();
  if (n < 2) throw InputError("vessel: a centerline needs at least 2 points for its frames");
  for (size_t i = 1; i < n; ++i)
    if (!(v_norm(v_sub(p[i], p[i - 1])) > 0.0)) throw InputError("vessel: two consecutive centerline points coincide");
  std::vector<Frame> f(n);
  for (size_t i = 0; i < n; ++i) {
    const Point3 d = i == 0 ? v_sub(p[1], p[0]) : i + 1 == n ? v_sub(p[n - 1], p[n - 2]) : v_sub(p[i + 1], p[i - 1]);
    f[i].t = v_unit(d);
    if (!(v_norm(f[i].t) > 0.0)) f[i].t = v_unit(v_sub(p[i], p[i - 1]));  // a fold-back: use the last step
  }
  // first normal: the axis least aligned with t, made orthogonal
  const Point3& t0 = f[0].t;
  Point3 axis{0, 0, 0};
  const double a0 = std::fabs(t0[0]), a1 = std::fabs(t0[1]), a2 = std::fabs(t0[2]);
  axis[(a0 <= a1 && a0 <= a2) ? 0 : (a1 <= a2 ? 1 : 2)] = 1.0;
  f[0].n1 = v_unit(v_sub(axis, v_mul(t0, v_dot(axis, t0))));
  f[0].n2 = v_cross(f[0].t, f[0].n1);
  for (size_t i = 0; i + 1 < n; ++i) {
    // double reflection (Wang et al. 2008, Algorithm 1)
    const Point3 v1 = v_sub(p[i + 1], p[i]);
    const double c1 = v_dot(v1, v1);
    const Point3 rL = v_sub(f[i].n1, v_mul(v1, 2.0 / c1 * v_dot(v1, f[i].n1)));
    const Point3 tL = v_sub(f[i].t, v_mul(v1, 2.0 / c1 * v_dot(v1, f[i].t)));
    const Point3 v2 = v_sub(f[i + 1].t, tL);
    const double c2 = v_dot(v2, v2);
    Point3 r = c2 > 1e-30 ? v_sub(rL, v_mul(v2, 2.0 / c2 * v_dot(v2, rL))) : rL;
    // re-orthogonalise against rounding
    r = v_unit(v_sub(r, v_mul(f[i + 1].t, v_dot(r, f[i + 1].t))));
    f[i + 1].n1 = r;
    f[i + 1].n2 = v_cross(f[i + 1].t, r);
  }
  return f;
}

}  // namespace voxflow::vessel
