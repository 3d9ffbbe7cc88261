#pragma once
// Gamma variate A(t) = K t^alpha exp(-beta t) fitted by linearised weighted least squares
// (Thompson et al., "Indicator transit time considered as a gamma variate", Circ. Res. 14
// (1964); PyTIA design §7.3 model A; TIA spec §4).
#include <Kokkos_Core.hpp>

#include "src/tia/model_outcome.hpp"
#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"
#include "src/tia/weighted_least_squares.hpp"

namespace voxflow::tia {

/// Parameters of A(t) = exp(ln_k) t^alpha exp(-beta t); t in s, A in Bq per voxel, beta in 1/s.
/// clamped: beta was raised to lambda_phys (TIA spec §4).
struct GammaParams {
  double ln_k;
  double alpha;
  double beta;
  bool clamped;
};

/// A(t) of the gamma variate at t > 0 s, evaluated in log space (Bq per voxel).
KOKKOS_INLINE_FUNCTION double gamma_predict(const GammaParams& p, double t) {
  return tmath::exp(p.ln_k + p.alpha * tmath::log(t) - p.beta * t);
}

/// TIA = integral_0^inf K t^alpha e^(-beta t) dt = K Gamma(alpha+1) / beta^(alpha+1) (Bq*s),
/// evaluated as exp(ln_k + lgamma(alpha+1) - (alpha+1) ln beta). NaN/inf when beta <= 0 or
/// alpha <= -1 (the integral does not exist) or on overflow.
KOKKOS_INLINE_FUNCTION double gamma_tia(const GammaParams& p) {
  if (!(p.beta > 0.0) || !(p.alpha > -1.0)) return tmath::nan();
  return tmath::exp(p.ln_k + tmath::lgamma(p.alpha + 1.0) - (p.alpha + 1.0) * tmath::log(p.beta));
}

/// Time of the maximum t_peak = alpha / beta (s).
KOKKOS_INLINE_FUNCTION double gamma_tpeak(const GammaParams& p) { return p.alpha / p.beta; }

/// gamma_check that also returns the TIA it computed (tia = gamma_tia(p) when the parameters
/// are finite and positive, else NaN), so that callers need not evaluate lgamma twice.
KOKKOS_INLINE_FUNCTION int gamma_check_tia(const GammaParams& p, double& tia) {
  tia = tmath::nan();
  if (!tmath::isfinite(p.ln_k) || !tmath::isfinite(p.alpha) || !tmath::isfinite(p.beta)) {
    return kModelFailed;
  }
  if (!(p.alpha > 0.0) || !(p.beta > 0.0)) return kModelNonPhysical;
  tia = gamma_tia(p);
  if (!tmath::isfinite(tia)) return kModelFailed;
  return kModelOk;
}

/// Checks fitted parameters: kModelFailed when a parameter or the TIA is not finite,
/// kModelNonPhysical when alpha <= 0 or beta <= 0, else kModelOk.
KOKKOS_INLINE_FUNCTION int gamma_check(const GammaParams& p) {
  double tia;
  return gamma_check_tia(p, tia);
}

namespace detail {

/// Body of gamma_fit_linearized for m >= 3 valid points whose last time is ts = t[i_last] > 0.
/// u, ln_u: t_i / ts and ln(t_i / ts) for every index i (at least the valid ones), or both
/// nullptr to compute them here; ln_ts: ln(ts). The normal-equation sums are accumulated in one pass over the points
/// with the operations of weighted_least_squares<3> / <2> in the same order (rows (1, ln u, -u)
/// and (1, ln u)), so the result is bitwise that of the generic solver. tia: gamma_tia(p) when
/// the outcome is kModelOk (NaN otherwise).
KOKKOS_INLINE_FUNCTION int gamma_fit_linearized_core(const double* t, const double* a,
                                                     const bool* valid, int n,
                                                     const TiaFitOptions& opt, double ts,
                                                     double ln_ts, const double* u_row,
                                                     const double* ln_u,
                                                     GammaParams& p, double& tia) {
  double lu_k[kTiaMaxTimePoints];
  double u_k[kTiaMaxTimePoints];
  double y[kTiaMaxTimePoints];
  double w[kTiaMaxTimePoints];
  double g00 = 0.0, g10 = 0.0, g11 = 0.0, g20 = 0.0, g21 = 0.0, g22 = 0.0;
  double b0 = 0.0, b1 = 0.0, b2 = 0.0;
  int m = 0;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    const double u = u_row ? u_row[i] : t[i] / ts;
    const double lu = ln_u ? ln_u[i] : tmath::log(u);
    const double yk = tmath::log(a[i]);
    const double wk = a[i];
    const double nu = -u;
    // weighted_least_squares<3> with row (1, lu, nu): b_i += (w row_i) y, g_ij += (w row_i) row_j
    const double w1 = wk * lu;
    const double w2 = wk * nu;
    b0 += wk * yk;
    g00 += wk;
    b1 += w1 * yk;
    g10 += w1;
    g11 += w1 * lu;
    b2 += w2 * yk;
    g20 += w2;
    g21 += w2 * lu;
    g22 += w2 * nu;
    lu_k[m] = lu;
    u_k[m] = nu;
    y[m] = yk;
    w[m] = wk;
    ++m;
  }
  const double g[9] = {g00, g10, g20, g10, g11, g21, g20, g21, g22};
  const double b[3] = {b0, b1, b2};
  double theta[3];
  tia = tmath::nan();
  if (!solve_spd<3>(g, b, theta)) return kModelFailed;
  // ln a = c + alpha ln(t/ts) - bs (t/ts)  <=>  ln K = c - alpha ln ts, beta = bs / ts
  p.alpha = theta[1];
  p.beta = theta[2] / ts;
  p.ln_k = theta[0] - p.alpha * ln_ts;
  if (opt.enforce_lambda_phys && p.beta < opt.lambda_phys) {
    p.beta = opt.lambda_phys;
    p.clamped = true;
    const double bts = p.beta * ts;
    double h00 = 0.0, h10 = 0.0, h11 = 0.0, c0 = 0.0, c1 = 0.0;
    for (int j = 0; j < m; ++j) {
      const double yj = y[j] - bts * u_k[j];  // ln a + beta t
      const double w1 = w[j] * lu_k[j];
      c0 += w[j] * yj;
      h00 += w[j];
      c1 += w1 * yj;
      h10 += w1;
      h11 += w1 * lu_k[j];
    }
    const double h[4] = {h00, h10, h10, h11};
    const double c[2] = {c0, c1};
    double th2[2];
    if (!solve_spd<2>(h, c, th2)) return kModelFailed;
    p.alpha = th2[1];
    p.ln_k = th2[0] - p.alpha * ln_ts;
  }
  return gamma_check_tia(p, tia);
}

}  // namespace detail

/// Linearised WLS fit of the gamma variate to the valid points of a[0..n) at t[0..n) (s, > 0,
/// increasing; a in Bq per voxel; n <= kTiaMaxTimePoints): minimises
/// sum w_i (ln a_i - ln K - alpha ln t_i + beta t_i)^2 with w_i = a_i (3x3 normal equations,
/// LDL^T). For conditioning the columns are ln(t/ts) and t/ts with ts = last valid time, which
/// is an exact reparametrisation. If opt.enforce_lambda_phys and beta < lambda_phys: beta =
/// lambda_phys and (ln K, alpha) refit by 2x2 WLS on ln a + beta t = ln K + alpha ln t.
/// Returns kModelFailed with fewer than 3 valid points, a singular system or non-finite values,
/// kModelNonPhysical when alpha <= 0 or beta <= 0, else kModelOk (p filled in every case where
/// the system was solved). Source: TIA spec §4, PyTIA design §7.3.
KOKKOS_INLINE_FUNCTION int gamma_fit_linearized(const double* t, const double* a,
                                                const bool* valid, int n,
                                                const TiaFitOptions& opt, GammaParams& p) {
  double ts = 0.0;
  int m = 0;
  for (int i = 0; i < n; ++i) {
    if (valid[i]) {
      ts = t[i];
      ++m;
    }
  }
  p.ln_k = p.alpha = p.beta = tmath::nan();
  p.clamped = false;
  if (m < 3 || !(ts > 0.0)) return kModelFailed;
  double tia;
  return detail::gamma_fit_linearized_core(t, a, valid, n, opt, ts, tmath::log(ts), nullptr, nullptr, p,
                                           tia);
}

}  // namespace voxflow::tia
