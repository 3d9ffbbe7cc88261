#include "src/vessel/edge_costs.hpp"

#include <algorithm>
#include <cmath>

#include "src/core/error.hpp"

namespace voxflow::vessel {

EdgeCosts edge_costs(const PolarImage& p, const EdgeCostOptions& o) {
  if (!(o.calcium_hu > o.wall_hu)) throw InputError("vessel: --calcium-hu must be above --wall-hu");

  if (!(o.half_width_mm > 0.0)) throw InputError("vessel: the edge half width must be > 0 mm");
  EdgeCosts e;
  const int A = p.angles, R = p.radii;
  e.h = std::max(1, static_cast<int>(std::lround(o.half_width_mm / p.dr_mm)));
  const size_t n = static_cast<size_t>(A) * static_cast<size_t>(R);
  e.lumen.assign(n, 0.0);
  e.outer.assign(n, 0.0);
  e.contrast.assign(n, 0.0);
  e.contrast_outer.assign(n, 0.0);
  e.first_calcium.assign(static_cast<size_t>(A), R);
  constexpr double kPenalty = 1e6;
  for (int a = 0; a < A; ++a) {
    int fc = R;
    for (int i = 0; i < R; ++i)
      if (p.at(a, i) > o.calcium_hu) {
        fc = i;
        break;
      }
    e.first_calcium[static_cast<size_t>(a)] = fc;
    for (int i = 0; i < R; ++i) {
      const size_t k = static_cast<size_t>(a) * static_cast<size_t>(R) + static_cast<size_t>(i);
      const int lo = std::max(0, i - e.h), hi = std::min(R - 1, i + e.h);
      const double in = p.at(a, lo), out = p.at(a, hi);
      double d = in - out;
      if (!std::isfinite(d)) d = 0.0;
      const double dj = std::isfinite(in - out) ? std::min(in, o.wall_hu) - std::min(out, o.wall_hu) : 0.0;
      e.contrast[k] = d;
      e.contrast_outer[k] = dj;
      e.lumen[k] = -std::max(0.0, d) + (i >= fc ? kPenalty : 0.0);
      e.outer[k] = -std::max(0.0, dj);
    }
  }
  return e;
}

}  // namespace voxflow::vessel
