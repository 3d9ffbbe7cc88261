// The Trust Region Reflective state machine (trf_start / trf_tick, bounded_lm.hpp) and the
// lane driver with refill (fit_voxels_lanes, voxel_fit_lanes.hpp): a voxel's result does not
// depend on which voxels shared the lanes or in which order they came (bit for bit), it is
// fit_voxel's result, degenerate series get fit_voxel's statuses inside a block, and the
// state machine with V = double is bounded_least_squares.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <vector>

#include "src/kinetics/bounded_lm.hpp"
#include "src/kinetics/fit_bounds.hpp"
#include "src/kinetics/phantom.hpp"
#include "src/kinetics/voxel_fit.hpp"
#include "src/kinetics/voxel_fit_lanes.hpp"

namespace vk = voxflow::kinetics;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

#if VOXFLOW_SIMD_LANES
void expect_same_fit(const vk::VoxelFit& a, const vk::VoxelFit& b, long v) {
  for (int k = 0; k < vk::kNumParams; ++k) {
    EXPECT_TRUE(same_bits(a.p[k], b.p[k])) << "voxel " << v << " p" << k << ": " << a.p[k] << " vs " << b.p[k];
    EXPECT_TRUE(same_bits(a.se[k], b.se[k])) << "voxel " << v << " se" << k;
  }
  EXPECT_TRUE(same_bits(a.rss, b.rss)) << "voxel " << v;
  EXPECT_TRUE(same_bits(a.r_squared, b.r_squared)) << "voxel " << v;
  EXPECT_TRUE(same_bits(a.rmse, b.rmse)) << "voxel " << v;
  EXPECT_EQ(a.iterations, b.iterations) << "voxel " << v;
  EXPECT_EQ(static_cast<int>(a.status), static_cast<int>(b.status)) << "voxel " << v;
}

// Phantom series of every stride-th voxel of the default phantom (all three regions), plus
// degenerate series: flat, a NaN, all zero.
struct Sample {
  int nt = 60;
  std::vector<double> t;
  std::vector<double> y;  // [nvox, nt]
  long nvox = 0;
};

Sample make_sample(int stride) {
  Sample s;
  const vk::PhantomSpec spec;
  s.t.resize(s.nt);
  for (int q = 0; q < s.nt; ++q) s.t[q] = vk::phantom_time_min(spec, q);
  long idx = 0;
  for (int k = 0; k < spec.nz; ++k)
    for (int j = 0; j < spec.ny; ++j)
      for (int i = 0; i < spec.nx; ++i, ++idx) {
        if (idx % stride != 0) continue;
        for (int q = 0; q < s.nt; ++q) s.y.push_back(vk::phantom_signal(spec, i, j, k, q));
        ++s.nvox;
        if (s.nvox % 37 == 5) {  // a degenerate series now and then, inside the blocks
          const int kind = static_cast<int>(s.nvox / 37) % 3;
          for (int q = 0; q < s.nt; ++q) s.y.push_back(kind == 0 ? 100.0 : (kind == 1 && q == 7 ? NAN : 0.0));
          ++s.nvox;
        }
      }
  return s;
}

#endif

}  // namespace

TEST(KineticsTrfStateMachine, ScalarTicksAreBoundedLeastSquares) {
  // trf_start / trf_tick with V = double on phantom voxels (tumour, muscle, background),
  // against the wrapper: one evaluation per tick, the same iterate
  const vk::PhantomSpec spec;
  const int nt = 60;
  std::vector<double> t(nt), y(nt);
  for (int q = 0; q < nt; ++q) t[q] = vk::phantom_time_min(spec, q);
  const int voxels[3][3] = {{40, 60, 4}, {100, 64, 2}, {5, 5, 4}};
  for (const auto& ijk : voxels) {
    for (int q = 0; q < nt; ++q) y[q] = vk::phantom_signal(spec, ijk[0], ijk[1], ijk[2], q);
    vk::FitBounds b;
    ASSERT_TRUE(vk::proxyl_bounds(t.data(), y.data(), nt, b));
    double x0[8], x[8];
    vk::proxyl_initial_guess(t.data(), y.data(), nt, b, x0);
    std::copy(x0, x0 + 8, x);
    const vk::ProxylProblem problem = vk::make_proxyl_problem(t.data(), y.data(), nt);
    const vk::LsqResult<8> r = vk::bounded_least_squares<8>(problem, x, b.lo, b.hi, vk::LsqOptions{});
    vk::TrfState<8, double> st;
    vk::trf_idle<8>(st);
    vk::trf_start<8>(st, true, x0, b.lo, b.hi, 0);
    int ticks = 1;
    while (vk::trf_tick<8>(st, problem, vk::LsqOptions{})) ++ticks;
    EXPECT_EQ(ticks, r.nfev);  // one evaluation per tick
    EXPECT_EQ(static_cast<int>(st.nfev), r.nfev);
    EXPECT_TRUE(vk::lsq_converged(r.status));
    EXPECT_TRUE(same_bits(st.rss, r.rss));
    for (int q = 0; q < 8; ++q) EXPECT_TRUE(same_bits(st.x[q], x[q])) << q;
  }
}

#if VOXFLOW_SIMD_LANES

TEST(KineticsLanes, ResultDoesNotDependOnLaneCompanionsOrOrder) {
  const Sample s = make_sample(97);  // ~1,520 phantom voxels + ~40 degenerate ones
  ASSERT_GT(s.nvox, 1000);
  const int nt = s.nt;
  // reference: the whole sample as one block, in order
  std::vector<vk::VoxelFit> ref(s.nvox);
  std::vector<int> seen(s.nvox, 0);
  vk::fit_voxels_lanes(
      s.t.data(), nt, s.nvox, [&](std::int64_t k) { return &s.y[k * nt]; },
      [&](std::int64_t k, const vk::VoxelFit& f) {
        ref[k] = f;
        ++seen[k];
      });
  for (long v = 0; v < s.nvox; ++v) ASSERT_EQ(seen[v], 1) << v;
  // every status occurs: the sample exercises both starts, failures and bounds
  int counts[5] = {0, 0, 0, 0, 0};
  long second = 0;
  for (const auto& f : ref) {
    counts[static_cast<int>(f.status)]++;
    second += f.iterations > 100 ? 1 : 0;
  }
  EXPECT_GT(counts[static_cast<int>(vk::FitStatus::Ok)], 0);
  EXPECT_GT(counts[static_cast<int>(vk::FitStatus::AtBound)], 0);
  EXPECT_GT(counts[static_cast<int>(vk::FitStatus::FitFailed)], 0);
  EXPECT_GT(second, 0);

  // other groupings: reversed order; blocks of 1, 3, 17 and 64 voxels; an interleaved order
  std::vector<std::vector<long>> orders;
  std::vector<long> rev(s.nvox);
  for (long v = 0; v < s.nvox; ++v) rev[v] = s.nvox - 1 - v;
  orders.push_back(rev);
  std::vector<long> inter;
  for (long m = 0; m < 5; ++m)
    for (long v = m; v < s.nvox; v += 5) inter.push_back(v);
  orders.push_back(inter);
  for (const auto& order : orders) {
    for (long block : {1L, 3L, 17L, 64L, s.nvox}) {
      for (long b0 = 0; b0 < s.nvox; b0 += block) {
        const long cnt = std::min(block, s.nvox - b0);
        vk::fit_voxels_lanes(
            s.t.data(), nt, cnt, [&](std::int64_t k) { return &s.y[order[b0 + k] * nt]; },
            [&](std::int64_t k, const vk::VoxelFit& f) { expect_same_fit(f, ref[order[b0 + k]], order[b0 + k]); });
      }
      if (HasFailure()) return;
    }
  }
}

TEST(KineticsLanes, EqualsFitVoxelWithTheScalarProblemInLanes) {
  // ProxylLanesByLane evaluates each lane with the scalar ProxylProblem: every lane operation of
  // the state machine is the scalar one, so the results are fit_voxel's bit for bit
  const Sample s = make_sample(211);
  const int nt = s.nt;
  vk::fit_voxels_lanes<vk::detail::ProxylLanesByLane>(
      s.t.data(), nt, s.nvox, [&](std::int64_t k) { return &s.y[k * nt]; },
      [&](std::int64_t k, const vk::VoxelFit& f) {
        expect_same_fit(f, vk::fit_voxel(s.t.data(), &s.y[k * nt], nt), k);
      });
}

TEST(KineticsLanes, AttemptBudgetsAreFitVoxels) {
  // the phantom voxels of test_kinetics_fit's budget tests (a first start stopped at its budget;
  // both starts failing and the first continued) among ordinary ones, several times over so that
  // they meet different companions: fit_voxel's results bit for bit (ProxylLanesByLane)
  const vk::PhantomSpec spec;
  const int nt = 60;
  std::vector<double> t(nt), y;
  for (int q = 0; q < nt; ++q) t[q] = vk::phantom_time_min(spec, q);
  const int special[][3] = {{96, 0, 0}, {5, 97, 2}};
  long nvox = 0;
  for (int rep = 0; rep < 3 * voxflow::simd::kLanes; ++rep) {
    const int* v = special[rep % 2];
    for (int q = 0; q < nt; ++q) y.push_back(vk::phantom_signal(spec, v[0], v[1], v[2], q));
    ++nvox;
    for (int o = 0; o < rep % 5; ++o, ++nvox)
      for (int q = 0; q < nt; ++q) y.push_back(vk::phantom_signal(spec, 40 + rep, 60 + o, 4, q));
  }
  long checked = 0;
  vk::fit_voxels_lanes<vk::detail::ProxylLanesByLane>(
      t.data(), nt, nvox, [&](std::int64_t k) { return &y[k * nt]; },
      [&](std::int64_t k, const vk::VoxelFit& f) {
        expect_same_fit(f, vk::fit_voxel(t.data(), &y[k * nt], nt), k);
        ++checked;
      });
  EXPECT_EQ(checked, nvox);
}

TEST(KineticsLanes, AgreesWithFitVoxel) {
  // ProxylLanes uses simd::exp (within 1 ulp of std::exp): the values agree with fit_voxel to
  // rounding where both take the same path; where rounding sends a voxel to another local
  // minimum the rss may differ either way, on a few voxels only
  const Sample s = make_sample(53);
  const int nt = s.nt;
  long n = 0, same_status = 0, close = 0, worse = 0;
  vk::fit_voxels_lanes(
      s.t.data(), nt, s.nvox, [&](std::int64_t k) { return &s.y[k * nt]; },
      [&](std::int64_t k, const vk::VoxelFit& f) {
        const vk::VoxelFit g = vk::fit_voxel(s.t.data(), &s.y[k * nt], nt);
        ++n;
        same_status += f.status == g.status ? 1 : 0;
        if (std::isnan(g.rss)) {
          close += std::isnan(f.rss) ? 1 : 0;
          return;
        }
        close += std::fabs(f.rss - g.rss) <= 1e-9 * g.rss ? 1 : 0;
        worse += f.rss > g.rss * (1 + 1e-3) ? 1 : 0;
      });
  ASSERT_EQ(n, s.nvox);
  std::printf("lanes vs fit_voxel: %ld voxels, same status %ld, rss within 1e-9: %ld, worse by > 0.1 %%: %ld\n", n,
              same_status, close, worse);
  EXPECT_GE(close, 0.97 * n);
  EXPECT_GE(same_status, 0.97 * n);
  EXPECT_LE(worse, 0.01 * n);
}

TEST(KineticsLanes, TooFewPointsAndSmallBlocks) {
  const vk::PhantomSpec spec;
  std::vector<double> t(6), y(6);
  for (int q = 0; q < 6; ++q) {
    t[q] = vk::phantom_time_min(spec, q);
    y[q] = vk::phantom_signal(spec, 40, 60, 4, q);
  }
  int calls = 0;
  vk::fit_voxels_lanes(
      t.data(), 6, 3, [&](std::int64_t) { return y.data(); },
      [&](std::int64_t, const vk::VoxelFit& f) {
        ++calls;
        EXPECT_EQ(static_cast<int>(f.status), static_cast<int>(vk::FitStatus::TooFewPoints));
        EXPECT_TRUE(std::isnan(f.p[0]));
      });
  EXPECT_EQ(calls, 3);
  // nothing to do
  vk::fit_voxels_lanes(
      t.data(), 6, 0, [&](std::int64_t) { return y.data(); }, [&](std::int64_t, const vk::VoxelFit&) { ++calls; });
  EXPECT_EQ(calls, 3);
}

#else

TEST(KineticsLanes, BuiltWithoutLanes) {
  // this build has no host vector lanes (VOXFLOW_SIMD_LANES 0): fit_kinetics_items uses
  // fit_voxel; the lane tests above need a native build on AVX or later
  EXPECT_EQ(VOXFLOW_SIMD_LANES, 0);
}

#endif
