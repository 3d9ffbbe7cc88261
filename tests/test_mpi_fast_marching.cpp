// src/vessel/fast_marching under 1, 2 and 3 ranks:
//  - constant speed from a point: first order never under-estimates the Euclidean distance d and
//    over-estimates it by at most 0.10 d + 0.6 h (3D, h the spacing), the known O(h log 1/h)
//    point-source error of the first-order upwind scheme; second order by at most 0.04 d + 0.6 h;
//    both exact along the grid axes; anisotropic spacing scales the same;
//  - the distributed march equals a one-rank march of the whole volume on MPI_COMM_SELF: max
//    relative difference < 1e-6 (first order: the discrete solution is unique), also for second
//    order (see the bound below), for a random speed map, a zero-speed maze whose only corridor
//    crosses every slab face several times, early stop, and volumes with fewer planes than ranks;
//  - scikit-fmm's travel_time (Debian's python3-scikit-fmm; the point source is the zero contour
//    of phi = |x - s| - 1e-3) on a 2D and a 3D speed map: within 2e-3 + 1e-3 T (first order,
//    the same upwind scheme; the difference is the source initialisation) and 3e-3 + 2e-3 T
//    (second order; measured 1.3e-3 on the 3D case);
//  - zero-speed voxels stay +inf; errors for bad starts.
#include <cstring>
#include <limits>
#include <sstream>

#include "src/core/error.hpp"
#include "src/filters/frangi.hpp"
#include "src/vessel/fast_marching.hpp"
#include "src/vessel/lazy_speed.hpp"
#include "src/vessel/speed.hpp"
#include "src/vessel/vessel_phantom.hpp"
#include "tests/vessel_test_support.hpp"

using namespace voxflow;
using namespace voxflow::vessel_test;

namespace {

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new TempDirEnv);
constexpr double kInf = std::numeric_limits<double>::infinity();

/// The whole arrival-time map on rank 0 (x fastest), via the float volume's planes would lose
/// precision: gather the doubles plane by plane instead.
std::vector<double> gather_times(const vessel::FastMarchingResult& r, const Comm& comm) {
  const std::int64_t P = r.layout.plane_size(), nzg = r.layout.grid.nz();
  std::vector<double> all;
  if (comm.is_root()) all.assign(static_cast<size_t>(P * nzg), kInf);
  for (std::int64_t z = 0; z < nzg; ++z) {
    const int owner = owner_of_plane(z, nzg, comm.size());
    if (comm.rank() == owner) {
      std::vector<double> buf(static_cast<size_t>(P));
      r.arrival_time.copy_plane(z - r.layout.slab.z0, P, buf.data());
      const double* src = buf.data();
      if (comm.is_root())
        std::copy(src, src + P, all.begin() + z * P);
      else
        MPI_Send(src, static_cast<int>(P), MPI_DOUBLE, 0, 99, comm.comm);
    } else if (comm.is_root()) {
      MPI_Recv(all.data() + z * P, static_cast<int>(P), MPI_DOUBLE, owner, 99, comm.comm, MPI_STATUS_IGNORE);
    }
  }
  return all;
}

/// Distributed march == one-rank march (rank 0 compares); returns the max relative difference.
double check_distributed(const std::string& name, const Grid& g, const VoxelFn& speed, const vessel::VoxelIndex& s,
                         const vessel::FastMarchingOptions& o, vessel::FastMarchingResult* out = nullptr) {
  Comm comm;
  Volume3D sp = make_volume(g, comm, 0, speed);
  const vessel::FastMarchingResult r = vessel::fast_marching(sp, s, o, comm);
  const std::vector<double> mine = gather_times(r, comm);
  Comm self{MPI_COMM_SELF};
  Volume3D whole = make_volume(g, self, 0, speed);
  const vessel::FastMarchingResult w = vessel::fast_marching(whole, s, o, self);
  double worst = 0.0;
  long long inf_mismatch = 0, finite = 0;
  if (comm.is_root()) {
    for (size_t n = 0; n < mine.size(); ++n) {
      const double a = mine[n], b = w.arrival_time[n];
      if (std::isinf(a) || std::isinf(b)) {
        // with early stop, a time within round-off of the cutoff may fall on either side of it
        const double t = std::isinf(a) ? b : a;
        inf_mismatch += (a != b) && !(std::isfinite(t) && t >= w.cutoff_time * (1.0 - 1e-12));
        continue;
      }
      ++finite;
      worst = std::max(worst, std::fabs(a - b) / std::max(1e-12, std::fabs(b)));
    }
    std::printf("[ %s ] %d ranks: %lld rounds, %lld voxels marched, %lld reached; max rel diff to one rank %.3g\n",
                name.c_str(), comm.size(), static_cast<long long>(r.rounds), static_cast<long long>(r.voxels_marched),
                static_cast<long long>(r.voxels_reached), worst);
    EXPECT_EQ(inf_mismatch, 0) << name;
    EXPECT_GT(finite, 0) << name;
  }
  EXPECT_LE(std::abs(r.voxels_reached - w.voxels_reached), r.voxels_reached / 10000) << name;
  EXPECT_TRUE(r.end_time == w.end_time || std::fabs(r.end_time - w.end_time) <= 1e-12 * std::fabs(w.end_time)) << name;
  MPI_Bcast(&worst, 1, MPI_DOUBLE, 0, comm.comm);
  if (out) *out = r;
  return worst;
}

/// A corridor of speed 1 in zero-speed walls, in the x-z plane at y = 2..3: it runs up and
/// down the whole z range `laps` times while x advances, so it crosses every slab face 2*laps times.
float maze(std::int64_t i, std::int64_t j, std::int64_t k, std::int64_t nz) {
  if (j < 2 || j > 3) return 0.0f;
  // columns x = 1, 4, 7, ... are vertical legs; x = 2, 3 / 5, 6 ... connect at the top or bottom
  if (i < 1) return 0.0f;
  const std::int64_t leg = (i - 1) / 3, r = (i - 1) % 3;
  if (r == 0) return 1.0f;  // vertical leg
  const bool up = leg % 2 == 0;  // leg 0 goes up: connector at the top
  return (up ? k == nz - 1 : k == 0) ? 1.0f : 0.0f;
}

}  // namespace

TEST(FastMarching, ConstantSpeedIsEuclideanDistance) {
  Comm comm;
  for (int order = 1; order <= 2; ++order)
    for (const std::array<double, 3> sp : {std::array<double, 3>{1, 1, 1}, std::array<double, 3>{0.5, 0.7, 1.2}}) {
      const Grid g = make_grid(31, 27, 23, sp);
      const vessel::VoxelIndex s{13, 11, 9};
      vessel::FastMarchingOptions o;
      o.second_order = order == 2;
      Volume3D speed = make_volume(g, comm, 0, [](auto, auto, auto) { return 2.0f; });
      const auto r = vessel::fast_marching(speed, s, o, comm);
      const std::vector<double> t = gather_times(r, comm);
      if (!comm.is_root()) continue;
      const double hmax = std::max({sp[0], sp[1], sp[2]});
      double worst_over = -kInf, worst_under = 0.0, axis_err = 0.0, max_err = 0.0, max_rel_far = 0.0;
      for (std::int64_t k = 0; k < g.nz(); ++k)
        for (std::int64_t j = 0; j < g.ny(); ++j)
          for (std::int64_t i = 0; i < g.nx(); ++i) {
            const double dx = (i - s[0]) * sp[0], dy = (j - s[1]) * sp[1], dz = (k - s[2]) * sp[2];
            const double d = std::sqrt(dx * dx + dy * dy + dz * dz);
            const double tt = 2.0 * t[static_cast<size_t>(i + g.nx() * (j + g.ny() * k))];  // speed 2
            const double slope = order == 1 ? 0.10 : 0.04;
            worst_over = std::max(worst_over, (tt - d) - (slope * d + 0.6 * hmax));
            max_err = std::max(max_err, tt - d);
            if (d > 8.0 * hmax) max_rel_far = std::max(max_rel_far, (tt - d) / d);
            worst_under = std::max(worst_under, d - tt);
            const int on_axes = (i != s[0]) + (j != s[1]) + (k != s[2]);
            if (on_axes <= 1) axis_err = std::max(axis_err, std::fabs(tt - d));
          }
      std::printf("[ order %d spacing %.1f,%.1f,%.1f ] max T - d %.3g mm, max (T - d) / d beyond 8 h %.3g, "
                  "excess over the bound %.3g (<= 0), under-estimate %.3g, axis error %.3g\n",
                  order, sp[0], sp[1], sp[2], max_err, max_rel_far, worst_over, worst_under, axis_err);
      EXPECT_LE(worst_over, 0.0);
      EXPECT_LE(worst_under, order == 1 ? 1e-9 : 0.05 * hmax);
      EXPECT_LE(axis_err, 1e-9 * 40.0);
      EXPECT_EQ(r.voxels_reached, g.n_voxels());
      EXPECT_EQ(r.voxels_marched >= g.n_voxels(), true);
    }
}

TEST(FastMarching, DistributedEqualsOneRankRandomSpeed) {
  const Grid g = make_grid(23, 19, 17, {0.8, 1.0, 0.6});
  auto f = [](std::int64_t i, std::int64_t j, std::int64_t k) {
    const double u = unit(42, i + 23 * (j + 19 * k));
    return static_cast<float>(u < 0.08 ? 0.0 : 0.05 + 3.0 * u * u);  // 8 % walls, speeds 0.05..3
  };
  vessel::FastMarchingOptions o;
  EXPECT_LT(check_distributed("random_first", g, f, {11, 9, 8}, o), 1e-6);
  o.second_order = true;
  // Second order: each voxel's value also uses the neighbour beyond its upwind neighbour, when
  // accepted; acceptance follows (T, index) order on every rank alike, so the bound is the same.
  EXPECT_LT(check_distributed("random_second", g, f, {11, 9, 8}, o), 1e-6);
}

TEST(FastMarching, CorridorCrossingSlabFacesManyTimes) {
  Comm comm;
  const std::int64_t nz = 9;
  const Grid g = make_grid(20, 6, nz);
  auto f = [nz](auto i, auto j, auto k) { return maze(i, j, k, nz); };
  for (int order = 1; order <= 2; ++order) {
    vessel::FastMarchingOptions o;
    o.second_order = order == 2;
    vessel::FastMarchingResult r;
    EXPECT_LT(check_distributed(order == 1 ? "maze_first" : "maze_second", g, f, {1, 2, 0}, o, &r), 1e-6);
    if (comm.size() > 1) {
      EXPECT_GT(r.rounds, 4) << "the corridor should need several exchange rounds";
    }
    const std::vector<double> t = gather_times(r, comm);
    if (comm.is_root()) {
      // the last leg (x = 19) is reached only through every leg before it: its arrival time is
      // at least the corridor length along the legs, 6 legs of nz-1 planes plus connectors
      const double tl = t[static_cast<size_t>(19 + 20 * (2 + 6 * 0))];
      EXPECT_GE(tl, 6.0 * (nz - 1) + 6 * 3 - 1e-9);
      EXPECT_TRUE(std::isinf(t[static_cast<size_t>(0 + 20 * (2 + 6 * 4))]));  // wall voxel
      EXPECT_TRUE(std::isinf(t[static_cast<size_t>(5 + 20 * (0 + 6 * 4))]));  // wall voxel
    }
  }
}

TEST(FastMarching, FewerPlanesThanRanks) {
  for (std::int64_t nz : {1, 2}) {
    const Grid g = make_grid(9, 8, nz);
    auto f = [](std::int64_t i, std::int64_t j, std::int64_t k) {
      return static_cast<float>(0.5 + unit(3, i + 9 * (j + 8 * k)));
    };
    vessel::FastMarchingOptions o;
    EXPECT_LT(check_distributed("thin_" + std::to_string(nz), g, f, {4, 3, nz - 1}, o), 1e-6);
    o.second_order = true;
    EXPECT_LT(check_distributed("thin2_" + std::to_string(nz), g, f, {0, 0, 0}, o), 1e-6);
  }
}

TEST(FastMarching, EarlyStopIsConsistentAcrossRanks) {
  Comm comm;
  const Grid g = make_grid(21, 17, 19);
  auto f = [](std::int64_t i, std::int64_t j, std::int64_t k) {
    return static_cast<float>(0.2 + unit(8, i + 21 * (j + 17 * k)));
  };
  vessel::FastMarchingOptions o;
  o.stop_at_end = true;
  o.end_voxel = {15, 12, 16};
  o.stop_margin = 0.05;
  vessel::FastMarchingResult r;
  EXPECT_LT(check_distributed("early_stop", g, f, {3, 4, 1}, o, &r), 1e-6);
  EXPECT_TRUE(std::isfinite(r.end_time));
  EXPECT_LT(r.voxels_reached, g.n_voxels());
  // the values kept are the full march's values
  Volume3D sp = make_volume(g, comm, 0, f);
  const auto full = vessel::fast_marching(sp, {3, 4, 1}, vessel::FastMarchingOptions{}, comm);
  long long bad = 0, kept = 0;
  for (std::int64_t n = 0; n < full.arrival_time.size(); ++n) {
    const double a = r.arrival_time[n], b = full.arrival_time[n];
    const bool near_cutoff = std::fabs(b - r.cutoff_time) <= 1e-12 * r.cutoff_time;
    if (near_cutoff) continue;  // may fall on either side of the cutoff (round-off)
    if (b <= r.cutoff_time) {
      ++kept;
      bad += !(std::fabs(a - b) <= 1e-12 * b);
    } else {
      bad += !std::isinf(a);
    }
  }
  EXPECT_EQ(comm.sum(bad), 0LL);
  EXPECT_LE(std::abs(comm.sum(kept) - static_cast<long long>(r.voxels_reached)), 2LL);
}

TEST(FastMarching, EarlyStopOnPhantomSpeedEqualsOneRank) {
  // the speed map of the pipeline (Frangi 1, 2, 3 voxels, power form) of a small CTA phantom,
  // computed on each rank alone; then the distributed early-stop march vs the one-rank march
  vessel::VesselPhantomOptions po;
  po.dims = {64, 64, 40};
  const auto tr = vessel::vessel_phantom_truth(po);
  Comm self{MPI_COMM_SELF};
  const Volume3D img = vessel::vessel_phantom_volume(tr, po, make_slab(40, 0, 1));
  const Volume3D sp = vessel::speed_from_vesselness(filters::frangi_vesselness(img, {}, self).vesselness, {}, self);
  const std::vector<float> s = gather_volume(sp, self);
  auto f = [&s](std::int64_t i, std::int64_t j, std::int64_t k) { return s[static_cast<size_t>(i + 64 * (j + 64 * k))]; };
  for (int order = 1; order <= 2; ++order) {
    vessel::FastMarchingOptions o;
    o.second_order = order == 2;
    o.stop_at_end = true;
    o.end_voxel = tr.end_voxel;
    vessel::FastMarchingResult r;
    EXPECT_LT(check_distributed(order == 1 ? "phantom_early" : "phantom_early2", tr.grid, f, tr.start_voxel, o, &r), 1e-6);
    EXPECT_TRUE(std::isfinite(r.end_time));
  }
}

// The lazy speed (vesselness computed block by block where the front goes) gives the march of
// the whole-volume speed map with the same reference, bit for bit, while computing a fraction of
// the volume; first and second order, 1, 2 and 3 ranks, early stop at the end click.
TEST(FastMarching, LazyVesselnessSpeedEqualsWholeVolumeSpeed) {
  Comm comm;
  vessel::VesselPhantomOptions po;
  po.dims = {64, 64, 40};
  const auto tr = vessel::vessel_phantom_truth(po);
  const Volume3D img = vessel::vessel_phantom_volume(tr, po, make_slab(40, comm.rank(), comm.size()));
  const filters::FrangiOptions fo;
  const vessel::SpeedOptions so;
  const std::vector<vessel::VoxelIndex> clicks{tr.start_voxel, tr.end_voxel};
  const filters::FrangiResult fr = filters::frangi_vesselness(img, fo, comm);
  const double vref = vessel::reference_vesselness(fr.vesselness, clicks, 8, comm);
  const Volume3D sp = vessel::speed_from_vesselness(fr.vesselness, so, comm, nullptr, vref);
  for (int order = 1; order <= 2; ++order) {
    vessel::FastMarchingOptions o;
    o.second_order = order == 2;
    o.stop_at_end = true;
    o.end_voxel = tr.end_voxel;
    const auto dense = vessel::fast_marching(sp, tr.start_voxel, o, comm);
    vessel::LazyVesselnessSpeed lz(img, fo, so, comm, nullptr, 16);
    EXPECT_EQ(lz.set_reference(clicks, 8, comm), vref);
    const auto lazy = vessel::fast_marching(lz, tr.start_voxel, o, comm);
    ASSERT_EQ(lazy.arrival_time.size(), dense.arrival_time.size());
    // one rank: bitwise; several: the two marches open their early-stop windows at other times
    // (the lazy source only knows a bound of the maximum speed), which may leave a last-bit
    // difference (fast_marching.hpp) and move a voxel within round-off of the cutoff
    long long differ = 0, reach = 0;
    double rel = 0.0;
    for (std::int64_t n = 0; n < lazy.arrival_time.size(); ++n) {
      const double x = lazy.arrival_time[n], y = dense.arrival_time[n];
      differ += std::memcmp(&x, &y, sizeof(double)) != 0;
      if (std::isfinite(x) != std::isfinite(y))
        ++reach;
      else if (std::isfinite(x))
        rel = std::max(rel, std::fabs(x - y) / std::max(1e-300, std::fabs(y)));
    }
    if (comm.size() == 1) {
      EXPECT_EQ(differ, 0LL) << "order " << order;
      EXPECT_EQ(lazy.end_time, dense.end_time);
    }
    EXPECT_LE(comm.sum(reach), 2LL) << "order " << order;
    EXPECT_LE(comm.max(rel), 1e-12) << "order " << order;
    EXPECT_NEAR(lazy.end_time, dense.end_time, 1e-12 * dense.end_time);
    EXPECT_TRUE(std::isfinite(lazy.end_time));
    const long long computed = comm.sum(static_cast<long long>(lz.voxels_computed()));
    const long long nblocks = comm.sum(static_cast<long long>(lz.blocks_computed()));
    if (comm.is_root())
      std::printf("[ lazy order %d ] %lld of %lld voxels computed (%.1f %%), %lld blocks; %lld voxels reached\n", order,
                  computed, static_cast<long long>(tr.grid.n_voxels()), 100.0 * computed / tr.grid.n_voxels(),
                  nblocks, static_cast<long long>(lazy.voxels_reached));
    EXPECT_LT(computed, tr.grid.n_voxels());
    EXPECT_GT(computed, lazy.voxels_reached);
    // the vesselness it reports equals the whole-volume map where computed, NaN elsewhere
    const Volume3D lv = lz.vesselness_volume();
    auto a = Kokkos::create_mirror_view(lv.data);
    auto b = Kokkos::create_mirror_view(fr.vesselness.data);
    Kokkos::deep_copy(a, lv.data);
    Kokkos::deep_copy(b, fr.vesselness.data);
    long long bad = 0, finite = 0;
    for (std::int64_t m = 0; m < lv.layout.owned_voxels(); ++m) {
      const float x = a(m), y = b(fr.vesselness.layout.owned_to_storage(m));
      if (std::isnan(x)) continue;
      ++finite;
      bad += x != y;
    }
    EXPECT_EQ(comm.sum(bad), 0LL);
    EXPECT_EQ(comm.sum(finite), computed);
  }
}

TEST(FastMarching, MatchesScikitFmm) {
  Comm comm;
  const char* oracle = R"PY(
import sys
import numpy as np
import skfmm
src, dst, nx, ny, nz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sx, sy, sz = float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
hx, hy, hz, order = float(sys.argv[9]), float(sys.argv[10]), float(sys.argv[11]), int(sys.argv[12])
speed = np.fromfile(src, dtype=np.float32).reshape(nz, ny, nx).astype(np.float64)
Z, Y, X = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
phi = np.sqrt(((X - sx) * hx) ** 2 + ((Y - sy) * hy) ** 2 + ((Z - sz) * hz) ** 2) - 1e-3
dx = [hz, hy, hx]
if nz == 1:  # the 2D case
    speed, phi, dx = speed[0], phi[0], [hy, hx]
t = skfmm.travel_time(phi, speed, dx=dx, order=order)
np.asarray(np.ma.filled(t, np.inf), dtype=np.float64).tofile(dst)
)PY";
  struct Case {
    std::string name;
    Grid g;
    vessel::VoxelIndex s;
  };
  const std::vector<Case> cases = {{"skfmm_2d", make_grid(41, 37, 1, {0.7, 0.9, 1.0}), {12, 20, 0}},
                                   {"skfmm_3d", make_grid(25, 21, 19, {0.5, 0.5, 0.8}), {8, 10, 9}}};
  for (const Case& c : cases)
    for (int order = 1; order <= 2; ++order) {
      const Grid& g = c.g;
      auto f = [](std::int64_t i, std::int64_t j, std::int64_t k) {
        return static_cast<float>(0.5 + 1.5 * (0.5 + 0.5 * std::sin(0.31 * i + 0.17 * j - 0.23 * k)));
      };
      Volume3D sp = make_volume(g, comm, 0, f);
      vessel::FastMarchingOptions o;
      o.second_order = order == 2;
      const auto r = vessel::fast_marching(sp, c.s, o, comm);
      const std::vector<double> mine = gather_times(r, comm);
      const std::vector<float> speed = gather_volume(sp, comm);
      const std::string name = c.name + "_o" + std::to_string(order);
      const std::string src = TempDirEnv::dir() + "/" + name + "_speed.raw", dst = TempDirEnv::dir() + "/" + name + ".raw";
      if (comm.is_root()) write_raw(src, speed);
      std::ostringstream args;
      args.precision(17);
      args << src << " " << dst << " " << g.nx() << " " << g.ny() << " " << g.nz() << " " << c.s[0] << " " << c.s[1]
           << " " << c.s[2] << " " << g.spacing_mm[0] << " " << g.spacing_mm[1] << " " << g.spacing_mm[2] << " "
           << order;
      ASSERT_EQ(run_oracle(oracle, args.str(), name), 0);
      if (!comm.is_root()) continue;
      std::vector<double> theirs(static_cast<size_t>(g.n_voxels()));
      {
        std::ifstream in(dst, std::ios::binary);
        in.read(reinterpret_cast<char*>(theirs.data()), static_cast<std::streamsize>(theirs.size() * 8));
        ASSERT_TRUE(in.good());
      }
      double worst = 0.0, worst_rel = 0.0;
      for (size_t n = 0; n < mine.size(); ++n) {
        if (n == static_cast<size_t>(c.s[0] + g.nx() * (c.s[1] + g.ny() * c.s[2]))) continue;  // the source
        const double d = std::fabs(mine[n] - theirs[n]);
        worst = std::max(worst, d);
        worst_rel = std::max(worst_rel, d / std::max(1.0, theirs[n]));
        const double tol = order == 1 ? 2e-3 + 1e-3 * theirs[n] : 3e-3 + 2e-3 * theirs[n];
        ASSERT_LE(d, tol) << name << " voxel " << n << " voxflow " << mine[n] << " scikit-fmm " << theirs[n];
      }
      std::printf("[ %s ] max |voxflow - scikit-fmm| %.3g (relative %.3g)\n", name.c_str(), worst, worst_rel);
    }
}

TEST(FastMarching, ZeroSpeedAndBadStarts) {
  Comm comm;
  const Grid g = make_grid(8, 7, 6);
  // a wall at x = 4 cuts the volume in two
  auto f = [](std::int64_t i, std::int64_t, std::int64_t) { return i == 4 ? 0.0f : 1.0f; };
  Volume3D sp = make_volume(g, comm, 0, f);
  const auto r = vessel::fast_marching(sp, {1, 1, 1}, {}, comm);
  long long bad = 0;
  for (std::int64_t k = 0; k < sp.layout.slab.nz; ++k)
    for (std::int64_t j = 0; j < 7; ++j)
      for (std::int64_t i = 0; i < 8; ++i) {
        const double t = r.arrival_time[i + 8 * (j + 7 * k)];
        bad += (i >= 4) != std::isinf(t);
      }
  EXPECT_EQ(comm.sum(bad), 0LL);
  EXPECT_EQ(r.voxels_reached, 4 * 7 * 6);
  vessel::FastMarchingOptions o;
  o.stop_at_end = true;
  o.end_voxel = {6, 1, 1};  // unreachable: the march ends with the end at +inf, no hang
  const auto u = vessel::fast_marching(sp, {1, 1, 1}, o, comm);
  EXPECT_TRUE(std::isinf(u.end_time));
  EXPECT_THROW(vessel::fast_marching(sp, {4, 1, 1}, {}, comm), InputError);  // zero-speed start
  EXPECT_THROW(vessel::fast_marching(sp, {8, 1, 1}, {}, comm), InputError);  // outside
  EXPECT_THROW(vessel::fast_marching(sp, {1, 1, -1}, {}, comm), InputError);
  o.end_voxel = {1, 1, 6};
  EXPECT_THROW(vessel::fast_marching(sp, {1, 1, 1}, o, comm), InputError);
  Volume3D neg = make_volume(g, comm, 0, [](auto i, auto, auto k) { return (i == 2 && k == 5) ? -1.0f : 1.0f; });
  EXPECT_THROW(vessel::fast_marching(neg, {1, 1, 1}, {}, comm), InputError);
}
