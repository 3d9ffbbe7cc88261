// src/vessel part 2 (issue 12) on synthetic data, no MPI:
//  - the closed-loop polar DP recovers a known circle and an ellipse exactly, r(0) = r(360 deg)
//    always (also when the cheapest open path would not close), smoothness and nesting hold at
//    every angle, and the branch and bound gives the same boundary as trying every start;
//  - the lumen edge cost keeps a calcium block beside the lumen out of the lumen;
//  - rotation-minimising frames are orthonormal, right-handed and do not twist on a helix-free
//    planar bend; polygon area, Feret diameters and centroid of known shapes;
//  - the tube surface is watertight, consistently oriented, its signed volume is positive and
//    matches pi r^2 L; CellEntityIds mark wall, inlet and outlet;
//  - the measurements: stenosis against the proximal/distal reference, plaque burden, volumes;
//    sections at a branch ostium (lumen area > 1.2 x the trend) flagged and left out of the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "src/core/error.hpp"
#include "src/vessel/edge_costs.hpp"
#include "src/vessel/polar_dp.hpp"
#include "src/vessel/rotation_minimising_frames.hpp"
#include "src/vessel/surface_mesh.hpp"
#include "src/vessel/vessel_measurements.hpp"
#include "src/vessel/wall_segmentation.hpp"

using namespace voxflow;
using namespace voxflow::vessel;

namespace {

constexpr double kPi = 3.14159265358979323846;

/// Cost image with a unique minimum -1 at radius index truth[a] on every angle, 0 elsewhere,
/// plus a little deterministic clutter that never beats the true boundary.
std::vector<double> cost_with_boundary(const std::vector<int>& truth, int R, unsigned seed) {
  const int A = static_cast<int>(truth.size());
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(-0.3, 0.0);
  std::vector<double> c(static_cast<size_t>(A) * R);
  for (int a = 0; a < A; ++a)
    for (int i = 0; i < R; ++i) c[static_cast<size_t>(a) * R + i] = i == truth[static_cast<size_t>(a)] ? -1.0 : u(g);
  return c;
}

void expect_closed_smooth(const std::vector<int>& r, int s) {
  ASSERT_FALSE(r.empty());
  for (size_t a = 0; a < r.size(); ++a) EXPECT_LE(std::abs(r[a] - r[(a + 1) % r.size()]), s) << "angle " << a;
}

/// Brute force: the best closed path over every start radius (no bound).
double brute_force_cost(const std::vector<double>& c, int A, int R, int s) {
  double best = 1e300;
  for (int r0 = 0; r0 < R; ++r0) {
    std::vector<double> F(R, 1e300), G(R);
    F[r0] = c[r0];
    for (int a = 1; a < A; ++a) {
      for (int i = 0; i < R; ++i) {
        double m = 1e300;
        for (int j = std::max(0, i - s); j <= std::min(R - 1, i + s); ++j) m = std::min(m, F[j]);
        G[i] = m + c[static_cast<size_t>(a) * R + i];
      }
      F.swap(G);
    }
    for (int j = std::max(0, r0 - s); j <= std::min(R - 1, r0 + s); ++j) best = std::min(best, F[j]);
  }
  return best;
}

}  // namespace

TEST(PolarDp, RecoversCircleExactly) {
  const int A = 72, R = 40;
  const std::vector<int> truth(A, 17);
  const auto res = polar_dp_closed(cost_with_boundary(truth, R, 1), A, R, 1);
  EXPECT_EQ(res.radius_index, truth);
  EXPECT_DOUBLE_EQ(res.cost, -A);
}

TEST(PolarDp, RecoversEllipseExactly) {
  const int A = 90, R = 60;
  std::vector<int> truth(A);
  for (int a = 0; a < A; ++a) {
    const double t = 2 * kPi * a / A, ax = 25.0, bx = 14.0;
    truth[static_cast<size_t>(a)] = static_cast<int>(std::lround(ax * bx / std::hypot(bx * std::cos(t), ax * std::sin(t))));
  }
  int smax = 0;
  for (int a = 0; a < A; ++a) smax = std::max(smax, std::abs(truth[a] - truth[(a + 1) % A]));
  ASSERT_GE(smax, 1);
  const auto res = polar_dp_closed(cost_with_boundary(truth, R, 2), A, R, smax);
  EXPECT_EQ(res.radius_index, truth);
  expect_closed_smooth(res.radius_index, smax);
}

TEST(PolarDp, ClosedEvenWhenTheOpenOptimumIsNot) {
  // the cheapest open path runs from radius 5 to radius 30 (a ramp); closing it is impossible, so
  // the closed optimum must differ from it and still satisfy r(0) ~ r(360) within the smoothness
  const int A = 60, R = 40;
  std::vector<double> c(static_cast<size_t>(A) * R, 0.0);
  for (int a = 0; a < A; ++a) c[static_cast<size_t>(a) * R + 5 + (25 * a) / (A - 1)] = -1.0;
  for (int s : {0, 1, 2}) {
    const auto res = polar_dp_closed(c, A, R, s);
    expect_closed_smooth(res.radius_index, s);
    EXPECT_NEAR(res.cost, brute_force_cost(c, A, R, s), 1e-9) << "smoothness " << s;
  }
}

TEST(PolarDp, BranchAndBoundEqualsEveryStartOnNoise) {
  std::mt19937 g(7);
  std::normal_distribution<double> n(0.0, 1.0);
  for (int trial = 0; trial < 20; ++trial) {
    const int A = 24 + trial, R = 15 + trial % 5, s = 1 + trial % 3;
    std::vector<double> c(static_cast<size_t>(A) * R);
    for (auto& x : c) x = n(g);
    const auto res = polar_dp_closed(c, A, R, s);
    expect_closed_smooth(res.radius_index, s);
    double sum = 0;
    for (int a = 0; a < A; ++a) sum += c[static_cast<size_t>(a) * R + res.radius_index[a]];
    EXPECT_NEAR(sum, res.cost, 1e-9);
    EXPECT_NEAR(res.cost, brute_force_cost(c, A, R, s), 1e-9) << "trial " << trial;
  }
}

TEST(PolarDp, NestingBoundsHoldAtEveryAngle) {
  const int A = 72, R = 50;
  std::vector<int> inner(A), truth(A, 20);
  for (int a = 0; a < A; ++a) inner[a] = 18 + static_cast<int>(std::lround(4 * std::sin(2 * kPi * a / A)));
  std::vector<int> lower(A);
  for (int a = 0; a < A; ++a) lower[a] = inner[a] + 3;  // min wall 3 samples: the true 20 is too close in places
  const auto res = polar_dp_closed(cost_with_boundary(truth, R, 3), A, R, 1, lower);
  ASSERT_EQ(res.radius_index.size(), static_cast<size_t>(A));
  for (int a = 0; a < A; ++a) EXPECT_GE(res.radius_index[a], lower[a]) << a;
  expect_closed_smooth(res.radius_index, 1);
  // infeasible bounds: no boundary
  const auto none = polar_dp_closed(cost_with_boundary(truth, R, 3), A, R, 1, std::vector<int>(A, 30), std::vector<int>(A, 29));
  EXPECT_TRUE(none.radius_index.empty());
  EXPECT_THROW(polar_dp_closed(std::vector<double>(5), A, R, 1), InputError);
  EXPECT_THROW(polar_dp_closed(std::vector<double>(static_cast<size_t>(A) * R), A, R, -1), InputError);
}

TEST(PolarDp, SubsampleRefinementFindsTheParabolaVertex) {
  const int A = 8, R = 10;
  std::vector<double> c(static_cast<size_t>(A) * R);
  for (int a = 0; a < A; ++a)
    for (int i = 0; i < R; ++i) c[static_cast<size_t>(a) * R + i] = (i - 4.3) * (i - 4.3);
  const auto r = subsample_refine(c, A, R, std::vector<int>(A, 4));
  for (double x : r) EXPECT_NEAR(x, 4.3, 1e-12);
}

namespace {
/// Polar image of a disc of `lumen` HU and radius rl (mm) in fat, a grey ring to ro, and
/// optionally a calcium block (900 HU) on the rays within +-27.5 degrees of angle 0 from radius cb.
PolarImage synthetic_section(int A, int R, double dr, double rl, double ro, double cb) {
  PolarImage p;
  p.angles = A;
  p.radii = R;
  p.dr_mm = dr;
  p.values.resize(static_cast<size_t>(A) * R);
  for (int a = 0; a < A; ++a)
    for (int i = 0; i < R; ++i) {
      // edges blurred over ~0.1 mm (logistic), like partial volume
      const double r = i * dr, th = p.theta(a), w = 0.05;
      auto sig = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
      double v = -100.0 + (40.0 + 100.0) * sig((ro - r) / w) + (350.0 - 40.0) * sig((rl - r) / w);
      const double d = std::fabs(std::remainder(th, 2 * kPi));
      if (cb > 0 && d < 27.5 * kPi / 180.0) v += (900.0 - v) * sig((r - cb) / w) * sig((cb + 1.0 - r) / w);
      p.at(a, i) = v;
    }
  return p;
}
}  // namespace

TEST(WallSegmentation, LumenAndOuterWallOfARing) {
  const PolarImage p = synthetic_section(72, 61, 0.1, 1.5, 2.2, 0.0);
  WallOptions o;
  const SectionWalls w = segment_walls(p, o);
  ASSERT_TRUE(w.ok) << w.warning;
  for (int a = 0; a < 72; ++a) {
    EXPECT_NEAR(w.lumen_mm[a], 1.5, 0.06) << a;
    EXPECT_NEAR(w.outer_mm[a], 2.2, 0.06) << a;
    EXPECT_GE(w.outer_mm[a], w.lumen_mm[a]);
  }
  WallOptions o2;
  o2.min_wall_mm = 1.0;  // nesting: the outer wall is pushed out to lumen + 1 mm at least
  const SectionWalls w2 = segment_walls(p, o2);
  ASSERT_TRUE(w2.ok);
  for (int a = 0; a < 72; ++a) EXPECT_GE(w2.outer_mm[a], w2.lumen_mm[a] + 1.0 - 1e-9);
}

TEST(WallSegmentation, CalciumBesideTheLumenIsExcluded) {
  // calcium from 1.0 mm on the rays near angle 0, inside the bright disc (it replaces lumen
  // there): without the penalty the strong calcium-to-fat edge at 2.0 mm would pull the lumen out
  const PolarImage p = synthetic_section(72, 61, 0.1, 1.5, 1.5, 1.0);
  WallOptions o;
  const SectionWalls w = segment_walls(p, o);
  ASSERT_TRUE(w.ok) << w.warning;
  const EdgeCosts e = edge_costs(p, o.edges);
  double calcium_area = 0.0;
  for (int a = 0; a < 72; ++a) {
    const double d = std::fabs(std::remainder(p.theta(a), 2 * kPi));
    if (d < 20.0 * kPi / 180.0) {
      EXPECT_LE(w.lumen_mm[a], 1.0 + 0.05) << "angle " << a << ": the lumen reaches into the calcium";
      EXPECT_LT(w.lumen_mm[a] / p.dr_mm, e.first_calcium[a] + 1e-9);
    }
    if (d > 60.0 * kPi / 180.0) {
      EXPECT_NEAR(w.lumen_mm[a], 1.5, 0.06) << a;
    }
  }
  // the outer wall takes the calcium in, and it is counted as calcified plaque
  for (int a = 0; a < 72; ++a)
    if (std::fabs(std::remainder(p.theta(a), 2 * kPi)) < 16.0 * kPi / 180.0) {
      EXPECT_NEAR(w.outer_mm[a], 2.0, 0.2) << a;  // the clamp moves a sharp 1000 HU edge out by ~0.15 mm
    }
  calcium_area = w.calcified_area_mm2;
  EXPECT_GT(calcium_area, 0.5 * (50.0 / 360.0) * kPi * (2.0 * 2.0 - 1.0));
}

TEST(WallSegmentation, NoEdgeIsAWarningNotACrash) {
  PolarImage p = synthetic_section(36, 40, 0.1, -1.0, -1.0, 0.0);  // all fat: no lumen
  const SectionWalls w = segment_walls(p, WallOptions{});
  EXPECT_FALSE(w.ok);
  EXPECT_NE(w.warning.find("no lumen edge"), std::string::npos) << w.warning;
  for (auto& v : p.values) v = std::nan("");
  const SectionWalls w2 = segment_walls(p, WallOptions{});
  EXPECT_FALSE(w2.ok);
  EXPECT_NE(w2.warning.find("outside the volume"), std::string::npos) << w2.warning;
}

TEST(Frames, OrthonormalRightHandedAndTwistFree) {
  std::vector<Point3> pts;
  for (int i = 0; i <= 200; ++i) {
    const double t = i / 200.0;
    pts.push_back({30 * std::cos(2 * t), 30 * std::sin(2 * t), 0.0});  // a planar arc
  }
  const auto f = rotation_minimising_frames(pts);
  for (const auto& fr : f) {
    EXPECT_NEAR(v_norm(fr.n1), 1.0, 1e-12);
    EXPECT_NEAR(v_dot(fr.n1, fr.t), 0.0, 1e-9);
    const Point3 c = v_cross(fr.n1, fr.n2);
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(c[k], fr.t[k], 1e-9);
  }
  // planar curve: the RMF normal out of the plane stays out of the plane (no twist)
  double zmin = 1.0;
  for (const auto& fr : f) zmin = std::min(zmin, std::max(std::fabs(fr.n1[2]), std::fabs(fr.n2[2])));
  EXPECT_GT(zmin, 1.0 - 1e-6);
  EXPECT_THROW(rotation_minimising_frames({{0, 0, 0}}), InputError);
}

TEST(Measurements, AreaDiametersCentroid) {
  std::vector<double> r(360, 2.0);
  EXPECT_NEAR(polar_contour_area(r), kPi * 4.0, 1e-3);
  double dmin, dmax;
  polar_feret_diameters(r, &dmin, &dmax);
  EXPECT_NEAR(dmin, 4.0, 1e-3);
  EXPECT_NEAR(dmax, 4.0, 1e-9);
  std::vector<double> e(360);
  for (int a = 0; a < 360; ++a) {
    const double t = 2 * kPi * a / 360;
    e[a] = 3.0 * 1.5 / std::hypot(1.5 * std::cos(t), 3.0 * std::sin(t));
  }
  polar_feret_diameters(e, &dmin, &dmax);
  EXPECT_NEAR(dmin, 3.0, 1e-3);
  EXPECT_NEAR(dmax, 6.0, 1e-9);
  double u, v;
  polar_centroid(r, &u, &v);
  EXPECT_NEAR(u, 0.0, 1e-12);
  EXPECT_NEAR(v, 0.0, 1e-12);
}

TEST(Measurements, StenosisPlaqueBurdenVolumes) {
  // vessel radius 2 everywhere; lumen radius 2 except a 50 % area stenosis at 20 mm; 0.5 mm steps
  std::vector<double> arc;
  std::vector<std::vector<double>> lum, out;
  for (int k = 0; k <= 80; ++k) {
    const double s = 0.5 * k;
    arc.push_back(s);
    const double f = std::fabs(s - 20.0) < 1e-9 ? 1.0 / std::sqrt(2.0) : 1.0;
    lum.push_back(std::vector<double>(72, 2.0 * f));
    out.push_back(std::vector<double>(72, 2.0));
  }
  std::vector<bool> ok(arc.size(), true);
  ok[3] = false;
  VesselMeasurement v;
  const auto m = measure_sections(arc, lum, out, std::vector<double>(arc.size(), 0.1), ok, MeasurementOptions{}, &v);
  EXPECT_TRUE(std::isnan(m[3].lumen_area_mm2));
  EXPECT_NEAR(v.min_lumen_area_arc_mm, 20.0, 1e-12);
  EXPECT_NEAR(v.max_area_stenosis_pct, 50.0, 1e-9);
  EXPECT_NEAR(m[40].plaque_burden_pct, 50.0, 1e-9);
  EXPECT_NEAR(v.remodeling_index, 1.0, 1e-9);
  const double a = polar_contour_area(out[0]);
  EXPECT_NEAR(v.plaque_volume_mm3, 2 * 0.5 * 0.5 * (0.5 * a), 1e-9);  // two trapezoids touch the lesion
  EXPECT_GT(v.calcified_volume_mm3, 0.0);
}

TEST(Measurements, BranchSectionsFlaggedAndLeftOutOfTheReference) {
  // lumen radius 2 except a 50 % area stenosis at 20 mm and a branch ostium at 13-14 mm (lumen
  // area x 1.5), inside the proximal reference window [10, 15] mm
  std::vector<double> arc;
  std::vector<std::vector<double>> lum, out;
  for (int k = 0; k <= 80; ++k) {
    const double s = 0.5 * k;
    arc.push_back(s);
    double f = std::fabs(s - 20.0) < 1e-9 ? 1.0 / std::sqrt(2.0) : 1.0;
    if (s >= 13.0 - 1e-9 && s <= 14.0 + 1e-9) f = std::sqrt(1.5);
    lum.push_back(std::vector<double>(72, 2.0 * f));
    out.push_back(std::vector<double>(72, 2.0 * std::max(1.0, f)));
  }
  VesselMeasurement v;
  const auto m = measure_sections(arc, lum, out, std::vector<double>(arc.size(), 0.0), std::vector<bool>(arc.size(), true),
                                  MeasurementOptions{}, &v);
  EXPECT_EQ(v.branch_sections, 3);
  for (size_t k = 0; k < arc.size(); ++k) EXPECT_EQ(m[k].branch_flag, arc[k] >= 13.0 - 1e-9 && arc[k] <= 14.0 + 1e-9) << arc[k];
  EXPECT_NEAR(v.lesion_arc_mm, 20.0, 1e-12);
  EXPECT_NEAR(v.lesion_area_stenosis_pct, 50.0, 1e-9);  // the branch sections did not inflate the reference
}

TEST(SurfaceMesh, WatertightOutwardVolume) {
  std::vector<Point3> c;
  for (int k = 0; k <= 40; ++k) c.push_back({0.5 * k, 0.0, 0.0});
  const auto f = rotation_minimising_frames(c);
  std::vector<std::vector<double>> r(c.size(), std::vector<double>(72, 1.5));
  for (double ext : {0.0, 2.0}) {
    const TriangleMesh m = tube_surface(c, f, r, ext, 0.5);
    std::int64_t bad = -1, mis = -1;
    mesh_edge_check(m, &bad, &mis);
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(mis, 0);
    const double L = 20.0 + 2 * ext * 2.0 * std::sqrt(polar_contour_area(r[0]) / kPi);  // extensions: equivalent diameters
    const double expect = polar_contour_area(r[0]) * L;
    EXPECT_GT(signed_volume(m), 0.0);
    EXPECT_NEAR(signed_volume(m) / expect, 1.0, 1e-6);
    int inlet = 0, outlet = 0, wall = 0;
    for (int id : m.entity_ids) (id == kInletEntity ? inlet : id == kOutletEntity ? outlet : wall)++;
    EXPECT_EQ(inlet, 72);
    EXPECT_EQ(outlet, 72);
    EXPECT_EQ(static_cast<size_t>(wall + inlet + outlet), m.triangles.size());
  }
}
