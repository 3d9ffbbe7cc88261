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
#include "src/kinetics/phantom.hpp"
#include "src/kinetics/voxel_fit.hpp"
#include "src/kinetics/voxel_fit_lanes.hpp"

namespace vk = voxflow::kinetics;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

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

}  // namespace

TEST(KineticsTrfStateMachine, ScalarTicksAreBoundedLeastSquares) {
  // y = a exp(-b t) through trf_start / trf_tick with V = double, against the wrapper
  struct ExpDecay {
    const double* t;
    const double* y;
    int n;
    double operator()(const double* p, double* jtj, double* jtr) const {
      double f = 0, a00 = 0, a01 = 0, a11 = 0, g0 = 0, g1 = 0;
      for (int i = 0; i < n; ++i) {
        const double e = std::exp(-p[1] * t[i]);
        const double r = p[0] * e - y[i];
        const double j0 = e, j1 = -p[0] * t[i] * e;
        f += r * r;
        a00 += j0 * j0;
        a01 += j0 * j1;
        a11 += j1 * j1;
        g0 += j0 * r;
        g1 += j1 * r;
      }
      jtj[0] = a00;
      jtj[1] = a01;
      jtj[2] = a01;
      jtj[3] = a11;
      jtr[0] = g0;
      jtr[1] = g1;
      return f;
    }
  };
  std::vector<double> t(30), y(30);
  for (int i = 0; i < 30; ++i) {
    t[i] = 0.5 * i;
    y[i] = 3.0 * std::exp(-0.7 * t[i]) + 0.01 * std::sin(3.0 * i);
  }
  const ExpDecay problem{t.data(), y.data(), 30};
  const double lo[2] = {0.0, 0.0}, hi[2] = {10.0, 0.5};  // the rate ends at its bound
  double x[2] = {1.0, 0.1};
  const vk::LsqResult<2> r = vk::bounded_least_squares<2>(problem, x, lo, hi, vk::LsqOptions{});
  vk::TrfState<2, double> st;
  vk::trf_idle<2>(st);
  const double x0[2] = {1.0, 0.1};
  vk::trf_start<2>(st, true, x0, lo, hi, 0);
  int ticks = 0;
  while (vk::trf_tick<2>(st, problem, vk::LsqOptions{})) ++ticks;
  ++ticks;
  EXPECT_EQ(ticks, r.nfev);  // one evaluation per tick
  EXPECT_TRUE(same_bits(st.x[0], x[0]));
  EXPECT_TRUE(same_bits(st.x[1], x[1]));
  EXPECT_TRUE(same_bits(st.rss, r.rss));
  EXPECT_EQ(static_cast<int>(st.nfev), r.nfev);
  EXPECT_TRUE(vk::lsq_converged(r.status));
  EXPECT_GT(x[1], 0.49);
  EXPECT_LE(x[1], 0.5);
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
