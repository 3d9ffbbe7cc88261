#pragma once
// Variable-projection fit of the extended PROXYL model (voxflow's default kinetics solver;
// method, measurements and sources in docs/kinetics_fit.md):
//
//  * the amplitudes A0, A1, A2 enter linearly: for fixed rates and onsets
//    theta = (kb, kd, knt, t0, tmax) they are the exact bounded linear least-squares solution
//    (bounded_amplitudes.hpp), so the fit is a 5-parameter problem in theta only
//    (Golub & Pereyra, SIAM J. Numer. Anal. 10 (1973) 413; Golub & Pereyra, Inverse Problems
//    19 (2003) R1);
//  * its Jacobian is Kaufman's approximation J = P_F^perp D (Kaufman, BIT 15 (1975) 49), with
//    D = d(Phi a)/d theta at fixed a and P_F^perp the projector orthogonal to the columns of
//    the free amplitudes; J^T r is the exact gradient of the projected rss;
//  * scipy's TRF (bounded_lm.hpp, unchanged) refines theta from the original's start, from
//    the best point of a coarse grid over theta (each grid point one pass over the samples and
//    a 3 x 3 bounded solve) and from the original's second start, then restarts across the
//    sample intervals next to t0 (kink escape); the lowest minimum is kept.
//
// Status (measured, docs/kinetics_fit.md): an experimental solver, not used by the pipeline.
// On 2,100 phantom voxels it needs ~4.4x the instructions of fit_voxel (~345 passes/voxel),
// finds a strictly lower minimum than scipy on ~60 % of the voxels but is no worse than scipy
// (within 0.1 %) on only ~96 % (fit_voxel: 99.7 %), and on the unidentifiable background its
// lower minima fit the noise (larger kb/kd/knt errors than scipy).
//
// One pass over the samples accumulates E^T E and E^T y for the 8 columns
// E = [1, B, S, dB/dkb, dB/dkd, dS/dknt, dB/dt0, dS/dtmax] (B = (1 - e^{-kb u}) e^{-kd u},
// S = 1 - e^{-knt v}); rss, the amplitudes, J^T J and J^T r all follow from these sums, so one
// variable-projection evaluation costs the same pass as one evaluation of the full model.
// Everything is allocation-free and KOKKOS_INLINE_FUNCTION.
#include <Kokkos_Core.hpp>

#include "src/core/kokkos_compat.hpp"
#include "src/kinetics/bounded_amplitudes.hpp"
#include "src/kinetics/bounded_lm.hpp"
#include "src/kinetics/fit_bounds.hpp"
#include "src/kinetics/proxyl_model.hpp"
#include "src/kinetics/voxel_fit.hpp"

namespace voxflow::kinetics {

/// Number of nonlinear parameters (kb, kd, knt, t0, tmax = param indices 3..7).
constexpr int kNumRates = 5;

/// Sums of one pass: ete = E^T E (row-major 8 x 8, symmetric, filled on return of
/// varpro_sums), ety = E^T y, for the columns E listed at the top of this file (index q =
/// the parameter whose derivative column it is: 0 = 1, 1 = B, 2 = S, 3 = dB/dkb, 4 = dB/dkd,
/// 5 = dS/dknt, 6 = dB/dt0, 7 = dS/dtmax).
struct VarProSums {
  double ete[kNumParams * kNumParams];
  double ety[kNumParams];
};

/// One voxel's data for the variable-projection fit (build with make_varpro_data): times t
/// (minutes, ascending), signal y, n points, uniform-grid flag and step, y^T y and sum y.
struct VarProData {
  const double* t;
  const double* y;
  int n;
  bool uniform;
  double dt;
  double yty;
  double sy;
};

KOKKOS_INLINE_FUNCTION VarProData make_varpro_data(const double* t, const double* y, int n) {
  const ProxylProblem pr = make_proxyl_problem(t, y, n);
  VarProData d{t, y, n, pr.uniform, pr.dt, 0.0, 0.0};
  for (int i = 0; i < n; ++i) {
    d.yty += y[i] * y[i];
    d.sy += y[i];
  }
  return d;
}

namespace detail {

/// Adds the points [ib, ie) to ete (upper triangle) and ety with the bolus term on (kBolus)
/// and/or the slow term on (kSlow); kDeriv: all 8 columns, else only 1, B, S. The constant
/// column's own sums (n, sum y) are set by the caller. th = (kb, kd, knt, t0, tmax).
template <bool kBolus, bool kSlow, bool kDeriv>
KOKKOS_INLINE_FUNCTION void varpro_range(const VarProData& d, int ib, int ie, const double* th,
                                         double* ete, double* ety) {
  if (ib >= ie) return;
  constexpr int kNa = kDeriv ? (kBolus && kSlow ? 8 : (kBolus ? 5 : 4))
                             : (kBolus && kSlow ? 3 : 2);
  constexpr int kNt = kNa * (kNa + 1) / 2;
  constexpr int kIdx[6][8] = {
      {0, 2, 5, 7, 0, 0, 0, 0},  // slow, deriv
      {0, 1, 3, 4, 6, 0, 0, 0},  // bolus, deriv
      {0, 1, 2, 3, 4, 5, 6, 7},  // both, deriv
      {0, 2, 0, 0, 0, 0, 0, 0},  // slow
      {0, 1, 0, 0, 0, 0, 0, 0},  // bolus
      {0, 1, 2, 0, 0, 0, 0, 0},  // both
  };
  constexpr int kRow = (kDeriv ? 0 : 3) + (kBolus && kSlow ? 2 : (kBolus ? 1 : 0));
  const double kb = th[0], kd = th[1], knt = th[2], t0 = th[3], tm = th[4];
  double eb = 1.0, ed = 1.0, en = 1.0, qb = 1.0, qd = 1.0, qn = 1.0;
  if (d.uniform) {
    if (kBolus) {
      const double u = d.t[ib] - t0;
      eb = voxflow::kmath::exp(-kb * u);
      ed = voxflow::kmath::exp(-kd * u);
      qb = voxflow::kmath::exp(-kb * d.dt);
      qd = voxflow::kmath::exp(-kd * d.dt);
    }
    if (kSlow) {
      en = voxflow::kmath::exp(-knt * (d.t[ib] - tm));
      qn = voxflow::kmath::exp(-knt * d.dt);
    }
  }
  double acc[kNt];
  double gacc[kNa];
  VOXFLOW_KINETICS_UNROLL
  for (int q = 0; q < kNt; ++q) acc[q] = 0.0;
  VOXFLOW_KINETICS_UNROLL
  for (int q = 0; q < kNa; ++q) gacc[q] = 0.0;
  for (int i = ib; i < ie; ++i) {
    double c[kNa];
    c[0] = 1.0;
    int k = 1;
    double bol = 0.0, ebed = 0.0, u = 0.0, sl = 0.0, v = 0.0;
    if (kBolus) {
      u = d.t[i] - t0;
      if (!d.uniform) {
        eb = voxflow::kmath::exp(-kb * u);
        ed = voxflow::kmath::exp(-kd * u);
      }
      ebed = eb * ed;
      bol = ed - ebed;
      c[k++] = bol;
    }
    if (kSlow) {
      v = d.t[i] - tm;
      if (!d.uniform) en = voxflow::kmath::exp(-knt * v);
      sl = 1.0 - en;
      c[k++] = sl;
    }
    if constexpr (kDeriv) {
      if (kBolus) {
        c[k++] = u * ebed;   // dB/dkb
        c[k++] = -u * bol;   // dB/dkd
      }
      if (kSlow) c[k++] = v * en;  // dS/dknt
      if (kBolus) c[k++] = -(kb * ebed - kd * bol);  // dB/dt0
      if (kSlow) c[k++] = -knt * en;                 // dS/dtmax
    }
    eb *= qb;
    ed *= qd;
    en *= qn;
    const double yi = d.y[i];
    VOXFLOW_KINETICS_UNROLL
    for (int q = 0; q < kNa; ++q) {
      gacc[q] += c[q] * yi;
      VOXFLOW_KINETICS_UNROLL
      for (int w = q; w < kNa; ++w) acc[q * kNa - q * (q - 1) / 2 + (w - q)] += c[q] * c[w];
    }
  }
  VOXFLOW_KINETICS_UNROLL
  for (int q = 0; q < kNa; ++q) {
    const int iq = kIdx[kRow][q];
    if (q > 0) ety[iq] += gacc[q];
    VOXFLOW_KINETICS_UNROLL
    for (int w = q; w < kNa; ++w) {
      if (q == 0 && w == 0) continue;
      const int iw = kIdx[kRow][w];
      ete[iq * kNumParams + iw] += acc[q * kNa - q * (q - 1) / 2 + (w - q)];
    }
  }
}

}  // namespace detail

/// One pass over the samples at th = (kb, kd, knt, t0, tmax): fills s.ete / s.ety (all 8
/// columns when kDeriv, else only the 3 x 3 block of 1, B, S and its E^T y; other entries
/// unspecified). The points are split at t0 and tmax into the ranges where the bolus / slow
/// terms are off (zero columns, not accumulated); on a uniform grid the exponentials advance
/// by one multiplication per point.
template <bool kDeriv>
KOKKOS_INLINE_FUNCTION void varpro_sums(const VarProData& d, const double* th, VarProSums& s) {
  constexpr int kNc = kDeriv ? kNumParams : kNumAmplitudes;
  for (int i = 0; i < kNc; ++i) {
    s.ety[i] = 0.0;
    for (int j = 0; j < kNc; ++j) s.ete[i * kNumParams + j] = 0.0;
  }
  s.ete[0] = d.n;
  s.ety[0] = d.sy;
  const int n = d.n;
  int ib = n, is = n;
  for (int i = 0; i < n; ++i) {
    if (d.t[i] > th[3]) {
      ib = i;
      break;
    }
  }
  for (int i = 0; i < n; ++i) {
    if (d.t[i] > th[4]) {
      is = i;
      break;
    }
  }
  const int i1 = ib < is ? ib : is;
  const int i2 = ib < is ? is : ib;
  if (ib < is) {
    detail::varpro_range<true, false, kDeriv>(d, i1, i2, th, s.ete, s.ety);
  } else {
    detail::varpro_range<false, true, kDeriv>(d, i1, i2, th, s.ete, s.ety);
  }
  detail::varpro_range<true, true, kDeriv>(d, i2, n, th, s.ete, s.ety);
  for (int i = 0; i < kNc; ++i) {
    for (int j = 0; j < i; ++j) s.ete[i * kNumParams + j] = s.ete[j * kNumParams + i];
  }
}

/// The 3 x 3 Gram matrix G = Phi^T Phi and b = Phi^T y of the amplitude columns from s.
KOKKOS_INLINE_FUNCTION void varpro_gram(const VarProSums& s, double* g, double* b) {
  for (int i = 0; i < kNumAmplitudes; ++i) {
    b[i] = s.ety[i];
    for (int j = 0; j < kNumAmplitudes; ++j) g[i * 3 + j] = s.ete[i * kNumParams + j];
  }
}

/// The variable-projection problem of one voxel for bounded_least_squares<kNumRates>:
/// x = (kb, kd, knt, t0, tmax); returns the projected rss (amplitudes = bounded_amplitudes
/// in the box alo..ahi) and writes Kaufman's J^T J (5 x 5) and the gradient J^T r.
struct VarProProblem {
  VarProData d;
  double alo[kNumAmplitudes];
  double ahi[kNumAmplitudes];

  KOKKOS_INLINE_FUNCTION double operator()(const double* x, double* jtj, double* jtr) const {
    VarProSums s;
    varpro_sums<true>(d, x, s);
    double g[9], b[3], a[3];
    bool fr[3];
    varpro_gram(s, g, b);
    const double q = bounded_amplitudes(g, b, alo, ahi, a, fr);
    // D = d(Phi a)/d theta at fixed a: column k = scale_k * E column (3 + k)
    const double sc[kNumRates] = {a[1], a[1], a[2], a[1], a[2]};
    for (int k = 0; k < kNumRates; ++k) {
      const int ek = 3 + k;
      double dphia = 0.0;
      for (int j = 0; j < kNumAmplitudes; ++j) dphia += s.ete[ek * kNumParams + j] * a[j];
      jtr[k] = sc[k] * (dphia - s.ety[ek]);
      for (int l = 0; l < kNumRates; ++l) {
        jtj[k * kNumRates + l] = sc[k] * sc[l] * s.ete[ek * kNumParams + 3 + l];
      }
    }
    // Kaufman: subtract C^T G_FF^-1 C, C = Phi_F^T D (Cholesky of G_FF; free set from the solve)
    int f[3], m = 0;
    for (int j = 0; j < kNumAmplitudes; ++j) {
      if (fr[j]) f[m++] = j;
    }
    double l[9];
    bool ok = m > 0;
    for (int j = 0; j < m && ok; ++j) {
      double dd = g[f[j] * 4];
      for (int k = 0; k < j; ++k) dd -= l[j * 3 + k] * l[j * 3 + k];
      if (!(dd > 1e-12 * g[f[j] * 4])) {
        ok = false;
        break;
      }
      l[j * 3 + j] = voxflow::kmath::sqrt(dd);
      for (int i = j + 1; i < m; ++i) {
        double sv = g[f[i] * 3 + f[j]];
        for (int k = 0; k < j; ++k) sv -= l[i * 3 + k] * l[j * 3 + k];
        l[i * 3 + j] = sv / l[j * 3 + j];
      }
    }
    if (ok) {
      // W = L^-1 C (m x 5); J^T J -= W^T W
      double w[3 * kNumRates];
      for (int k = 0; k < kNumRates; ++k) {
        for (int i = 0; i < m; ++i) {
          double sv = sc[k] * s.ete[f[i] * kNumParams + 3 + k];
          for (int c = 0; c < i; ++c) sv -= l[i * 3 + c] * w[c * kNumRates + k];
          w[i * kNumRates + k] = sv / l[i * 3 + i];
        }
      }
      for (int k = 0; k < kNumRates; ++k) {
        for (int l2 = 0; l2 < kNumRates; ++l2) {
          double sv = 0.0;
          for (int i = 0; i < m; ++i) sv += w[i * kNumRates + k] * w[i * kNumRates + l2];
          jtj[k * kNumRates + l2] -= sv;
        }
        if (jtj[k * kNumRates + k] < 0.0) jtj[k * kNumRates + k] = 0.0;  // rounding
      }
    }
    const double rss = d.yty + q;
    return rss > 0.0 ? rss : 0.0;
  }
};

/// Projected rss at th (amplitudes only, no derivatives): one pass plus a bounded 3 x 3 solve;
/// the amplitudes are written to a[3].
KOKKOS_INLINE_FUNCTION double varpro_rss(const VarProData& d, const double* th, const double* alo,
                                         const double* ahi, double* a) {
  VarProSums s;
  varpro_sums<false>(d, th, s);
  double g[9], b[3];
  bool fr[3];
  varpro_gram(s, g, b);
  const double q = bounded_amplitudes(g, b, alo, ahi, a, fr);
  const double rss = d.yty + q;
  return rss > 0.0 ? rss : 0.0;
}

/// Options of fit_voxel_varpro (defaults: the lowest minima measured; docs/kinetics_fit.md
/// lists each variant's figures).
struct VarProOptions {
  bool grid = true;            ///< coarse start grid, TRF from its best point
  bool fallback_start = true;  ///< TRF from the original's second start (proxyl_fallback_guess)
  bool kink_escape = true;     ///< restarts across the sample intervals next to t0
  bool snr_gate = false;       ///< below kSecondStartSnr keep the minimum from the original's start
  int max_nfev = 0;            ///< per refinement; 0: scipy's default 100 x 5
};

namespace detail {

/// The coarse start grid (docs/kinetics_fit.md): rates log-spaced over the box; t0 half a
/// sample either side of the original's onset estimate; tmax at the midpoint of every
/// kGridTmaxStep-th sample interval.
constexpr int kGridKb = 5;
constexpr double kGridKbValues[kGridKb] = {0.03, 0.08, 0.2, 0.5, 1.2};
constexpr int kGridKd = 4;
constexpr double kGridKdValues[kGridKd] = {0.005, 0.02, 0.05, 0.15};
/// Grid rounds (bolus grid, slow grid, bolus grid again), tmax grid step in samples, and
/// whether the kink escape restarts move t0 only (1) or t0 and tmax (2).
constexpr int kGridRounds = 2;
constexpr int kGridTmaxStep = 2;
constexpr int kKinkEscape = 1;
constexpr int kGridKnt = 4;
constexpr double kGridKntValues[kGridKnt] = {0.003, 0.01, 0.03, 0.1};

KOKKOS_INLINE_FUNCTION double clampd(double v, double lo, double hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

}  // namespace detail

/// Fits the extended PROXYL model to one voxel by variable projection (top of this file):
/// same inputs, bounds, statuses and outputs as fit_voxel (voxel_fit.hpp) — t_min[n] minutes
/// ascending, y[n]; n < kMinTimePoints -> TooFewPoints; non-finite, flat, max(y) <= 0,
/// n > kMaxTimePoints or no converged refinement -> FitFailed (NaN everywhere); else Ok /
/// AtBound; se from the full 8-parameter J^T J at the solution as curve_fit's pcov; rss
/// recomputed directly from the residuals. iterations = passes over the samples (grid points
/// and evaluations). Deterministic; never throws, never allocates.
KOKKOS_INLINE_FUNCTION VoxelFit fit_voxel_varpro(const double* t_min, const double* y, int n,
                                                 const VarProOptions& vopt = VarProOptions{}) {
  VoxelFit out;
  out.iterations = 0;
  if (n < kMinTimePoints) {
    detail::fill_failed(out, FitStatus::TooFewPoints);
    return out;
  }
  FitBounds b;
  if (n > kMaxTimePoints || !proxyl_bounds(t_min, y, n, b)) {
    detail::fill_failed(out, FitStatus::FitFailed);
    return out;
  }
  const VarProData d = make_varpro_data(t_min, y, n);
  const double* alo = b.lo;  // amplitudes: param indices 0..2
  const double* ahi = b.hi;
  const double* rlo = b.lo + 3;  // rates and onsets: param indices 3..7
  const double* rhi = b.hi + 3;
  double p_seed[kNumParams];
  proxyl_initial_guess(t_min, y, n, b, p_seed);

  VarProProblem prob;
  prob.d = d;
  for (int i = 0; i < kNumAmplitudes; ++i) {
    prob.alo[i] = alo[i];
    prob.ahi[i] = ahi[i];
  }
  LsqOptions opt;
  opt.max_nfev = vopt.max_nfev;
  int passes = 0;
  double a[3];

  // ---- 1. scipy's TRF on theta from the original's start (t0 half a sample later: off the kink)
  double best_x[kNumRates] = {p_seed[3], p_seed[4], p_seed[5],
                              detail::clampd(p_seed[6] + 0.5 * (t_min[1] - t_min[0]), rlo[3], rhi[3]),
                              p_seed[7]};
  LsqResult<kNumRates> r2 = bounded_least_squares<kNumRates>(prob, best_x, rlo, rhi, opt);
  passes += r2.nfev;
  bool ok = lsq_converged(r2.status) && voxflow::kmath::isfinite(r2.rss);
  double best_r = r2.rss;

  // ---- 2. below the signal-to-noise ratio kSecondStartSnr the kinetics are not identifiable
  // and lower minima only fit the noise (as in fit_voxel): keep the first minimum there
  bool multi = true;
  if (ok && vopt.snr_gate) {
    varpro_rss(d, best_x, alo, ahi, a);
    const double p1[kNumParams] = {a[0], a[1], a[2], best_x[0], best_x[1], best_x[2], best_x[3], best_x[4]};
    const double sigma = detail::robust_noise_sigma(y, n);
    const double range = detail::model_range(p1, t_min, n);
    multi = !(sigma > 0.0) || range >= kSecondStartSnr * sigma;
  }

  if (multi) {
  // ---- 3. coarse grid: bolus (kb, kd, t0) at the seed's slow term, then slow (knt, tmax) ----
  double th[kNumRates] = {p_seed[3], p_seed[4], p_seed[5], p_seed[6], p_seed[7]};
  double best_rss = varpro_rss(d, th, alo, ahi, a);
  ++passes;
  double best_th[kNumRates];
  for (int k = 0; k < kNumRates; ++k) best_th[k] = th[k];
  auto consider = [&](const double* c) {
    const double r = varpro_rss(d, c, alo, ahi, a);
    ++passes;
    if (r < best_rss) {
      best_rss = r;
      for (int k = 0; k < kNumRates; ++k) best_th[k] = c[k];
    }
  };
  for (int round = 0; round < (vopt.grid ? detail::kGridRounds : 0); ++round) {
    // bolus: (kb, kd) grid, t0 at the seed's onset and the first sample
    const double hdt = 0.5 * (t_min[1] - t_min[0]);
    const double t0c = round == 0 ? p_seed[6] : best_th[3];
    const double t0_values[2] = {detail::clampd(t0c + hdt, rlo[3], rhi[3]),
                                 detail::clampd(t0c - hdt, rlo[3], rhi[3])};
    const double slow_knt = best_th[2], slow_tm = best_th[4];
    for (int it0 = 0; it0 < 2; ++it0) {
      if (it0 == 1 && t0_values[1] == t0_values[0]) continue;
      for (int ikb = 0; ikb < detail::kGridKb; ++ikb) {
        for (int ikd = 0; ikd < detail::kGridKd; ++ikd) {
          const double c[kNumRates] = {detail::clampd(detail::kGridKbValues[ikb], rlo[0], rhi[0]),
                                       detail::clampd(detail::kGridKdValues[ikd], rlo[1], rhi[1]),
                                       slow_knt, t0_values[it0], slow_tm};
          consider(c);
        }
      }
    }
    if (round == detail::kGridRounds - 1) break;
    // slow: knt grid x tmax at every sample time
    const double bkb = best_th[0], bkd = best_th[1], bt0 = best_th[3];
    for (int j = 0; j + 1 < n; j += detail::kGridTmaxStep) {
      for (int ikn = 0; ikn < detail::kGridKnt; ++ikn) {
        const double c[kNumRates] = {bkb, bkd,
                                     detail::clampd(detail::kGridKntValues[ikn], rlo[2], rhi[2]),
                                     bt0, 0.5 * (t_min[j] + t_min[j + 1])};
        consider(c);
      }
    }
  }

  // ---- 4. TRF from the best grid point and from the original's second start ---------------
  double x[kNumRates];
  for (int k = 0; k < kNumRates; ++k) x[k] = best_th[k];
  LsqResult<kNumRates> r1 = bounded_least_squares<kNumRates>(prob, x, rlo, rhi, opt);
  passes += r1.nfev;
  if (lsq_converged(r1.status) && voxflow::kmath::isfinite(r1.rss) && (!ok || r1.rss < best_r)) {
    ok = true;
    best_r = r1.rss;
    for (int k = 0; k < kNumRates; ++k) best_x[k] = x[k];
  }
  if (vopt.fallback_start) {
    // the original fit's second start (proxyl_fallback_guess): t0 = t[0], tmax = mid-range
    double pf[kNumParams];
    proxyl_fallback_guess(t_min, n, b, p_seed, pf);
    double x4[kNumRates] = {pf[3], pf[4], pf[5], pf[6], pf[7]};
    LsqResult<kNumRates> r4 = bounded_least_squares<kNumRates>(prob, x4, rlo, rhi, opt);
    passes += r4.nfev;
    if (lsq_converged(r4.status) && voxflow::kmath::isfinite(r4.rss) && (!ok || r4.rss < best_r)) {
      ok = true;
      best_r = r4.rss;
      for (int k = 0; k < kNumRates; ++k) best_x[k] = x4[k];
    }
  }
  // kink escape: t0 and tmax make the rss piecewise smooth with a kink at every sample time,
  // and a refinement can stop next to one; restart once from the midpoints of the sample
  // intervals on either side of the solution's onset and keep the lower minimum.
  if (ok && detail::kKinkEscape && vopt.kink_escape) {
    const double dtm = t_min[1] - t_min[0];
    for (int side = 0; side < 2; ++side) {
      for (int which = 3; which <= (detail::kKinkEscape > 1 ? 4 : 3); ++which) {
        double x3[kNumRates];
        for (int k = 0; k < kNumRates; ++k) x3[k] = best_x[k];
        int js = 0;
        while (js + 1 < n && t_min[js + 1] <= best_x[which]) ++js;  // t[js] <= x < t[js+1]
        const double mid = side == 0 ? (js + 1 < n ? 0.5 * (t_min[js] + t_min[js + 1]) + dtm : best_x[which])
                                     : 0.5 * (t_min[js] + (js > 0 ? t_min[js - 1] : t_min[js]));
        x3[which] = detail::clampd(mid, rlo[which], rhi[which]);
        LsqResult<kNumRates> r3 = bounded_least_squares<kNumRates>(prob, x3, rlo, rhi, opt);
        passes += r3.nfev;
        if (lsq_converged(r3.status) && voxflow::kmath::isfinite(r3.rss) && r3.rss < best_r) {
          best_r = r3.rss;
          for (int k = 0; k < kNumRates; ++k) best_x[k] = x3[k];
        }
      }
    }
  }
  }  // multi
  out.iterations = passes;
  if (!ok) {
    detail::fill_failed(out, FitStatus::FitFailed);
    return out;
  }

  // ---- the solution: amplitudes, full 8-parameter J^T J for the standard errors -------------
  VarProSums s;
  varpro_sums<true>(d, best_x, s);
  double g[9], bb[3];
  bool fr[3];
  varpro_gram(s, g, bb);
  bounded_amplitudes(g, bb, alo, ahi, a, fr);
  double p[kNumParams] = {a[0], a[1], a[2], best_x[0], best_x[1], best_x[2], best_x[3], best_x[4]};
  const double sc[kNumParams] = {1.0, 1.0, 1.0, a[1], a[1], a[2], a[1], a[2]};
  double jtj[kNumParams * kNumParams];
  for (int i = 0; i < kNumParams; ++i) {
    for (int j = 0; j < kNumParams; ++j) jtj[i * kNumParams + j] = sc[i] * sc[j] * s.ete[i * kNumParams + j];
  }
  double rss = 0.0;
  for (int i = 0; i < n; ++i) {
    const double r = proxyl_model(p, t_min[i]) - y[i];
    rss += r * r;
  }
  finish_voxel_fit(true, p, rss, jtj, y, n, b, out);
  return out;
}

}  // namespace voxflow::kinetics
