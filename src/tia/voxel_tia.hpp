#pragma once
// Per-curve TIA of one voxel (or one region TAC): noise floor, classification, model choice
// with fallbacks, integral, prediction, R^2 (TIA spec §1-§4; PyTIA design §5, §7). Header-only
// KOKKOS_INLINE_FUNCTIONs: no heap, no exceptions, fixed-size state (TacResult).
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "src/tia/candidate_fit.hpp"
#include "src/tia/curve_classification.hpp"
#include "src/tia/exponential_tail.hpp"
#include "src/tia/gamma_refine.hpp"
#include "src/tia/gamma_variate.hpp"
#include "src/tia/goodness_of_fit.hpp"
#include "src/tia/hybrid_trapezoid.hpp"
#include "src/tia/model_outcome.hpp"
#include "src/tia/model_selection.hpp"
#include "src/tia/noise_floor.hpp"
#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"

namespace voxflow::tia {

namespace detail {

/// Marks out as not fitted: status, NaN tia / r2 / tpeak / prediction, model none.
KOKKOS_INLINE_FUNCTION void set_not_fitted(TacResult& out, std::uint8_t status) {
  out.status = status;
  out.model = kModelNone;
  out.tia = tmath::nan();
  out.r2 = tmath::nan();
  out.tpeak = tmath::nan();
  for (int i = 0; i < kTiaMaxTimePoints; ++i) out.prediction[i] = tmath::nan();
}

/// Fits `model` to the points out.valid[0..n) of a[0..n); on kModelOk fills out.tia, tpeak,
/// prediction (all n times), r2, model and sets status ok; otherwise leaves out's numbers as
/// they were. cls: the curve class (used by the hybrid's rising_mode peak_at_last).
KOKKOS_INLINE_FUNCTION int fit_model(const double* t, const double* a, int n,
                                     const TiaFitOptions& opt, std::uint8_t model,
                                     std::uint8_t cls, TacResult& out) {
  double pred[kTiaMaxTimePoints];
  double tia = tmath::nan(), tpeak = tmath::nan();
  if (model == kModelGamma) {
    GammaParams p;
    const int oc = gamma_fit_linearized(t, a, out.valid, n, opt, p);
    if (oc != kModelOk) return oc;
    if (opt.refine_gamma) gamma_refine(t, a, out.valid, n, opt, p);
    tia = gamma_tia(p);
    tpeak = gamma_tpeak(p);
    for (int i = 0; i < n; ++i) pred[i] = gamma_predict(p, t[i]);
  } else if (model == kModelExponential) {
    ExpTailParams p;
    const int oc = exp_tail_fit(t, a, out.valid, n, opt, p);
    if (oc != kModelOk) return oc;
    tia = exp_tail_tia(p);
    tpeak = p.t_pk;
    for (int i = 0; i < n; ++i) pred[i] = exp_tail_predict(p, t[i]);
  } else if (model == kModelHybrid) {
    if (out.n_valid < 1) return kModelFailed;
    tia = hybrid_tia(t, a, out.valid, n, opt);
    if (!tmath::isfinite(tia) || tia < 0.0) return kModelNonPhysical;
    hybrid_predict(t, a, out.valid, n, pred);
    if (opt.rising_mode == RisingMode::PeakAtLast && cls == kClassRising) {
      for (int i = 0; i < n; ++i) {
        if (out.valid[i]) tpeak = t[i];
      }
    }
  } else if (model >= kModelMonoexp && model <= kModelTriexp) {
    CandidateFit f;
    fit_candidate(t, a, out.valid, n, out.n_valid, opt, model, f);
    if (f.outcome != kModelOk) return f.outcome;
    tia = f.tia;
    candidate_predict(f, t, a, out.valid, n, pred, tpeak);
    model = f.model;
  } else {
    return kModelFailed;
  }
  out.tia = tia;
  out.tpeak = tpeak;
  for (int i = 0; i < kTiaMaxTimePoints; ++i) out.prediction[i] = i < n ? pred[i] : tmath::nan();
  out.r2 = r_squared(a, pred, out.valid, n);
  out.model = model;
  out.status = kStatusOk;
  return kModelOk;
}

/// Common start of fit_tac / fit_tac_with_model: valid points and the floor statuses.
/// Returns false when out is final (status 2, 3 or 4).
KOKKOS_INLINE_FUNCTION bool prepare(const double* a, int n, const TiaFitOptions& opt,
                                    TacResult& out) {
  out.curve_class = kClassNone;
  out.n_valid = 0;
  for (int i = 0; i < kTiaMaxTimePoints; ++i) out.valid[i] = false;
  set_not_fitted(out, kStatusFitFailed);
  if (n > kTiaMaxTimePoints) return false;  // status 3
  if (n < 0) n = 0;
  out.n_valid = valid_points(a, n, opt, out.valid);
  if (out.n_valid == 0) {
    set_not_fitted(out, kStatusAllBelowFloor);
    return false;
  }
  if (out.n_valid == 1) {
    set_not_fitted(out, kStatusInsufficientPoints);
    return false;
  }
  return true;
}

/// Status of a curve whose last model attempt gave outcome oc (TIA spec §3).
KOKKOS_INLINE_FUNCTION std::uint8_t failure_status(int oc) {
  return oc == kModelNonPhysical ? static_cast<std::uint8_t>(kStatusNonPhysical)
                                 : static_cast<std::uint8_t>(kStatusFitFailed);
}

/// models.selection aic / aicc (select_candidate): fills out like fit_model for the chosen
/// candidate (the hybrid with its leave-one-out prediction and rising_mode rule), or marks it
/// not fitted with the failure status.
KOKKOS_INLINE_FUNCTION void fit_selected(const double* t, const double* a, int n,
                                         const TiaFitOptions& opt, std::uint8_t cls,
                                         TacResult& out) {
  CandidateFit f;
  const int oc = select_candidate(t, a, out.valid, n, out.n_valid, opt, f);
  if (oc != kModelOk) {
    set_not_fitted(out, failure_status(oc));
    return;
  }
  double pred[kTiaMaxTimePoints];
  double tpeak;
  candidate_predict(f, t, a, out.valid, n, pred, tpeak);
  if (f.model == kModelHybrid && opt.rising_mode == RisingMode::PeakAtLast && cls == kClassRising) {
    for (int i = 0; i < n; ++i)
      if (out.valid[i]) tpeak = t[i];
  }
  out.tia = f.tia;
  out.tpeak = tpeak;
  for (int i = 0; i < kTiaMaxTimePoints; ++i) out.prediction[i] = i < n ? pred[i] : tmath::nan();
  out.r2 = r_squared(a, pred, out.valid, n);
  out.model = f.model;
  out.status = kStatusOk;
}

}  // namespace detail

/// Model of the automatic choice for a curve class (TIA spec §3): hump -> gamma, falling ->
/// exponential, rising / ambiguous / none -> hybrid.
KOKKOS_INLINE_FUNCTION std::uint8_t auto_model(std::uint8_t curve_class) {
  if (curve_class == kClassHump) return kModelGamma;
  if (curve_class == kClassFalling) return kModelExponential;
  return kModelHybrid;
}

/// Fits one time-activity curve in voxel mode (models.mode auto). t_s[n]: sample times in s
/// (> 0, strictly increasing); a_bq[n]: activity in Bq per voxel (already clamped at 0 and
/// converted; values <= 0 or below the floor are excluded); 0 <= n <= kTiaMaxTimePoints.
/// Steps (TIA spec §1-§4): valid points under the noise floor (0 valid: status 4, 1 valid:
/// status 2), classification, model by class (hump: gamma with optional refinement; falling:
/// exponential tail; rising / ambiguous: hybrid), gamma or exponential failure -> hybrid
/// fallback (status 1 if it succeeds), hybrid with a non-finite or negative TIA -> status 5.
/// Fills every TacResult field: on status != 1 tia, r2, tpeak and prediction are NaN and the
/// model is 0 (curve_class, n_valid and valid are still filled when computed);
/// n > kTiaMaxTimePoints gives status 3 with no valid point. Never throws, never allocates.
KOKKOS_INLINE_FUNCTION void fit_tac(const double* t_s, const double* a_bq, int n,
                                    const TiaFitOptions& opt, TacResult& out) {
  if (!detail::prepare(a_bq, n, opt, out)) return;
  const std::uint8_t cls = classify_curve(a_bq, out.valid, n, opt.classification_epsilon);
  out.curve_class = cls;
  if (opt.selection != ModelSelection::Design) {
    detail::fit_selected(t_s, a_bq, n, opt, cls, out);
    return;
  }
  const std::uint8_t model = auto_model(cls);
  int oc = detail::fit_model(t_s, a_bq, n, opt, model, cls, out);
  if (oc != kModelOk && model != kModelHybrid) {
    oc = detail::fit_model(t_s, a_bq, n, opt, kModelHybrid, cls, out);
  }
  if (oc != kModelOk) detail::set_not_fitted(out, detail::failure_status(oc));
}

/// Fits one curve with a fixed model (region mode, and the bootstrap without reclassify): same
/// inputs and floor statuses as fit_tac, no classification and no fallback; model is
/// kModelGamma, kModelExponential or kModelHybrid (anything else: status 3). A failed fit gives
/// status 3 (too few points for the model, singular system, non-finite values) or 5
/// (non-physical parameters: alpha <= 0, a rate <= 0, a negative or infinite TIA).
/// curve_class (default none) is stored in out.curve_class and only used by the hybrid's
/// rising_mode peak_at_last (t_peak = last valid time when it is kClassRising).
KOKKOS_INLINE_FUNCTION void fit_tac_with_model(const double* t_s, const double* a_bq, int n,
                                               const TiaFitOptions& opt, std::uint8_t model,
                                               TacResult& out,
                                               std::uint8_t curve_class = kClassNone) {
  if (!detail::prepare(a_bq, n, opt, out)) return;
  out.curve_class = curve_class;
  const int oc = detail::fit_model(t_s, a_bq, n, opt, model, curve_class, out);
  if (oc != kModelOk) detail::set_not_fitted(out, detail::failure_status(oc));
}

/// Logarithms of the sample times of one curve, shared by the bootstrap replicates of a voxel
/// (the times are the same for every replicate). Row j (filled on first use by time_log_row):
/// ratio[j * kTiaMaxTimePoints + i] = t_i / t_j and ln_ratio[j * kTiaMaxTimePoints + i] =
/// ln(t_i / t_j) for i < n, and ln_t[j] = ln(t_j); these are the very values
/// gamma_fit_linearized and exp_tail_fit compute with ts = t_j, so results are bitwise
/// unchanged. rows: bit j set once row j is filled (start with 0).
struct TimeLogTable {
  double ratio[kTiaMaxTimePoints * kTiaMaxTimePoints];
  double ln_ratio[kTiaMaxTimePoints * kTiaMaxTimePoints];
  double ln_t[kTiaMaxTimePoints];
  std::uint32_t rows = 0;
};

/// Row j of the table for the times t[0..n) (0 <= j < n <= kTiaMaxTimePoints): fills it on
/// first use and returns ln_ratio + j * kTiaMaxTimePoints.
KOKKOS_INLINE_FUNCTION const double* time_log_row(const double* t, int n, int j,
                                                  TimeLogTable& tab) {
  double* row = tab.ln_ratio + j * kTiaMaxTimePoints;
  const std::uint32_t bit = std::uint32_t(1) << j;
  if (!(tab.rows & bit)) {
    const double tj = t[j];
    double* rrow = tab.ratio + j * kTiaMaxTimePoints;
    for (int i = 0; i < n; ++i) {
      rrow[i] = t[i] / tj;
      row[i] = tmath::log(rrow[i]);
    }
    tab.ln_t[j] = tmath::log(tj);
    tab.rows |= bit;
  }
  return row;
}

namespace detail {

/// TIA of `model` on the valid points (m of them, last at index i_last) of a[0..n): the TIA
/// fit_model would store, without t_peak, prediction or R^2. Returns the model outcome; tia
/// is set on kModelOk.
KOKKOS_INLINE_FUNCTION int fit_model_tia(const double* t, const double* a, const bool* valid,
                                         int n, int m, int i_last, const TiaFitOptions& opt,
                                         std::uint8_t model, TimeLogTable& logs, double& tia) {
  if (model == kModelGamma) {
    GammaParams p;
    p.ln_k = p.alpha = p.beta = tmath::nan();
    p.clamped = false;
    const double ts = t[i_last];
    if (m < 3 || !(ts > 0.0)) return kModelFailed;
    const double* ln_u = time_log_row(t, n, i_last, logs);
    double g_tia;
    const int oc = gamma_fit_linearized_core(t, a, valid, n, opt, ts, logs.ln_t[i_last],
                                             logs.ratio + i_last * kTiaMaxTimePoints, ln_u, p,
                                             g_tia);
    if (oc != kModelOk) return oc;
    if (opt.refine_gamma) {
      gamma_refine(t, a, valid, n, opt, p);
      g_tia = gamma_tia(p);
    }
    tia = g_tia;
    return kModelOk;
  }
  if (model == kModelExponential) {
    ExpTailParams p;
    time_log_row(t, n, i_last, logs);
    const int oc = exp_tail_fit(t, a, valid, n, opt, p, logs.ratio + i_last * kTiaMaxTimePoints);
    if (oc != kModelOk) return oc;
    tia = exp_tail_tia(p);
    return kModelOk;
  }
  if (model == kModelHybrid) {
    if (m < 1) return kModelFailed;
    const double h = hybrid_tia(t, a, valid, n, opt);
    if (!tmath::isfinite(h) || h < 0.0) return kModelNonPhysical;
    tia = h;
    return kModelOk;
  }
  if (model >= kModelMonoexp && model <= kModelTriexp) {
    CandidateFit f;
    fit_candidate(t, a, valid, n, m, opt, model, f);
    if (f.outcome == kModelOk) tia = f.tia;
    return f.outcome;
  }
  return kModelFailed;
}

}  // namespace detail

/// Status and TIA of one curve, as a bootstrap replicate needs them: with reclassify, exactly
/// fit_tac's status and tia; without, exactly fit_tac_with_model(model)'s (the curve class
/// passed there only affects t_peak). Same inputs as fit_tac; logs: the TimeLogTable of t
/// (reused across calls with the same t, n). tia is NaN unless the status is kStatusOk. Skips
/// what a replicate does not use (TacResult, prediction, t_peak, R^2, the second lgamma).
/// Never throws, never allocates.
KOKKOS_INLINE_FUNCTION std::uint8_t fit_tac_tia(const double* t_s, const double* a_bq, int n,
                                                const TiaFitOptions& opt, bool reclassify,
                                                std::uint8_t model, TimeLogTable& logs,
                                                double& tia) {
  tia = tmath::nan();
  if (n > kTiaMaxTimePoints) return kStatusFitFailed;
  if (n < 0) n = 0;
  bool valid[kTiaMaxTimePoints];
  const int m = valid_points(a_bq, n, opt, valid);
  if (m == 0) return kStatusAllBelowFloor;
  if (m == 1) return kStatusInsufficientPoints;
  int i_last = 0;
  for (int i = 0; i < n; ++i) {
    if (valid[i]) i_last = i;
  }
  if (reclassify && opt.selection != ModelSelection::Design) {
    CandidateFit f;
    const int oc = select_candidate(t_s, a_bq, valid, n, m, opt, f);
    if (oc != kModelOk) return detail::failure_status(oc);
    tia = f.tia;
    return kStatusOk;
  }
  if (reclassify) model = auto_model(classify_curve(a_bq, valid, n, opt.classification_epsilon));
  double v = tmath::nan();
  int oc = detail::fit_model_tia(t_s, a_bq, valid, n, m, i_last, opt, model, logs, v);
  if (reclassify && oc != kModelOk && model != kModelHybrid) {
    oc = detail::fit_model_tia(t_s, a_bq, valid, n, m, i_last, opt, kModelHybrid, logs, v);
  }
  if (oc != kModelOk) return detail::failure_status(oc);
  tia = v;
  return kStatusOk;
}

}  // namespace voxflow::tia
