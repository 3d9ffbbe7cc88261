#include "src/vessel/wall_segmentation.hpp"

#include <algorithm>
#include <cmath>

#include "src/core/error.hpp"
#include "src/vessel/polar_dp.hpp"
#include "src/vessel/two_edge_fit.hpp"

namespace voxflow::vessel {

SectionWalls segment_walls(const PolarImage& p, const WallOptions& o) {
  if (o.smoothness < 0) throw InputError("vessel: --smoothness must be >= 0");
  if (!(o.min_wall_mm >= 0.0)) throw InputError("vessel: --min-wall-mm must be >= 0");
  SectionWalls w;
  const int A = p.angles, R = p.radii;
  size_t outside = 0;
  for (double v : p.values) outside += std::isnan(v) ? 1 : 0;
  if (std::isnan(p.at(0, 0))) {
    w.warning = "the section centre is outside the volume";
    return w;
  }
  if (outside * 4 > p.values.size()) {
    w.warning = "the cross-section reaches outside the volume (" + std::to_string(100 * outside / p.values.size()) +
                " % of its samples)";
    return w;
  }
  const EdgeCosts e = edge_costs(p, o.edges);
  const int h = e.h;
  if (R - 1 - h <= h) {
    w.warning = "too few radii for the edge width";
    return w;
  }
  std::vector<int> lo(static_cast<size_t>(A), h), hi(static_cast<size_t>(A), R - 1 - h);
  const PolarDpResult L = polar_dp_closed(e.lumen, A, R, o.smoothness, lo, hi);
  w.dp_starts += L.starts_tried;
  if (L.radius_index.empty()) {
    w.warning = "no closed lumen boundary fits";
    return w;
  }
  double contrast = 0.0;
  for (int a = 0; a < A; ++a) contrast += e.contrast[static_cast<size_t>(a) * R + L.radius_index[static_cast<size_t>(a)]];
  w.lumen_contrast_hu = contrast / A;
  if (!(w.lumen_contrast_hu >= o.min_edge_hu)) {
    w.warning = "no lumen edge found (mean contrast " + std::to_string(static_cast<int>(std::lround(w.lumen_contrast_hu))) +
                " HU < --min-edge-hu)";
    return w;
  }
  const int wall = static_cast<int>(std::ceil(o.min_wall_mm / p.dr_mm - 1e-9));
  std::vector<int> lo2(static_cast<size_t>(A));
  for (int a = 0; a < A; ++a) lo2[static_cast<size_t>(a)] = std::min(R - 1 - h, L.radius_index[static_cast<size_t>(a)] + wall);
  // rays where the lumen borders fat: the outer wall stays on the lumen (+ min wall). The test
  // value is the mean image over [r_lumen + 0.4, r_lumen + 0.6] mm, averaged over the rays
  // within +-30 degrees (noise)
  std::vector<int> hi2 = hi;
  const int f0 = static_cast<int>(std::lround(0.4 / p.dr_mm)), f1 = std::max(f0, static_cast<int>(std::lround(0.6 / p.dr_mm)));
  std::vector<double> ray(static_cast<size_t>(A), std::nan(""));
  for (int a = 0; a < A; ++a) {
    const int li = L.radius_index[static_cast<size_t>(a)];
    double sum = 0.0;
    int cnt = 0;
    for (int i = li + f0; i <= std::min(R - 1, li + f1); ++i)
      if (std::isfinite(p.at(a, i))) sum += p.at(a, i), ++cnt;
    if (cnt > 0) ray[static_cast<size_t>(a)] = sum / cnt;
  }
  const int span = std::max(0, static_cast<int>(std::floor(A * 30.0 / 360.0)));
  for (int a = 0; a < A; ++a) {
    double sum = 0.0;
    int cnt = 0;
    for (int d = -span; d <= span; ++d) {
      const double v = ray[static_cast<size_t>(((a + d) % A + A) % A)];
      if (std::isfinite(v)) sum += v, ++cnt;
    }
    if (cnt > 0 && sum / cnt < o.fat_hu) hi2[static_cast<size_t>(a)] = lo2[static_cast<size_t>(a)];
  }
  const PolarDpResult W = polar_dp_closed(e.outer, A, R, o.smoothness, lo2, hi2);
  w.dp_starts += W.starts_tried;
  if (W.radius_index.empty()) {
    w.warning = "no closed outer wall boundary fits";
    return w;
  }
  const std::vector<double> rl = subsample_refine(e.lumen, A, R, L.radius_index);
  const std::vector<double> ro = subsample_refine(e.outer, A, R, W.radius_index);
  w.lumen_mm.resize(static_cast<size_t>(A));
  w.outer_mm.resize(static_cast<size_t>(A));
  for (int a = 0; a < A; ++a) {
    w.lumen_mm[static_cast<size_t>(a)] = rl[static_cast<size_t>(a)] * p.dr_mm;
    w.outer_mm[static_cast<size_t>(a)] = ro[static_cast<size_t>(a)] * p.dr_mm;
  }
  TwoEdgeInput in;
  in.lumen_samples = rl;
  in.outer_samples = ro;
  in.fat.resize(static_cast<size_t>(A));
  for (int a = 0; a < A; ++a) in.fat[static_cast<size_t>(a)] = hi2[static_cast<size_t>(a)] == lo2[static_cast<size_t>(a)];
  in.first_calcium = e.first_calcium;
  in.plaque_hu = o.edges.wall_hu;
  // the section's own estimate only where no blur is given (the pipeline's first pass)
  w.edge_blur_mm = o.two_edge_fit && !(o.edge_blur_mm > 0.0) ? estimate_edge_blur(p, in) : std::nan("");
  const double blur = o.edge_blur_mm > 0.0 ? o.edge_blur_mm : w.edge_blur_mm;
  if (o.two_edge_fit && blur > 0.0) {
    fit_two_edges(p, in, blur, &w.lumen_mm, &w.outer_mm);
    w.two_edge_fitted = true;
  }
  const double dth = 2.0 * 3.14159265358979323846 / A;
  for (int a = 0; a < A; ++a) {
    const size_t k = static_cast<size_t>(a);
    w.outer_mm[k] = hi2[k] == lo2[k] ? w.lumen_mm[k] + o.min_wall_mm : std::max(w.outer_mm[k], w.lumen_mm[k] + o.min_wall_mm);
    // calcified area: samples above calcium_hu between the boundaries (area element r dr dtheta)
    for (int i = 1; i < R; ++i) {
      const double r = i * p.dr_mm;
      if (r > w.lumen_mm[k] && r <= w.outer_mm[k] && p.at(a, i) > o.edges.calcium_hu) w.calcified_area_mm2 += r * p.dr_mm * dth;
    }
  }
  w.ok = true;
  return w;
}

}  // namespace voxflow::vessel
