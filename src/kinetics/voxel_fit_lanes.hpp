#pragma once
// fit_voxel for several voxels at once, one voxel per lane of a host vector register
// (voxflow::simd::Pack, kLanes doubles): the Gpufit / Cpufit pattern with refill. The lanes run
// the one Trust Region Reflective state machine of bounded_lm.hpp (trf_tick with V = Pack);
// when a lane's voxel is finished (both starts of fit_voxel's rule, the better attempt, se,
// r_squared, rmse, status) the lane takes the next voxel of the block, so no lane idles on a
// slow voxel while others remain. Each lane's arithmetic is exactly the scalar arithmetic on
// its own data, so a voxel's result does not depend on which voxels shared the register or in
// which order they came (tests/test_kinetics_lanes.cpp).
// Only compiled where VOXFLOW_SIMD_LANES is 1 (host code with GCC/Clang vector extensions);
// elsewhere callers use fit_voxel (pixel_maps.cpp: fit_kinetics_items).
#include <cstdint>

#include "src/kinetics/bounded_lm.hpp"
#include "src/kinetics/lane_math.hpp"
#include "src/kinetics/voxel_fit.hpp"

#if VOXFLOW_SIMD_LANES

#include "src/kinetics/proxyl_lanes.hpp"

namespace voxflow::kinetics {

namespace detail {

/// The PROXYL problem of kLanes voxels (one per lane) evaluated lane by lane with the scalar
/// ProxylProblem: the same bits as fit_voxel, no speed-up of the evaluation. y is given
/// transposed (y[i][lane], i < n); t, n, the grid test are shared. The call shape of
/// ProxylLanes (proxyl_lanes.hpp): rss per lane, J^T J (row-major 8 x 8) and J^T r per lane.
struct ProxylLanesByLane : ProxylLanes {
  simd::Pack operator()(const simd::Pack* p, simd::Pack* jtj, simd::Pack* jtr) const {
    simd::Pack rss{};
    double yl[kMaxTimePoints];
    for (int l = 0; l < simd::kLanes; ++l) {
      for (int i = 0; i < n; ++i) yl[i] = y[i][l];
      const ProxylProblem pr{t, yl, n, uniform, dt, true};
      double pl[kNumParams], a[kNumParams * kNumParams], g[kNumParams];
      for (int q = 0; q < kNumParams; ++q) pl[q] = p[q][l];
      rss[l] = pr(pl, a, g);
      for (int q = 0; q < kNumParams * kNumParams; ++q) jtj[q][l] = a[q];
      for (int q = 0; q < kNumParams; ++q) jtr[q][l] = g[q];
    }
    return rss;
  }
};

/// Bookkeeping of the voxel in one lane: which item, which attempt, its box, its first start and
/// the first attempt's result.
struct LaneVoxel {
  std::int64_t item = -1;  ///< -1: idle
  int attempt = 0;         ///< 1, 2, or 3 (the first start continued, fit_voxel's rule)
  const double* y = nullptr;
  FitBounds b;
  double p_first[kNumParams];
  bool ok1 = false;
  bool capped1 = false;  ///< the first start stopped at kAttemptMaxNfev
  double p1[kNumParams];
  double rss1 = 0.0;
  double jtj1[kNumParams * kNumParams];
  VoxelFit out;
};

}  // namespace detail

/// Voxels per block of fit_voxels_lanes in bench_kinetics_fit's lanes solvers (the pipeline,
/// fit_kinetics_items, runs one fit_voxels_lanes_queue per thread over the whole range instead):
/// large enough that the lanes rarely idle at the end of a block behind one slow voxel (up to
/// 400 + 800 + 400 evaluations). Measured on 49,152 phantom voxels (bench_kinetics_fit --lane-block):
/// busy lanes per tick 89.7 / 93.5 / 95.7 / 96.7 / 97.2 % with 512 / 1024 / 2048 / 4096 /
/// 49,152 voxels per block; 32 / 128 / 512 voxels per block: 30.7 / 24.8 / 18.9 us per voxel.
constexpr int kLaneBlock = 2048;

/// Fits the voxels a queue hands out with the lanes of simd::Pack and refill: next() returns the
/// next voxel's index k >= 0 (or a negative value when the queue is empty; it may be shared by
/// threads), row(k) the k-th voxel's series (n values, times t_min[n] in minutes, ascending,
/// shared by all), sink(k, const VoxelFit&) receives its result: fit_voxel's steps; with
/// ProxylLanes (simd::exp, within 1 ulp of std::exp) the values agree with fit_voxel to rounding
/// where the path is the same, with ProxylLanesByLane (the scalar problem per lane) bit for bit.
/// Voxels that are not fitted (too few points, flat, non-finite) go to sink at once. Results
/// come in completion order, not item order, and do not depend on which voxels share the lanes.
/// Problem: a lane problem type constructible as Problem{t_min, y_transposed, n, uniform, dt}.
template <class Problem = ProxylLanes, class Next, class Rows, class Sink>
inline void fit_voxels_lanes_queue(const double* t_min, int n, const Next& next_item, const Rows& row, const Sink& sink) {
  using simd::kLanes;
  using simd::Pack;
  constexpr int N = kNumParams;
  if (n < kMinTimePoints || n > kMaxTimePoints) {
    for (std::int64_t k = next_item(); k >= 0; k = next_item()) {
      VoxelFit out;
      FitBounds b;
      double p0[N];
      prepare_voxel_fit(t_min, row(k), n, b, p0, out);
      sink(k, static_cast<const VoxelFit&>(out));
    }
    return;
  }
  const ProxylProblem grid = make_proxyl_problem(t_min, t_min, n);  // the grid's kind only
  alignas(64) Pack yt[kMaxTimePoints];
  for (int i = 0; i < n; ++i) yt[i] = Pack{};
  const Problem problem{t_min, yt, n, grid.uniform, grid.dt};
  const LsqOptions opt;
  TrfState<N, Pack> st;
  trf_idle<N>(st);
  detail::LaneVoxel lanes[kLanes];

  // starts an attempt from x0 in lane l with a budget of max_nfev evaluations (0: scipy's)
  auto start = [&](int l, const double* x0, int max_nfev) {
    Pack x0p[N], lbp[N], ubp[N];
    for (int i = 0; i < N; ++i) {
      x0p[i] = st.xe[i];
      lbp[i] = st.lb[i];
      ubp[i] = st.ub[i];
      x0p[i][l] = x0[i];
      lbp[i][l] = lanes[l].b.lo[i];
      ubp[i][l] = lanes[l].b.hi[i];
    }
    lane::SMask m{};
    m[l] = -1;
    trf_start<N>(st, m, x0p, lbp, ubp, max_nfev);
  };
  // loads the next fittable voxel of the block into lane l (or leaves it idle)
  auto refill = [&](int l) {
    detail::LaneVoxel& v = lanes[l];
    v.item = -1;
    for (std::int64_t k = next_item(); k >= 0; k = next_item()) {
      const double* y = row(k);
      if (!prepare_voxel_fit(t_min, y, n, v.b, v.p_first, v.out)) {
        sink(k, static_cast<const VoxelFit&>(v.out));
        continue;
      }
      v.item = k;
      v.y = y;
      v.attempt = 1;
      for (int i = 0; i < n; ++i) yt[i][l] = y[i];
      start(l, v.p_first, kAttemptMaxNfev);
      return;
    }
  };
  // the lane's attempt has finished: the second start, or the voxel's result and a refill
  auto finished = [&](int l) {
    detail::LaneVoxel& v = lanes[l];
    double p[N], jtj[N * N];
    for (int i = 0; i < N; ++i) p[i] = st.x[i][l];
    for (int i = 0; i < N * N; ++i) jtj[i] = st.jtj[i][l];
    const double rss = st.rss[l];
    const double sv = st.status[l];
    const LsqStatus status = sv == -100.0 ? LsqStatus::MaxEval : static_cast<LsqStatus>(static_cast<int>(sv));
    v.out.iterations += static_cast<int>(st.nfev[l]);
    const bool ok = attempt_ok(status, rss);
    if (v.attempt == 1) {
      v.ok1 = ok;
      v.capped1 = status == LsqStatus::MaxEval;
      v.rss1 = rss;
      for (int i = 0; i < N; ++i) v.p1[i] = p[i];
      for (int i = 0; i < N * N; ++i) v.jtj1[i] = jtj[i];
      // fit_voxel's wants_second_start, with the curve's range from the points in lanes
      if (!ok || bolus_measurable(proxyl_range_lanes(p, t_min, n), v.y, n)) {
        double p2[N];
        proxyl_fallback_guess(t_min, n, v.b, v.p_first, p2);
        v.attempt = 2;
        start(l, p2, second_start_max_nfev(ok));
        return;
      }
      finish_voxel_fit(ok, p, rss, jtj, v.y, n, v.b, v.out);
    } else if (v.attempt == 2 && continues_first_start(v.ok1, v.capped1, ok)) {
      // both starts failed and the first was stopped by its budget: it goes on from there
      v.attempt = 3;
      start(l, v.p1, kContinuedAttemptMaxNfev);
      return;
    } else if (ok && (!v.ok1 || rss < v.rss1)) {
      finish_voxel_fit(true, p, rss, jtj, v.y, n, v.b, v.out);
    } else {
      finish_voxel_fit(v.ok1, v.p1, v.rss1, v.jtj1, v.y, n, v.b, v.out);
    }
    sink(v.item, static_cast<const VoxelFit&>(v.out));
    refill(l);
  };

  for (int l = 0; l < kLanes; ++l) refill(l);
  while (true) {
    bool any = false;
    for (int l = 0; l < kLanes; ++l) any = any || lanes[l].item >= 0;
    if (!any) break;
    trf_tick<N>(st, problem, opt);
    for (int l = 0; l < kLanes; ++l) {
      // a lane may finish an attempt, start the second one, finish a voxel and take the next
      if (lanes[l].item >= 0 && st.phase[l] == trf_phase::kDone) finished(l);
    }
  }
}

/// fit_voxels_lanes_queue over the voxels 0 .. count-1 of a block, in order.
template <class Problem = ProxylLanes, class Rows, class Sink>
inline void fit_voxels_lanes(const double* t_min, int n, std::int64_t count, const Rows& row, const Sink& sink) {
  std::int64_t next = 0;
  fit_voxels_lanes_queue<Problem>(t_min, n, [&] { return next < count ? next++ : std::int64_t{-1}; }, row, sink);
}

}  // namespace voxflow::kinetics

#endif  // VOXFLOW_SIMD_LANES
