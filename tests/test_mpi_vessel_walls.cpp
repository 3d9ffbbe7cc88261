// voxflow vessel part 2 (issue 12) on the 96 x 96 x 64 CTA phantom (0.4 mm), under 1, 2 and 3
// ranks: the walls stage (run_vessel_walls) started from the true centerline displaced by a
// smooth 0.3 mm wave (a first path that cuts corners):
//  - the refined centerline lies within one voxel of the truth along >= 95 % of its length;
//  - the lumen area is within 10 % of the truth outside the lesions (median);
//  - the 50 % area stenosis is found at the stenosis and measured within 4 points; the plaque
//    burden there is within 6 points of the truth, and its median outside the lesions (truth 0)
//    at most 5 %;
//  - contours and measurements are bitwise identical to an MPI_COMM_SELF run on rank 0;
//  - a centerline that leaves the volume gives warnings for the sections outside, not a crash;
//    cross-sections larger than the volume allows, and a line through fat only, are InputErrors
//    on every rank (nothing can be segmented), never a hang.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "src/core/error.hpp"
#include "src/pipelines/vessel_walls_run.hpp"
#include "src/vessel/centerline.hpp"
#include "src/vessel/vessel_phantom.hpp"
#include "tests/vessel_test_support.hpp"

using namespace voxflow;
using namespace voxflow::vessel_test;
using vessel::Point3;

namespace {

constexpr double kPi = 3.14159265358979323846;

vessel::VesselPhantomOptions small_phantom() {
  vessel::VesselPhantomOptions o;
  o.dims = {96, 96, 64};
  o.spacing_mm = 0.4;
  return o;
}

double dist(const Point3& a, const Point3& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

/// Index of the truth point nearest to p.
size_t nearest(const Point3& p, const std::vector<Point3>& c) {
  size_t best = 0;
  for (size_t m = 1; m < c.size(); ++m)
    if (dist(p, c[m]) < dist(p, c[best])) best = m;
  return best;
}

/// The true centerline between the clicks, displaced by 0.3 mm * sin(2 pi s / 8 mm) along a fixed
/// direction, smoothed and resampled like part 1's output.
vessel::Centerline first_path(const vessel::VesselPhantomTruth& tr) {
  const size_t a = nearest(tr.start_mm, tr.centerline_mm), b = nearest(tr.end_mm, tr.centerline_mm);
  std::vector<Point3> pts;
  for (size_t m = a; m <= b; ++m) {
    const double w = 0.3 * std::sin(2 * kPi * tr.arc_length_mm[m] / 8.0);
    const Point3& p = tr.centerline_mm[m];
    pts.push_back({p[0] + 0.6 * w, p[1] - 0.8 * w, p[2]});
  }
  return vessel::smooth_and_resample(pts, {});
}

pipelines::VesselWallsResult walls_on(const vessel::VesselPhantomTruth& tr, const vessel::VesselPhantomOptions& o,
                                      const vessel::Centerline& line, const pipelines::VesselWallOptions& wo,
                                      const Comm& comm) {
  const Volume3D img = vessel::vessel_phantom_volume(tr, o, make_slab(o.dims[2], comm.rank(), comm.size()));
  return pipelines::run_vessel_walls(line, img, wo, comm);
}

}  // namespace

TEST(VesselWalls, PhantomAccuracyAndRankIndependence) {
  Comm comm;
  const auto o = small_phantom();
  const auto tr = vessel::vessel_phantom_truth(o);
  const vessel::Centerline line = first_path(tr);
  pipelines::VesselWallOptions wo;
  const auto r = walls_on(tr, o, line, wo, comm);
  const size_t n = r.ok.size();
  ASSERT_EQ(n, r.centerline.points_mm.size());
  ASSERT_EQ(n, r.sections.size());
  if (comm.is_root()) {
    // refined centerline within one voxel of the truth along >= 95 %
    size_t within = 0;
    for (const auto& p : r.centerline.points_mm) within += dist(p, tr.centerline_mm[nearest(p, tr.centerline_mm)]) <= 0.4 ? 1 : 0;
    const double frac = double(within) / double(n);
    std::printf("refined centerline within one voxel: %.1f %% of %zu samples\n", 100 * frac, n);
    EXPECT_GE(frac, 0.95);
    // lumen area outside the lesions
    std::vector<double> rel, burden;
    size_t segmented = 0;
    for (size_t k = 0; k < n; ++k) {
      if (!r.ok[k]) continue;
      ++segmented;
      const size_t m = nearest(r.centerline.points_mm[k], tr.centerline_mm);
      const double s = tr.arc_length_mm[m];
      if (std::fabs(s - tr.stenosis_arc_mm) < 4 * tr.stenosis_sigma_mm) continue;
      if (std::fabs(s - tr.calcium_arc_mm) < tr.calcium_radius_mm + tr.outer_radius_mm[m] + 0.5) continue;
      const double truth = kPi * tr.lumen_radius_mm[m] * tr.lumen_radius_mm[m];
      rel.push_back(std::fabs(r.sections[k].lumen_area_mm2 / truth - 1.0));
      burden.push_back(r.sections[k].plaque_burden_pct);  // the truth: 0 (no plaque outside the lesions)
    }
    EXPECT_GE(segmented, n * 9 / 10);
    ASSERT_GT(rel.size(), n / 2);
    std::nth_element(rel.begin(), rel.begin() + static_cast<long>(rel.size() / 2), rel.end());
    const double med = rel[rel.size() / 2];
    std::printf("lumen area outside the lesions: median relative error %.1f %% over %zu sections\n", 100 * med, rel.size());
    EXPECT_LE(med, 0.05);  // 2.9 % with the two-edge model (issue 12 asks <= 10 %)
    std::nth_element(burden.begin(), burden.begin() + static_cast<long>(burden.size() / 2), burden.end());
    std::printf("plaque burden outside the lesions: median %.1f %% (truth 0; 24 %% with the DP edges alone)\n",
                burden[burden.size() / 2]);
    EXPECT_LE(burden[burden.size() / 2], 5.0);
    // the stenosis: where, how much; plaque burden there
    size_t kmin = 0;
    while (std::fabs(r.centerline.arc_length_mm[kmin] - r.vessel.lesion_arc_mm) > 1e-9) ++kmin;
    EXPECT_NEAR(r.vessel.lesion_area_stenosis_pct, r.sections[kmin].area_stenosis_pct, 1e-12);
    const double d = dist(r.centerline.points_mm[kmin], tr.stenosis_mm);
    const size_t m = nearest(r.centerline.points_mm[kmin], tr.centerline_mm);
    const double truth_burden = 100.0 * (1.0 - std::pow(tr.lumen_radius_mm[m] / tr.outer_radius_mm[m], 2));
    std::printf("lesion (lumen area %.2f mm2) at %.2f mm from the true stenosis; area stenosis %.1f %% (truth 50); "
                "plaque burden %.1f %% (truth %.1f); remodeling index %.2f; plaque volume %.1f mm3, calcified %.2f mm3\n",
                r.sections[kmin].lumen_area_mm2, d, r.sections[kmin].area_stenosis_pct, r.sections[kmin].plaque_burden_pct,
                truth_burden, r.vessel.remodeling_index, r.vessel.plaque_volume_mm3, r.vessel.calcified_volume_mm3);
    EXPECT_LE(d, 2.0);
    // two-edge model: 50.2 % and 46.0 % (truth 49.7); the DP edges alone read 43.6 %
    EXPECT_NEAR(r.sections[kmin].area_stenosis_pct, 50.0, 4.0);
    EXPECT_NEAR(r.sections[kmin].plaque_burden_pct, truth_burden, 6.0);
    EXPECT_GT(r.vessel.calcified_volume_mm3, 0.0);
    // the same on one rank, bit for bit
    Comm self{MPI_COMM_SELF};
    const auto r1 = walls_on(tr, o, line, wo, self);
    ASSERT_EQ(r1.ok, r.ok);
    EXPECT_EQ(r1.centerline.points_mm, r.centerline.points_mm);
    EXPECT_EQ(r1.lumen_mm, r.lumen_mm);
    EXPECT_EQ(r1.outer_mm, r.outer_mm);
    for (size_t k = 0; k < n; ++k) {
      const auto &a = r1.sections[k], &b = r.sections[k];
      if (!r.ok[k]) continue;
      EXPECT_EQ(a.lumen_area_mm2, b.lumen_area_mm2);
      EXPECT_EQ(a.vessel_area_mm2, b.vessel_area_mm2);
      EXPECT_EQ(a.area_stenosis_pct, b.area_stenosis_pct);
      EXPECT_EQ(a.calcified_area_mm2, b.calcified_area_mm2);
    }
    auto same_bits = [](const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0) return false;
      return true;
    };
    EXPECT_TRUE(same_bits(r1.cpr_rows, r.cpr_rows));
    EXPECT_TRUE(same_bits(r1.panel_images, r.panel_images));
  }
  comm.barrier();
}

TEST(VesselWalls, LineLeavingTheVolumeWarnsPerSection) {
  Comm comm;
  const auto o = small_phantom();
  const auto tr = vessel::vessel_phantom_truth(o);
  vessel::Centerline line = first_path(tr);
  // continue the line 8 mm straight out of the volume's corner region beyond its end
  std::vector<Point3> pts = line.points_mm;
  const Point3 e = pts.back(), far = vessel::voxel_to_world(tr.grid.affine, {130.0, 48.0, 32.0});
  for (int i = 1; i <= 40; ++i) {
    const double f = i / 40.0;
    pts.push_back({e[0] + f * (far[0] - e[0]), e[1] + f * (far[1] - e[1]), e[2] + f * (far[2] - e[2])});
  }
  vessel::CenterlineOptions co;
  co.smoothing_mm = 0.0;
  const vessel::Centerline out = vessel::smooth_and_resample(pts, co);
  pipelines::VesselWallOptions wo;
  wo.refine_passes = 0;
  wo.pictures = false;
  pipelines::VesselWallsResult r;
  ASSERT_NO_THROW(r = walls_on(tr, o, out, wo, comm));
  EXPECT_FALSE(r.warnings.empty());
  bool outside = false;
  for (const auto& w : r.warnings) outside = outside || w.text.find("outside the volume") != std::string::npos;
  EXPECT_TRUE(outside);
  EXPECT_FALSE(r.ok.back());
  EXPECT_TRUE(std::isnan(r.sections.back().lumen_area_mm2));
}

TEST(VesselWalls, NothingSegmentableIsAnInputErrorOnEveryRank) {
  Comm comm;
  const auto o = small_phantom();
  const auto tr = vessel::vessel_phantom_truth(o);
  pipelines::VesselWallOptions wo;
  wo.max_radius_mm = 60.0;  // larger than the 38 mm volume allows
  EXPECT_THROW(walls_on(tr, o, first_path(tr), wo, comm), InputError);
  // a straight line through the fat beside the vessel (> 6 mm from it): no lumen edge anywhere
  std::vector<Point3> pts;
  for (int i = 0; i <= 20; ++i) pts.push_back(vessel::voxel_to_world(tr.grid.affine, {62.0 + 1.25 * i, 84.0, 48.0}));
  EXPECT_THROW(walls_on(tr, o, vessel::smooth_and_resample(pts, {}), pipelines::VesselWallOptions{}, comm), InputError);
  comm.barrier();
}
