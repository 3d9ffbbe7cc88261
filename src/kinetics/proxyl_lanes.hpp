#pragma once
// The least-squares problem of the PROXYL model (proxyl_model.hpp) for simd::kLanes voxels at
// once, one voxel per lane (SIMD across voxels): the lane counterpart of ProxylProblem
// (voxel_fit.hpp), with the same call shape, for a solver instantiated on simd::Pack.
// Host code only, compiled where VOXFLOW_SIMD_LANES is 1 (src/core/simd_pack.hpp); elsewhere
// the scalar ProxylProblem is the path.
#include "src/core/simd_pack.hpp"

#if VOXFLOW_SIMD_LANES
#include "src/kinetics/proxyl_model.hpp"

namespace voxflow::kinetics {

/// kLanes voxels sharing one time axis. t[n]: sample times (minutes, ascending, n >= 2);
/// y[n]: the voxels' samples transposed (y[i][lane] = sample i of the lane's voxel); uniform /
/// dt: t[i] == t[0] + i dt up to rounding (as make_proxyl_problem detects it).
///
/// operator()(p, jtj, jtr): for every lane at the parameters p[q][lane] (q in param:: order)
/// returns rss = sum_i r_i^2, r_i = I(t_i; p) - y_i, and writes J^T J (row-major 8 x 8 Packs,
/// full) and J^T r (8 Packs), J the analytic Jacobian of I (proxyl_model.hpp), in one pass over
/// the points. The bolus term and its columns are on for t > t0, the slow term and its columns
/// for t > tmax, so at a kink the t0 / tmax derivative is the one from the side where the term is
/// off (0), as in ProxylProblem. Lane results are independent of each other: a voxel gets the
/// same bits in any lane and next to any other voxels.
///
/// Exponentials: on a uniform grid each lane starts its three exponentials at its first point
/// after t0 (resp. tmax) and advances them by one multiplication per point
/// (exp(-k (u + dt)) = exp(-k u) exp(-k dt)); otherwise 3 per point. simd::exp, not std::exp, and
/// fused multiply-adds (simd::fma) in the sums,
/// so values agree with ProxylProblem to rounding (~1e-15 relative), not bit for bit.
struct ProxylLanes {
  const double* t;
  const simd::Pack* y;
  int n;
  bool uniform;
  double dt;

  simd::Pack operator()(const simd::Pack* p, simd::Pack* jtj, simd::Pack* jtr) const {
    using simd::Mask;
    using simd::Pack;
    using simd::select;
    const Pack a0 = p[param::A0], a1 = p[param::A1], a2 = p[param::A2];
    const Pack kb = p[param::kb], kd = p[param::kd], knt = p[param::knt];
    const Pack t0 = p[param::t0], tmax = p[param::tmax];
    const Pack zero = simd::broadcast(0.0);
    // exponentials at each lane's first point after t0 / tmax (uniform grid)
    Pack eb = simd::broadcast(1.0), ed = eb, en = eb, qb = eb, qd = eb, qn = eb;
    if (uniform) {
      Mask ib = Mask{}, is = Mask{};  // number of points with t <= t0 / t <= tmax
      for (int i = 0; i < n; ++i) {
        ib -= t[i] <= t0;  // a true comparison is -1
        is -= t[i] <= tmax;
      }
      Pack tb, ts;
      for (int j = 0; j < simd::kLanes; ++j) {
        tb[j] = t[ib[j] < n ? ib[j] : n - 1];
        ts[j] = t[is[j] < n ? is[j] : n - 1];
      }
      eb = simd::exp(-kb * (tb - t0));
      ed = simd::exp(-kd * (tb - t0));
      en = simd::exp(-knt * (ts - tmax));
      qb = simd::exp(-kb * dt);
      qd = simd::exp(-kd * dt);
      qn = simd::exp(-knt * dt);
    }
    constexpr int kN = kNumParams;
    Pack acc[kN * (kN + 1) / 2];  // upper triangle of J^T J, row by row
    Pack g[kN];
    for (int q = 0; q < kN * (kN + 1) / 2; ++q) acc[q] = zero;
    for (int q = 0; q < kN; ++q) g[q] = zero;
    Pack f = zero;
    for (int i = 0; i < n; ++i) {
      const double ti = t[i];
      const Mask on_b = ti > t0;
      const Mask on_s = ti > tmax;
      const Pack u = ti - t0;
      const Pack v = ti - tmax;
      if (!uniform) {
        eb = simd::exp(-kb * u);
        ed = simd::exp(-kd * u);
        en = simd::exp(-knt * v);
      }
      const Pack ebed = eb * ed;
      const Pack bolus_on = ed - ebed;
      Pack jl[kN];
      jl[param::A0] = simd::broadcast(1.0);
      jl[param::A1] = select(on_b, bolus_on, zero);
      jl[param::kb] = select(on_b, a1 * u * ebed, zero);
      jl[param::kd] = select(on_b, -a1 * u * bolus_on, zero);
      jl[param::t0] = select(on_b, -a1 * (kb * ebed - kd * bolus_on), zero);
      jl[param::A2] = select(on_s, 1.0 - en, zero);
      jl[param::knt] = select(on_s, a2 * v * en, zero);
      jl[param::tmax] = select(on_s, -a2 * knt * en, zero);
      if (uniform) {
        eb = select(on_b, eb * qb, eb);
        ed = select(on_b, ed * qd, ed);
        en = select(on_s, en * qn, en);
      }
      const Pack r = a0 + a1 * jl[param::A1] + a2 * jl[param::A2] - y[i];
      f = simd::fma(r, r, f);
      // row A0: its column is 1, so its sums need no products (1 x == x exactly)
      g[0] += r;
      for (int w = 0; w < kN; ++w) acc[w] += jl[w];
      int k = kN;
      for (int q = 1; q < kN; ++q) {
        g[q] = simd::fma(jl[q], r, g[q]);
        for (int w = q; w < kN; ++w, ++k) acc[k] = simd::fma(jl[q], jl[w], acc[k]);
      }
    }
    int k = 0;
    for (int q = 0; q < kN; ++q) {
      jtr[q] = g[q];
      for (int w = q; w < kN; ++w, ++k) {
        jtj[q * kN + w] = acc[k];
        jtj[w * kN + q] = acc[k];
      }
    }
    return f;
  }
};

/// max - min of the model I(t_i; p) (proxyl_model.hpp) over the sample times t[0..n) (n >= 1) of
/// one voxel, with the points in the lanes (kLanes points per step, the last point repeated to
/// fill the final step) and simd::exp (within 1 ulp of std::exp): the lane driver's form of
/// detail::model_range for the second-start test (voxel_fit_lanes.hpp); 3 glibc exponentials per
/// point made model_range about 1.1 us of a voxel's ~16 us. The same formula and operation order
/// as proxyl_model, so the two agree to the exponentials' rounding.
inline double proxyl_range_lanes(const double* p, const double* t, int n) {
  using simd::Pack;
  using simd::broadcast;
  const Pack a0 = broadcast(p[param::A0]), a1 = broadcast(p[param::A1]), a2 = broadcast(p[param::A2]);
  const Pack kb = broadcast(p[param::kb]), kd = broadcast(p[param::kd]), knt = broadcast(p[param::knt]);
  const Pack t0 = broadcast(p[param::t0]), tmax = broadcast(p[param::tmax]);
  const Pack zero = broadcast(0.0), one = broadcast(1.0);
  Pack lo = broadcast(__builtin_inf()), hi = broadcast(-__builtin_inf());
  for (int i0 = 0; i0 < n; i0 += simd::kLanes) {
    Pack tt;
    for (int j = 0; j < simd::kLanes; ++j) tt[j] = t[i0 + j < n ? i0 + j : n - 1];
    const Pack u = tt - t0, v = tt - tmax;
    const Pack bolus = simd::select(u > 0.0, (one - simd::exp(-kb * u)) * simd::exp(-kd * u), zero);
    const Pack slow = simd::select(v > 0.0, one - simd::exp(-knt * v), zero);
    const Pack val = a0 + a1 * bolus + a2 * slow;
    lo = simd::min(lo, val);
    hi = simd::max(hi, val);
  }
  double l = lo[0], h = hi[0];
  for (int j = 1; j < simd::kLanes; ++j) {
    l = lo[j] < l ? lo[j] : l;
    h = hi[j] > h ? hi[j] : h;
  }
  return h - l;
}

}  // namespace voxflow::kinetics
#endif
