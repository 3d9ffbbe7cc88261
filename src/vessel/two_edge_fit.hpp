#pragma once
// Sub-voxel lumen and outer wall radii on each ray of a polar cross-section by a blurred two-edge
// model, fitted after the DP has picked the coarse closed paths (issue 12, the stenosis bias).
//
// Why: where a thin plaque lies between the lumen and fat, the two blurred edges merge, and the
// strongest radial gradient (the DP's edge cost) sits between them: the lumen comes out too wide
// in a stenosis (37.6 % read for a true 50 % on the default phantom) and the vessel too wide in a
// healthy segment (a 24 % plaque burden where there is no plaque).
//
// Model of the image along a ray (the partial-volume profile of two concentric boundaries, each
// blurred by the same point spread; the standard model of CTA lumen/wall edges, e.g.
// Wesarg et al. 2006 / the FWHM rule being its one-edge limit):
//
//   f(r) = I_B + (I_P - I_B) G((r_O - r) / s) + (I_L - I_P) G((r_L - r) / s),  G(x) = 1 / (1 + e^-x)
//
//   I_L lumen, I_P plaque/wall (fixed: --wall-hu), I_B outside (fat); r_L <= r_O; s the edge blur
//   (logistic scale, mm). Where the lumen borders fat (r_O = r_L) f is one logistic edge whose
//   half-maximum (I_L + I_B) / 2 lies at r_L: the FWHM rule. For given radii, I_L and I_B are
//   the linear least-squares levels (variable projection); the radii are fitted by
//   Levenberg-Marquardt from the DP's path, on the profile averaged over the ray and its two
//   neighbours (noise), over [r_L0 - 1 mm, r_O0 + 1 mm].
//
// Which model, per ray: first one edge (r_O = r_L) with its own blur s_1 fitted. A plaque thinner
// than about the blur only shows as a widened edge, so two edges are fitted where the mean s_1
// over the rays within +-45 degrees, or over the whole section, exceeds 1.1 s, and kept when their
// plaque is at least s thick; elsewhere the one edge (r_O = r_L: no plaque). Rays where the DP's
// fat test found fat next to the lumen always take one edge.
//
// Edge blur s: measured on the section's rays where the lumen borders fat (one edge): the
// 25 %-75 % rise between the lumen level and the fat level is 2 ln 3 s for a logistic edge; the
// median over those rays. A section without such rays uses the vessel's value (the median over
// the sections of the previous pass), else keeps the DP radii.
#include <vector>

#include "src/vessel/polar_unwrap.hpp"

namespace voxflow::vessel {

struct TwoEdgeInput {
  std::vector<double> lumen_samples, outer_samples;  // DP radii per angle (radial samples, sub-sample)
  std::vector<bool> fat;                             // per angle: the lumen borders fat (r_O = r_L)
  std::vector<int> first_calcium;                    // per angle: first radius index above calcium (radii: none)
  double plaque_hu = 50.0;                           // I_P
};

/// The section's edge blur (logistic scale, mm) from its rays with fat set; NaN when fewer than
/// 4 such rays give a clean edge (lumen level - fat level >= 100 HU).
double estimate_edge_blur(const PolarImage& polar, const TwoEdgeInput& in);

/// Fitted radii (mm) per angle: lumen_mm, outer_mm (outer >= lumen). Rays whose fit window meets
/// calcium, and rays whose fit fails (no convergence, a radius leaving [0, max radius]), keep the DP radii.
/// blur_mm must be > 0.
void fit_two_edges(const PolarImage& polar, const TwoEdgeInput& in, double blur_mm, std::vector<double>* lumen_mm,
                   std::vector<double>* outer_mm);

}  // namespace voxflow::vessel
