#include "src/vessel/centerline_refinement.hpp"

#include <algorithm>
#include <cmath>

#include "src/core/error.hpp"
#include "src/vessel/vessel_measurements.hpp"

namespace voxflow::vessel {

Centerline refine_centerline(const std::vector<Point3>& centres, const std::vector<Frame>& frames,
                             const std::vector<std::vector<double>>& lumen, const std::vector<bool>& ok,
                             const CenterlineOptions& o) {
  std::vector<Point3> c;
  for (size_t k = 0; k < centres.size(); ++k) {
    if (!ok[k]) continue;
    double u, v;
    polar_centroid(lumen[k], &u, &v);
    c.push_back(v_add(centres[k], v_add(v_mul(frames[k].n1, u), v_mul(frames[k].n2, v))));
  }
  if (c.size() < 2) throw InputError("vessel: fewer than 2 cross-sections could be segmented; no refined centerline");
  return smooth_and_resample(c, o);
}

Centerline resample_at_step(const Centerline& line, double step) {
  if (!(step > 0.0)) throw InputError("vessel: --step-mm must be > 0");
  if (line.points_mm.empty()) throw InputError("vessel: an empty centerline");
  Centerline out;
  const double L = line.length_mm();
  const size_t n = line.points_mm.size();
  const int m = static_cast<int>(std::ceil(L / step - 1e-9));
  size_t j = 0;
  for (int i = 0; i <= m; ++i) {
    const double s = std::min(L, i * step);
    while (j + 2 < n && line.arc_length_mm[j + 1] < s) ++j;
    const double s0 = line.arc_length_mm[j], s1 = n > 1 ? line.arc_length_mm[j + 1] : s0;
    const double f = s1 > s0 ? std::clamp((s - s0) / (s1 - s0), 0.0, 1.0) : 0.0;
    const Point3& a = line.points_mm[j];
    const Point3& b = line.points_mm[std::min(n - 1, j + 1)];
    out.points_mm.push_back(v_add(a, v_mul(v_sub(b, a), f)));
    out.arc_length_mm.push_back(s);
    const double ra = line.radius_mm.size() == n ? line.radius_mm[j] : std::nan("");
    const double rb = line.radius_mm.size() == n ? line.radius_mm[std::min(n - 1, j + 1)] : std::nan("");
    out.radius_mm.push_back(ra + f * (rb - ra));
    if (s >= L) break;
  }
  return out;
}

}  // namespace voxflow::vessel
