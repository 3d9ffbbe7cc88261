#pragma once
// Region mode (TIA spec §5; PyTIA design §8): fit of the mean TAC of a region with its fixed
// model, reference time at the peak of the fitted region curve, per-voxel amplitude scaling,
// and the region bootstrap (§6, voxel id 2^63 + label).
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "src/tia/bootstrap.hpp"
#include "src/tia/goodness_of_fit.hpp"
#include "src/tia/noise_floor.hpp"
#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"
#include "src/tia/voxel_tia.hpp"

namespace voxflow::tia {

/// Fit of one region TAC. fit: the region curve's fit (status 1 when one model succeeded);
/// ref_index: sample index of t_ref (-1 when the fit failed); a_ref = Ahat_region(t_ref) (Bq);
/// tia_ref: region TIA (Bq*s); sigma_tia_ref: bootstrap sigma of tia_ref (NaN until
/// region_bootstrap_sigma's result is stored here by the caller).
struct RegionFit {
  TacResult fit;
  int ref_index;
  double a_ref;
  double tia_ref;
  double sigma_tia_ref;
};

/// Voxel id of a region in the bootstrap keys: 2^63 + label (TIA spec §6).
KOKKOS_INLINE_FUNCTION std::uint64_t region_voxel_id(std::uint64_t label) {
  return (static_cast<std::uint64_t>(1) << 63) + label;
}

/// Fits the region TAC mean_a[n] (Bq per voxel, mean over the region's voxels, before the floor)
/// at t[n] (s): noise floor, then fit_tac_with_model with models[0] (the default model), then
/// models[1..n_models) in order until one gives status 1; no classification (region_class,
/// default none, is passed on for the hybrid's rising_mode peak_at_last). t_ref = the valid
/// sample time with the largest prediction (first on ties). When no model succeeds,
/// region.fit is the default model's result and ref_index = -1, a_ref / tia_ref NaN; a fit
/// whose a_ref is not > 0 is marked status 3. Source: TIA spec §5, PyTIA design §8.2-8.3.
KOKKOS_INLINE_FUNCTION void fit_region_tac(const double* t, const double* mean_a, int n,
                                           const TiaFitOptions& opt, const std::uint8_t* models,
                                           int n_models, RegionFit& region,
                                           std::uint8_t region_class = kClassNone) {
  region.ref_index = -1;
  region.a_ref = tmath::nan();
  region.tia_ref = tmath::nan();
  region.sigma_tia_ref = tmath::nan();
  TacResult attempt;
  for (int k = 0; k < n_models; ++k) {
    fit_tac_with_model(t, mean_a, n, opt, models[k], attempt, region_class);
    if (k == 0 || attempt.status == kStatusOk) region.fit = attempt;
    if (attempt.status == kStatusOk) break;
  }
  if (n_models < 1) {
    fit_tac_with_model(t, mean_a, n, opt, kModelNone, region.fit, region_class);
  }
  if (region.fit.status != kStatusOk) return;
  int ref = -1;
  for (int i = 0; i < n; ++i) {
    if (region.fit.valid[i] && (ref < 0 || region.fit.prediction[i] > region.fit.prediction[ref])) {
      ref = i;
    }
  }
  if (ref < 0 || !(region.fit.prediction[ref] > 0.0) ||
      !tmath::isfinite(region.fit.prediction[ref])) {
    detail::set_not_fitted(region.fit, kStatusFitFailed);
    return;
  }
  region.ref_index = ref;
  region.a_ref = region.fit.prediction[ref];
  region.tia_ref = region.fit.tia;
}

/// Bootstrap sigma of the region TIA (Bq*s): bootstrap_sigma on the region TAC with the
/// region's fixed model (no reclassification) and voxel id region_voxel_id(label). NaN when
/// the region fit is not ok or fewer than 2 replicates succeed. The caller stores it in
/// region.sigma_tia_ref; a voxel's sigma is scale * sigma_tia_ref (TIA spec §6).
KOKKOS_INLINE_FUNCTION double region_bootstrap_sigma(const double* t, const double* mean_a, int n,
                                                     const TiaFitOptions& opt,
                                                     const RegionFit& region, int replicates,
                                                     std::uint64_t seed, std::uint64_t label) {
  return bootstrap_sigma(t, mean_a, n, opt, region.fit, replicates, seed, region_voxel_id(label),
                         false);
}

/// Applies a region fit to one voxel of the region: t[n] (s), a_voxel[n] (Bq per voxel).
/// Valid points under the voxel's own floor. If the region fit is ok and the voxel's point at
/// t_ref is valid: scale = a_voxel(t_ref) / a_ref, tia = scale * tia_ref, status 1, model,
/// curve_class and tpeak of the region, prediction = scale * Ahat_region, r2 = R^2 of that
/// prediction against the voxel's valid points when voxel_level_r2, else the region's R^2.
/// Otherwise status 2 (the region fit's status when the region fit is not ok) with NaN tia,
/// r2, tpeak, prediction and scale = NaN. The voxel's sigma is scale * region.sigma_tia_ref.
/// Source: TIA spec §5, PyTIA design §8.3-8.4.
KOKKOS_INLINE_FUNCTION void apply_region_to_voxel(const double* t, const double* a_voxel, int n,
                                                  const TiaFitOptions& opt,
                                                  const RegionFit& region, bool voxel_level_r2,
                                                  TacResult& out, double& scale) {
  (void)t;
  scale = tmath::nan();
  out.curve_class = kClassNone;
  out.n_valid = 0;
  for (int i = 0; i < kTiaMaxTimePoints; ++i) out.valid[i] = false;
  detail::set_not_fitted(out, kStatusFitFailed);
  if (n > kTiaMaxTimePoints || n < 1) return;
  out.n_valid = valid_points(a_voxel, n, opt, out.valid);
  if (region.fit.status != kStatusOk || region.ref_index < 0 || region.ref_index >= n) {
    detail::set_not_fitted(out, region.fit.status != kStatusOk ? region.fit.status
                                                               : static_cast<std::uint8_t>(kStatusFitFailed));
    return;
  }
  const int ref = region.ref_index;
  if (!out.valid[ref]) {
    detail::set_not_fitted(out, kStatusInsufficientPoints);
    return;
  }
  scale = a_voxel[ref] / region.a_ref;
  out.status = kStatusOk;
  out.model = region.fit.model;
  out.curve_class = region.fit.curve_class;
  out.tia = scale * region.tia_ref;
  out.tpeak = region.fit.tpeak;
  for (int i = 0; i < kTiaMaxTimePoints; ++i) {
    out.prediction[i] = i < n ? scale * region.fit.prediction[i] : tmath::nan();
  }
  out.r2 = voxel_level_r2 ? r_squared(a_voxel, out.prediction, out.valid, n) : region.fit.r2;
}

}  // namespace voxflow::tia
