// The blurred two-edge model of src/vessel/two_edge_fit (issue 12: the lumen edge placed
// sub-voxel and unbiased) on synthetic polar images with a known logistic profile, no MPI:
//  - the edge blur measured on single lumen-to-fat edges;
//  - a single edge (healthy segment): the lumen radius at the truth, no plaque (r_O = r_L), from a
//    DP start 0.15 mm off;
//  - a thin concentric plaque between lumen and fat (the 50 % stenosis of the phantom: lumen
//    1.1 mm, plaque 0.45 mm at 50 HU, blur 0.25 mm), where the strongest gradient lies between the
//    two edges: both radii at the truth from the DP's outward-biased start;
//  - the same plaque seen through the DP alone is placed too far out (what the model corrects);
//  - calcium in the window: the DP radii are kept;
//  - segment_walls with the fit on and off on the plaque image.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "src/vessel/polar_dp.hpp"
#include "src/vessel/two_edge_fit.hpp"
#include "src/vessel/wall_segmentation.hpp"

using namespace voxflow::vessel;

namespace {

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// The phantom's profile: fat -100, plaque 50 from ro inwards, lumen 350 from rl inwards, blur s
/// (logistic scale), Gaussian noise of sd noise_hu (fixed seed).
PolarImage profile_image(double rl, double ro, double s, double noise_hu, int angles = 72, int radii = 61, double rmax = 6.0) {
  PolarImage p;
  p.angles = angles;
  p.radii = radii;
  p.dr_mm = rmax / (radii - 1);
  p.values.resize(static_cast<size_t>(angles) * radii);
  std::mt19937 g(7);
  std::normal_distribution<double> n(0.0, noise_hu);
  for (int a = 0; a < angles; ++a)
    for (int i = 0; i < radii; ++i) {
      const double r = i * p.dr_mm;
      p.at(a, i) = -100.0 + 150.0 * logistic((ro - r) / s) + 300.0 * logistic((rl - r) / s) + (noise_hu > 0 ? n(g) : 0.0);
    }
  return p;
}

TwoEdgeInput input_for(const PolarImage& p, double rl0_mm, double ro0_mm, bool fat) {
  TwoEdgeInput in;
  in.lumen_samples.assign(static_cast<size_t>(p.angles), rl0_mm / p.dr_mm);
  in.outer_samples.assign(static_cast<size_t>(p.angles), ro0_mm / p.dr_mm);
  in.fat.assign(static_cast<size_t>(p.angles), fat);
  in.first_calcium.assign(static_cast<size_t>(p.angles), p.radii);
  in.plaque_hu = 50.0;
  return in;
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

TEST(TwoEdgeFit, BlurMeasuredOnSingleEdges) {
  for (double s : {0.15, 0.25, 0.4}) {
    const PolarImage p = profile_image(1.8, 1.8, s, 0.0);
    const double b = estimate_edge_blur(p, input_for(p, 1.8, 1.8, true));
    EXPECT_NEAR(b, s, 0.05 * s) << "blur " << s;
  }
  // no ray flagged as bordering fat: no estimate
  const PolarImage p = profile_image(1.8, 1.8, 0.25, 0.0);
  EXPECT_TRUE(std::isnan(estimate_edge_blur(p, input_for(p, 1.8, 1.8, false))));
}

TEST(TwoEdgeFit, SingleEdgeAtTheTruthWithoutPlaque) {
  for (double noise : {0.0, 10.0}) {
    const PolarImage p = profile_image(1.8, 1.8, 0.25, noise);
    std::vector<double> rl, ro;
    // not flagged as fat: the model itself must find that there is no plaque
    fit_two_edges(p, input_for(p, 1.95, 2.1, false), 0.25, &rl, &ro);
    ASSERT_EQ(rl.size(), 72u);
    EXPECT_NEAR(mean(rl), 1.8, noise > 0 ? 0.02 : 0.002) << "noise " << noise;
    for (size_t a = 0; a < rl.size(); ++a) EXPECT_NEAR(ro[a], rl[a], 1e-12) << "angle " << a << " noise " << noise;
  }
}

TEST(TwoEdgeFit, ThinPlaqueBothEdgesAtTheTruth) {
  const double rl_true = 1.1, ro_true = 1.55, s = 0.25;
  for (double noise : {0.0, 10.0}) {
    const PolarImage p = profile_image(rl_true, ro_true, s, noise);
    std::vector<double> rl, ro;
    fit_two_edges(p, input_for(p, 1.25, 1.7, false), s, &rl, &ro);
    EXPECT_NEAR(mean(rl), rl_true, noise > 0 ? 0.02 : 0.002) << "noise " << noise;
    EXPECT_NEAR(mean(ro), ro_true, noise > 0 ? 0.04 : 0.002) << "noise " << noise;
    // the area ratio, the stenosis read-out: within 2 points of the truth
    const double ratio = std::pow(mean(rl) / rl_true, 2);
    EXPECT_NEAR(ratio, 1.0, 0.04) << "noise " << noise;
  }
}

TEST(TwoEdgeFit, DpAloneIsBiasedOutwardTheModelIsNot) {
  const PolarImage p = profile_image(1.1, 1.55, 0.25, 0.0);
  WallOptions o;
  o.two_edge_fit = false;
  const SectionWalls dp = segment_walls(p, o);
  ASSERT_TRUE(dp.ok) << dp.warning;
  EXPECT_GT(mean(dp.lumen_mm), 1.1 + 0.08);  // the merged edges' gradient lies outside the lumen
  o.two_edge_fit = true;
  o.edge_blur_mm = 0.25;
  const SectionWalls m = segment_walls(p, o);
  ASSERT_TRUE(m.ok) << m.warning;
  EXPECT_TRUE(m.two_edge_fitted);
  EXPECT_NEAR(mean(m.lumen_mm), 1.1, 0.01);
  EXPECT_NEAR(mean(m.outer_mm), 1.55, 0.02);
}

TEST(TwoEdgeFit, CalciumInTheWindowKeepsTheDpRadii) {
  PolarImage p = profile_image(1.1, 1.55, 0.25, 0.0);
  TwoEdgeInput in = input_for(p, 1.25, 1.7, false);
  for (int a = 10; a < 20; ++a) in.first_calcium[static_cast<size_t>(a)] = static_cast<int>(std::lround(2.0 / p.dr_mm));
  std::vector<double> rl, ro;
  fit_two_edges(p, in, 0.25, &rl, &ro);
  for (int a = 9; a <= 20; ++a) {  // the rays whose smoothed profile (a-1..a+1) meets calcium
    EXPECT_DOUBLE_EQ(rl[static_cast<size_t>(a)], 1.25) << a;
    EXPECT_DOUBLE_EQ(ro[static_cast<size_t>(a)], 1.7) << a;
  }
  EXPECT_NEAR(rl[40], 1.1, 0.01);
}
