#pragma once
// Bounded nonlinear refinement of the gamma variate (models.refine; the PyTIA design's planned
// v2, §13): Levenberg-Marquardt on the unweighted residuals a_i - A(t_i) (Press et al.,
// Numerical Recipes, 3rd ed., §15.5.2, multiplicative damping of diag(J^T J)) with every trial
// point projected onto the box alpha >= kGammaAlphaMin, beta >= lambda_phys (when enforced,
// else beta >= kGammaBetaMinScaled / ts); a trial is accepted only if it lowers the SSE, so the
// SSE never increases (TIA spec §4).
#include <Kokkos_Core.hpp>

#include "src/tia/gamma_variate.hpp"
#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"
#include "src/tia/weighted_least_squares.hpp"

namespace voxflow::tia {

/// Smallest alpha the refinement may reach (alpha > 0 is required).
constexpr double kGammaAlphaMin = 1e-9;
/// Smallest beta * ts the refinement may reach when lambda_phys is not enforced (beta > 0).
constexpr double kGammaBetaMinScaled = 1e-9;
/// Most Levenberg-Marquardt trials.
constexpr int kGammaRefineMaxTrials = 200;

/// Unweighted SSE sum (a_i - A(t_i))^2 of the gamma variate p over the valid points (Bq^2).
KOKKOS_INLINE_FUNCTION double gamma_sse(const GammaParams& p, const double* t, const double* a,
                                        const bool* valid, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    const double r = a[i] - gamma_predict(p, t[i]);
    s += r * r;
  }
  return s;
}

namespace detail {

/// SSE, J^T J and J^T r (r = a - A) of the gamma variate in the scaled parameters
/// q = (c, alpha, bs): A = exp(c + alpha ln(t/ts) - bs t/ts).
KOKKOS_INLINE_FUNCTION double gamma_scaled_normal(const double* q, double ts, const double* t,
                                                  const double* a, const bool* valid, int n,
                                                  double* jtj, double* jtr) {
  for (int i = 0; i < 9; ++i) jtj[i] = 0.0;
  for (int i = 0; i < 3; ++i) jtr[i] = 0.0;
  double sse = 0.0;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    const double u = t[i] / ts;
    const double lu = tmath::log(u);
    const double f = tmath::exp(q[0] + q[1] * lu - q[2] * u);
    const double r = a[i] - f;
    const double j[3] = {f, f * lu, -f * u};
    sse += r * r;
    for (int k = 0; k < 3; ++k) {
      jtr[k] += j[k] * r;
      for (int l = 0; l < 3; ++l) jtj[k * 3 + l] += j[k] * j[l];
    }
  }
  return sse;
}

}  // namespace detail

/// Refines the gamma variate p (from gamma_fit_linearized, kModelOk) on the valid points of
/// a[0..n) at t[0..n) (s, Bq per voxel). Iterates in q = (ln K + alpha ln ts, alpha, beta ts),
/// ts = last valid time; stops when an accepted step lowers the SSE by less than 1e-12
/// relative, the damping exceeds 1e12, or after kGammaRefineMaxTrials trials. p is replaced
/// only when the refined parameters pass gamma_check and their SSE is strictly lower than the
/// SSE of p; returns true in that case, false otherwise (p unchanged). p.clamped is set when the
/// result lies on the lambda_phys bound.
KOKKOS_INLINE_FUNCTION bool gamma_refine(const double* t, const double* a, const bool* valid,
                                         int n, const TiaFitOptions& opt, GammaParams& p) {
  double ts = 0.0;
  for (int i = 0; i < n; ++i) {
    if (valid[i]) ts = t[i];
  }
  if (!(ts > 0.0)) return false;
  const double ln_ts = tmath::log(ts);
  const double bs_min =
      opt.enforce_lambda_phys && opt.lambda_phys * ts > kGammaBetaMinScaled ? opt.lambda_phys * ts
                                                                            : kGammaBetaMinScaled;
  const double sse_start = gamma_sse(p, t, a, valid, n);
  if (!tmath::isfinite(sse_start)) return false;
  double q[3] = {p.ln_k + p.alpha * ln_ts, p.alpha, p.beta * ts};
  if (q[1] < kGammaAlphaMin) q[1] = kGammaAlphaMin;
  if (q[2] < bs_min) q[2] = bs_min;
  double jtj[9], jtr[3];
  double sse = detail::gamma_scaled_normal(q, ts, t, a, valid, n, jtj, jtr);
  if (!tmath::isfinite(sse)) return false;
  double mu = 1e-3;
  for (int trial = 0; trial < kGammaRefineMaxTrials; ++trial) {
    double h[9];
    for (int i = 0; i < 9; ++i) h[i] = jtj[i];
    for (int i = 0; i < 3; ++i) h[i * 3 + i] *= 1.0 + mu;
    double step[3];
    bool accepted = false;
    double sse_new = sse;
    double qn[3];
    if (solve_spd<3>(h, jtr, step)) {
      qn[0] = q[0] + step[0];
      qn[1] = q[1] + step[1];
      qn[2] = q[2] + step[2];
      if (qn[1] < kGammaAlphaMin) qn[1] = kGammaAlphaMin;
      if (qn[2] < bs_min) qn[2] = bs_min;
      double jtj_n[9], jtr_n[3];
      sse_new = detail::gamma_scaled_normal(qn, ts, t, a, valid, n, jtj_n, jtr_n);
      if (tmath::isfinite(sse_new) && sse_new < sse) {
        accepted = true;
        for (int i = 0; i < 9; ++i) jtj[i] = jtj_n[i];
        for (int i = 0; i < 3; ++i) jtr[i] = jtr_n[i];
      }
    }
    if (accepted) {
      const double rel = (sse - sse_new) / sse;
      for (int i = 0; i < 3; ++i) q[i] = qn[i];
      sse = sse_new;
      mu = mu * 0.1 > 1e-15 ? mu * 0.1 : 1e-15;
      if (rel < 1e-12 || sse == 0.0) break;
    } else {
      mu *= 10.0;
      if (mu > 1e12) break;
    }
  }
  GammaParams r;
  r.alpha = q[1];
  r.beta = q[2] / ts;
  r.ln_k = q[0] - r.alpha * ln_ts;
  r.clamped = opt.enforce_lambda_phys && q[2] <= bs_min;
  if (gamma_check(r) != kModelOk) return false;
  const double sse_r = gamma_sse(r, t, a, valid, n);
  if (!(sse_r < sse_start)) return false;
  p = r;
  return true;
}

}  // namespace voxflow::tia
