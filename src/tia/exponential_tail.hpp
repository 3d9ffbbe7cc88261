#pragma once
// Mono-exponential tail after the measured peak (PyTIA design §7.3 model B; TIA spec §4
// "Exponential"), with the design's triangle + tail integral (default) or the fitted
// exponential integrated from t = 0 (models.falling_integral: fitted_from_zero; DESIGN.md
// "Known weaknesses of the TIA design").
#include <Kokkos_Core.hpp>

#include "src/tia/model_outcome.hpp"
#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"
#include "src/tia/weighted_least_squares.hpp"

namespace voxflow::tia {

/// Fitted tail: ln A = c - lambda t on the tail points. lambda_fit: the WLS rate (1/s);
/// lambda_eff: the rate used (max(lambda_fit, lambda_phys) when enforced); c: intercept (ln Bq),
/// refit with lambda_eff when clamped; a_pk, t_pk: measured peak value (Bq) and time (s);
/// variant: which integral / prediction.
struct ExpTailParams {
  double c;
  double lambda_fit;
  double lambda_eff;
  double a_pk;
  double t_pk;
  bool clamped;
  FallingIntegral variant;
};

/// TIA (Bq*s). Design: 0.5 A_pk t_pk + A_pk / lambda_eff (triangle from (0,0) to the peak plus
/// the exponential tail from the peak, PyTIA §7.3). FittedFromZero: exp(c) / lambda_eff
/// (integral of exp(c - lambda_eff t) over [0, inf)).
KOKKOS_INLINE_FUNCTION double exp_tail_tia(const ExpTailParams& p) {
  if (p.variant == FallingIntegral::FittedFromZero) return tmath::exp(p.c) / p.lambda_eff;
  return 0.5 * p.a_pk * p.t_pk + p.a_pk / p.lambda_eff;
}

/// Prediction at t (s, Bq). Design: A_pk t / t_pk for t < t_pk, A_pk exp(-lambda_eff (t - t_pk))
/// for t >= t_pk. FittedFromZero: exp(c - lambda_eff t).
KOKKOS_INLINE_FUNCTION double exp_tail_predict(const ExpTailParams& p, double t) {
  if (p.variant == FallingIntegral::FittedFromZero) return tmath::exp(p.c - p.lambda_eff * t);
  if (t < p.t_pk) return p.a_pk * t / p.t_pk;
  return p.a_pk * tmath::exp(-p.lambda_eff * (t - p.t_pk));
}

/// Fits the tail of the valid points of a[0..n) at t[0..n) (s > 0 increasing, Bq per voxel):
/// the tail is the valid points from the first maximum p on; WLS of ln a = c - lambda t with
/// w = a (columns 1 and t/ts, ts = last tail time, an exact reparametrisation). lambda_eff =
/// max(lambda_fit, lambda_phys) when opt.enforce_lambda_phys (c refit as
/// sum w (ln a + lambda_eff t) / sum w when clamped), else lambda_fit.
/// Returns kModelFailed with fewer than 2 tail points, a singular system or non-finite values,
/// kModelNonPhysical when lambda_eff <= 0 or the TIA is not finite and positive, else kModelOk.
/// t_over_ts (optional): t_i / ts for every index i, ts = the last valid time (a cache of the
/// ratios this function would compute; bitwise the same result), or nullptr.
KOKKOS_INLINE_FUNCTION int exp_tail_fit(const double* t, const double* a, const bool* valid, int n,
                                        const TiaFitOptions& opt, ExpTailParams& p,
                                        const double* t_over_ts = nullptr) {
  p.c = p.lambda_fit = p.lambda_eff = p.a_pk = p.t_pk = tmath::nan();
  p.clamped = false;
  p.variant = opt.falling_integral;
  int ip = -1;
  for (int i = 0; i < n; ++i) {
    if (valid[i] && (ip < 0 || a[i] > a[ip])) ip = i;
  }
  if (ip < 0) return kModelFailed;
  p.a_pk = a[ip];
  p.t_pk = t[ip];
  double ts = 0.0;
  int m = 0;
  for (int i = ip; i < n; ++i) {
    if (valid[i]) {
      ts = t[i];
      ++m;
    }
  }
  if (m < 2 || !(ts > 0.0)) return kModelFailed;
  // weighted_least_squares<2> with rows (1, -t/ts), accumulated in this one pass with the same
  // operations in the same order (b_i += (w row_i) y, g_ij += (w row_i) row_j)
  double y[kTiaMaxTimePoints];
  double w[kTiaMaxTimePoints];
  double tt[kTiaMaxTimePoints];
  double g00 = 0.0, g10 = 0.0, g11 = 0.0, b0 = 0.0, b1 = 0.0;
  int k = 0;
  for (int i = ip; i < n; ++i) {
    if (!valid[i]) continue;
    const double x1 = t_over_ts ? -t_over_ts[i] : -t[i] / ts;  // -(t/ts) == (-t)/ts exactly
    const double yk = tmath::log(a[i]);
    const double wk = a[i];
    const double w1 = wk * x1;
    b0 += wk * yk;
    g00 += wk;
    b1 += w1 * yk;
    g10 += w1;
    g11 += w1 * x1;
    y[k] = yk;
    w[k] = wk;
    tt[k] = t[i];
    ++k;
  }
  const double g[4] = {g00, g10, g10, g11};
  const double b[2] = {b0, b1};
  double theta[2];
  if (!solve_spd<2>(g, b, theta)) return kModelFailed;
  p.c = theta[0];
  p.lambda_fit = theta[1] / ts;
  p.lambda_eff = p.lambda_fit;
  if (opt.enforce_lambda_phys && p.lambda_fit < opt.lambda_phys) {
    p.lambda_eff = opt.lambda_phys;
    p.clamped = true;
    double sw = 0.0, swy = 0.0;
    for (int j = 0; j < m; ++j) {
      sw += w[j];
      swy += w[j] * (y[j] + p.lambda_eff * tt[j]);
    }
    p.c = swy / sw;
  }
  if (!tmath::isfinite(p.c) || !tmath::isfinite(p.lambda_eff)) return kModelFailed;
  if (!(p.lambda_eff > 0.0)) return kModelNonPhysical;
  const double tia = exp_tail_tia(p);
  if (!tmath::isfinite(tia) || !(tia > 0.0)) return kModelNonPhysical;
  return kModelOk;
}

}  // namespace voxflow::tia
