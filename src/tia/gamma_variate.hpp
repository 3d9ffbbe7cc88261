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

/// Checks fitted parameters: kModelFailed when a parameter or the TIA is not finite,
/// kModelNonPhysical when alpha <= 0 or beta <= 0, else kModelOk.
KOKKOS_INLINE_FUNCTION int gamma_check(const GammaParams& p) {
  if (!tmath::isfinite(p.ln_k) || !tmath::isfinite(p.alpha) || !tmath::isfinite(p.beta)) {
    return kModelFailed;
  }
  if (!(p.alpha > 0.0) || !(p.beta > 0.0)) return kModelNonPhysical;
  if (!tmath::isfinite(gamma_tia(p))) return kModelFailed;
  return kModelOk;
}

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
  const double ln_ts = tmath::log(ts);
  double x[kTiaMaxTimePoints * 3];
  double y[kTiaMaxTimePoints];
  double w[kTiaMaxTimePoints];
  int k = 0;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    const double u = t[i] / ts;
    x[3 * k + 0] = 1.0;
    x[3 * k + 1] = tmath::log(u);
    x[3 * k + 2] = -u;
    y[k] = tmath::log(a[i]);
    w[k] = a[i];
    ++k;
  }
  double theta[3];
  if (!weighted_least_squares<3>(x, y, w, m, theta)) return kModelFailed;
  // ln a = c + alpha ln(t/ts) - bs (t/ts)  <=>  ln K = c - alpha ln ts, beta = bs / ts
  p.alpha = theta[1];
  p.beta = theta[2] / ts;
  p.ln_k = theta[0] - p.alpha * ln_ts;
  if (opt.enforce_lambda_phys && p.beta < opt.lambda_phys) {
    p.beta = opt.lambda_phys;
    p.clamped = true;
    double x2[kTiaMaxTimePoints * 2];
    for (int j = 0; j < m; ++j) {
      x2[2 * j + 0] = 1.0;
      x2[2 * j + 1] = x[3 * j + 1];
      y[j] -= p.beta * ts * x[3 * j + 2];  // ln a + beta t
    }
    double th2[2];
    if (!weighted_least_squares<2>(x2, y, w, m, th2)) return kModelFailed;
    p.alpha = th2[1];
    p.ln_k = th2[0] - p.alpha * ln_ts;
  }
  return gamma_check(p);
}

}  // namespace voxflow::tia
