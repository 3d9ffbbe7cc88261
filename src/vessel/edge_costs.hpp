#pragma once
// Edge costs of a polar cross-section for the two boundaries (the seed's "Lumen Cost Map" and
// "Outer Wall Cost Map", phase 3): low cost where the boundary is likely.
//
//   radial contrast   D_I(a, i) = I(a, i - h) - I(a, i + h)   (inside minus outside, HU; h samples)
//   lumen             C_L = -max(0, D_I)            bright (contrast) -> darker (plaque, wall, fat)
//                     + P for every i >= the first radius where I > calcium_hu on that ray
//                       (calcium is not lumen: the lumen boundary stays inside the first calcium)
//   outer wall        C_W = -max(0, D_J), J = min(I, wall_hu): grey (wall, plaque) -> dark (fat).
//                       Clamping at wall_hu (about the soft plaque's HU) flattens the lumen's
//                       bright-to-grey step into soft plaque, so the edge to fat wins. Where the
//                       lumen borders fat directly the clamped edge lies outside the lumen's by
//                       about the edge blur (partial volume: ~0.25 mm on the phantom; the vessel
//                       area of a healthy segment exceeds its lumen area by that rim)
// NaN samples (outside the volume) give no contrast (cost 0). P = 1e6 HU (a penalty, not a
// forbidden state, so a ray that starts in calcium still has a boundary).
#include <vector>

#include "src/vessel/polar_unwrap.hpp"

namespace voxflow::vessel {

struct EdgeCostOptions {
  double calcium_hu = 600.0;       // the seed's threshold: brighter is calcium, not lumen
  double wall_hu = 50.0;           // clamp of the outer wall's grey-to-dark contrast: about soft plaque (HU)
  double half_width_mm = 0.2;      // h = max(1, round(half_width_mm / dr)) samples
};

struct EdgeCosts {
  std::vector<double> lumen, outer;    // angles x radii, like PolarImage::values
  std::vector<double> contrast;        // D_I (HU), for the edge-strength check
  std::vector<double> contrast_outer;  // D_J (HU)
  std::vector<int> first_calcium;      // per angle: first radius index above calcium_hu (radii when none)
  int h = 1;                           // samples
};

/// Costs of one polar image. Throws InputError for calcium_hu <= wall_hu or half_width_mm <= 0.
EdgeCosts edge_costs(const PolarImage& polar, const EdgeCostOptions& options);

}  // namespace voxflow::vessel
