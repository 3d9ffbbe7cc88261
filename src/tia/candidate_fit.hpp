#pragma once
// One candidate model fitted to one curve, with what model selection needs: TIA, unweighted SSE
// of the activities and the number of fitted parameters k (issue 16; docs/tia_models.md
// "Exponential sums" and "Model selection"). Header-only KOKKOS_INLINE_FUNCTIONs, fixed-size.
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "src/tia/exponential_sums.hpp"
#include "src/tia/gamma_refine.hpp"
#include "src/tia/gamma_variate.hpp"
#include "src/tia/hybrid_trapezoid.hpp"
#include "src/tia/model_outcome.hpp"
#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"

namespace voxflow::tia {

/// A fitted candidate: model id (kModelBiexp resolves to kModelBiexp or kModelBiexpWashout),
/// outcome (ModelOutcome), k fitted curve parameters (hybrid: the m valid points it passes
/// through), tia (Bq*s), sse (Bq^2; hybrid: of its leave-one-out prediction), and the parameters.
struct CandidateFit {
  std::uint8_t model;
  int outcome;
  int k;
  double tia;
  double sse;
  GammaParams g;
  ExpSumParams e;
};

/// True when the first valid point of a[0..n) is the largest valid value (the curve falls from
/// its first point).
KOKKOS_INLINE_FUNCTION bool falls_from_first_point(const double* a, const bool* valid, int n) {
  int first = -1, p = -1;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    if (first < 0) first = i;
    if (p < 0 || a[i] > a[p]) p = i;
  }
  return first >= 0 && p == first;
}

/// AIC of a least-squares fit, n ln(SSE / n) + 2 k (Akaike 1974; Burnham & Anderson 2002 §2.2),
/// with the SSE raised to at least n (1e-9 a_max)^2 (a fit exact to 1e-9 of the largest value
/// counts as exact, so exact fits are ranked by k alone).
KOKKOS_INLINE_FUNCTION double least_squares_aic(int n, int k, double sse, double a_max) {
  const double floor = n * (1e-9 * a_max) * (1e-9 * a_max);
  const double s = sse > floor ? sse : floor;
  return n * tmath::log(s / n) + 2.0 * k;
}

namespace detail {

KOKKOS_INLINE_FUNCTION void fit_exp_shape(const double* t, const double* a, const bool* valid,
                                          int n, const TiaFitOptions& opt, int shape,
                                          std::uint8_t model, CandidateFit& f) {
  f.model = model;
  f.outcome = exp_sum_fit(t, a, valid, n, opt, shape, f.e);
  f.k = f.e.k;
  if (f.outcome == kModelOk) {
    f.tia = f.e.tia;
    f.sse = f.e.sse;
  }
}

}  // namespace detail

/// Fits candidate `model` to the m valid points of a[0..n) at t[0..n) (s, Bq per voxel):
/// gamma: linearised WLS + the bounded refinement when opt.refine_gamma (k = 3, SSE of the
/// activities); monoexp (k = 2); biexp: the uptake-washout (k = 3), and, when the curve falls
/// from its first valid point and m >= 5, also the two-phase washout (k = 4), the one with the
/// lower least_squares_aic kept (model id kModelBiexp or kModelBiexpWashout); biexp_washout:
/// the two-phase washout alone; triexp (k = 5, m >= 6); hybrid: trapezoid + physical tail (k = m,
/// SSE of the leave-one-out prediction). Outcome kModelOk / kModelFailed / kModelNonPhysical
/// as the model's fit; tia and sse are NaN unless ok. Source: docs/tia_models.md.
KOKKOS_INLINE_FUNCTION void fit_candidate(const double* t, const double* a, const bool* valid,
                                          int n, int m, const TiaFitOptions& opt,
                                          std::uint8_t model, CandidateFit& f) {
  f.model = model;
  f.outcome = kModelFailed;
  f.k = 0;
  f.tia = f.sse = tmath::nan();
  f.g.ln_k = f.g.alpha = f.g.beta = tmath::nan();
  f.g.clamped = false;
  f.e.shape = kShapeMonoexp;
  f.e.n_rates = 0;
  f.e.k = 0;
  f.e.tia = f.e.sse = tmath::nan();
  if (model == kModelGamma) {
    f.k = 3;
    f.outcome = gamma_fit_linearized(t, a, valid, n, opt, f.g);
    if (f.outcome != kModelOk) return;
    if (opt.refine_gamma) gamma_refine(t, a, valid, n, opt, f.g);
    f.tia = gamma_tia(f.g);
    f.sse = gamma_sse(f.g, t, a, valid, n);
    if (!tmath::isfinite(f.tia) || !tmath::isfinite(f.sse)) f.outcome = kModelFailed;
  } else if (model == kModelMonoexp) {
    detail::fit_exp_shape(t, a, valid, n, opt, kShapeMonoexp, kModelMonoexp, f);
  } else if (model == kModelBiexp) {
    detail::fit_exp_shape(t, a, valid, n, opt, kShapeUptakeWashout, kModelBiexp, f);
    if (m >= exp_sum_min_points(kShapeTwoPhase) && falls_from_first_point(a, valid, n)) {
      CandidateFit w;
      detail::fit_exp_shape(t, a, valid, n, opt, kShapeTwoPhase, kModelBiexpWashout, w);
      double amax = 0.0;
      for (int i = 0; i < n; ++i)
        if (valid[i] && a[i] > amax) amax = a[i];
      if (w.outcome == kModelOk &&
          (f.outcome != kModelOk ||
           least_squares_aic(m, w.k, w.sse, amax) < least_squares_aic(m, f.k, f.sse, amax)))
        f = w;
    }
  } else if (model == kModelBiexpWashout) {
    detail::fit_exp_shape(t, a, valid, n, opt, kShapeTwoPhase, kModelBiexpWashout, f);
  } else if (model == kModelTriexp) {
    detail::fit_exp_shape(t, a, valid, n, opt, kShapeTriexp, kModelTriexp, f);
  } else if (model == kModelHybrid) {
    f.k = m;
    if (m < 1) return;
    const double h = hybrid_tia(t, a, valid, n, opt);
    if (!tmath::isfinite(h) || h < 0.0) {
      f.outcome = kModelNonPhysical;
      return;
    }
    double pred[kTiaMaxTimePoints];
    hybrid_predict(t, a, valid, n, pred);
    double s = 0.0;
    for (int i = 0; i < n; ++i)
      if (valid[i]) s += (a[i] - pred[i]) * (a[i] - pred[i]);
    f.tia = h;
    f.sse = s;
    f.outcome = kModelOk;
  }
  if (f.outcome != kModelOk) f.tia = f.sse = tmath::nan();
}

/// Prediction of a fitted (ok) candidate at the n sample times (hybrid: its leave-one-out
/// prediction) and its t_peak (s; gamma alpha / beta, exponential sums exp_sum_tpeak, hybrid NaN).
KOKKOS_INLINE_FUNCTION void candidate_predict(const CandidateFit& f, const double* t,
                                              const double* a, const bool* valid, int n,
                                              double* pred, double& tpeak) {
  tpeak = tmath::nan();
  if (f.model == kModelGamma) {
    for (int i = 0; i < n; ++i) pred[i] = gamma_predict(f.g, t[i]);
    tpeak = gamma_tpeak(f.g);
  } else if (f.model == kModelHybrid) {
    hybrid_predict(t, a, valid, n, pred);
  } else {
    double t_last = 0.0;
    for (int i = 0; i < n; ++i)
      if (valid[i]) t_last = t[i];
    for (int i = 0; i < n; ++i) pred[i] = exp_sum_predict(f.e, t[i]);
    tpeak = exp_sum_tpeak(f.e, t_last);
  }
}

}  // namespace voxflow::tia
