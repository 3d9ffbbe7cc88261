#pragma once
// Model selection by information criterion (models.selection: aic | aicc over
// models.candidates; issue 16, docs/tia_models.md "Model selection"): AIC = n ln(SSE/n) + 2k
// (Akaike, IEEE Trans. Autom. Control 19 (1974); least-squares form, Burnham & Anderson, Model
// Selection and Multimodel Inference, 2nd ed. 2002, §2.2), AICc = AIC + 2k(k+1)/(n-k-1)
// (Hurvich & Tsai, Biometrika 76 (1989)); n = valid points, k = fitted curve parameters.
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "src/tia/candidate_fit.hpp"
#include "src/tia/model_outcome.hpp"
#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"

namespace voxflow::tia {

/// Whether the criterion is defined for n points and k parameters: AIC needs n >= k + 1 (a
/// residual degree of freedom), AICc n >= k + 2 (n - k - 1 > 0).
KOKKOS_INLINE_FUNCTION bool criterion_supported(ModelSelection sel, int n, int k) {
  return sel == ModelSelection::Aicc ? n >= k + 2 : n >= k + 1;
}

/// AIC (sel Aic) or AICc (sel Aicc) of a least-squares fit with SSE sse (floored as in
/// least_squares_aic; a_max: largest valid value); NaN when !criterion_supported.
KOKKOS_INLINE_FUNCTION double information_criterion(ModelSelection sel, int n, int k, double sse,
                                                    double a_max) {
  if (!criterion_supported(sel, n, k)) return tmath::nan();
  double c = least_squares_aic(n, k, sse, a_max);
  if (sel == ModelSelection::Aicc) c += 2.0 * k * (k + 1.0) / (n - k - 1.0);
  return c;
}

/// Number of candidates set in a candidates mask.
KOKKOS_INLINE_FUNCTION int candidate_count(std::uint8_t mask) {
  int c = 0;
  for (int b = 0; b < 8; ++b) c += (mask >> b) & 1;
  return c;
}

/// Chooses and fits the model of one curve under opt.selection (Aic / Aicc) over
/// opt.candidates, on the m >= 2 valid points of a[0..n) at t[0..n) (s, Bq per voxel):
/// - one candidate: that model, whatever the criterion (its failure is the curve's failure);
/// - otherwise each of gamma, monoexp, biexp, triexp in the candidates is fitted (fit_candidate)
///   and, among those that succeed and that the criterion supports (criterion_supported with
///   their k), the lowest criterion wins (the first in that order on ties);
/// - none supported: hybrid when it is a candidate (it interpolates, it has no likelihood: it is
///   the fallback), else the successful candidate with the fewest parameters (first on ties);
/// - none succeeded: hybrid when a candidate, else the outcome kModelNonPhysical when a fit was
///   non-physical, kModelFailed otherwise.
/// Returns the outcome; best holds the chosen fit when kModelOk.
KOKKOS_INLINE_FUNCTION int select_candidate(const double* t, const double* a, const bool* valid,
                                            int n, int m, const TiaFitOptions& opt,
                                            CandidateFit& best) {
  const std::uint8_t cand = opt.candidates;
  if (candidate_count(cand) == 1) {
    std::uint8_t only = kModelNone;
    for (int b = 0; b < 8; ++b)
      if ((cand >> b) & 1) only = static_cast<std::uint8_t>(b);
    fit_candidate(t, a, valid, n, m, opt, only, best);
    return best.outcome;
  }
  double amax = 0.0;
  for (int i = 0; i < n; ++i)
    if (valid[i] && a[i] > amax) amax = a[i];
  const std::uint8_t order[4] = {kModelGamma, kModelMonoexp, kModelBiexp, kModelTriexp};
  const int min_k[4] = {3, 2, 3, 5};  // fewest parameters of each (biexp: 3 or 4)
  bool have_best = false, have_fallback = false, any_nonphysical = false;
  bool skipped[4] = {false, false, false, false};
  int fallback_q = 0;
  double best_crit = 0.0;
  CandidateFit fallback;
  // pass 0: the candidates the criterion can support with m points; pass 1 (only when no
  // supported candidate succeeded and hybrid is not a candidate): the others, for the fallback.
  // The result is that of fitting every candidate (a candidate whose fewest parameters the
  // criterion does not support can only be the fallback), without the fits it cannot use.
  for (int pass = 0; pass < 2; ++pass) {
    for (int q = 0; q < 4; ++q) {
      if (!(cand & model_bit(order[q]))) continue;
      if (pass == 0 && !criterion_supported(opt.selection, m, min_k[q])) {
        skipped[q] = true;
        continue;
      }
      if (pass == 1 && !skipped[q]) continue;
      CandidateFit f;
      fit_candidate(t, a, valid, n, m, opt, order[q], f);
      if (f.outcome == kModelNonPhysical) any_nonphysical = true;
      if (f.outcome != kModelOk) continue;
      if (pass == 0 && criterion_supported(opt.selection, m, f.k)) {
        const double c = information_criterion(opt.selection, m, f.k, f.sse, amax);
        if (!have_best || c < best_crit) {
          best = f;
          best_crit = c;
          have_best = true;
        }
      } else if (!have_fallback || f.k < fallback.k || (f.k == fallback.k && q < fallback_q)) {
        fallback = f;
        fallback_q = q;
        have_fallback = true;
      }
    }
    if (pass == 0) {
      if (have_best) return kModelOk;
      if (cand & model_bit(kModelHybrid)) {
        fit_candidate(t, a, valid, n, m, opt, kModelHybrid, best);
        return best.outcome;
      }
    }
  }
  if (have_fallback) {
    best = fallback;
    return kModelOk;
  }
  return any_nonphysical ? kModelNonPhysical : kModelFailed;
}

}  // namespace voxflow::tia
