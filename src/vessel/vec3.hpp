#pragma once
// Small 3-vector algebra on Point3 (world mm or directions) for the vessel wall stages.
#include <array>
#include <cmath>

namespace voxflow::vessel {

using Point3 = std::array<double, 3>;

inline Point3 v_add(const Point3& a, const Point3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
inline Point3 v_sub(const Point3& a, const Point3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
inline Point3 v_mul(const Point3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }
inline double v_dot(const Point3& a, const Point3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
inline double v_norm(const Point3& a) { return std::sqrt(v_dot(a, a)); }
inline Point3 v_unit(const Point3& a) {
  const double n = v_norm(a);
  return n > 0.0 ? v_mul(a, 1.0 / n) : Point3{0.0, 0.0, 0.0};
}
inline Point3 v_cross(const Point3& a, const Point3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

}  // namespace voxflow::vessel
