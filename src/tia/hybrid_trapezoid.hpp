#pragma once
// Hybrid model: trapezoid over the valid points plus the physical tail (PyTIA design §7.3
// model C and §7.4 piecewise prediction; TIA spec §4 "Hybrid").
#include <Kokkos_Core.hpp>

#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"

namespace voxflow::tia {

/// TIA (Bq*s) of the hybrid model over the valid points of a[0..n) at t[0..n) (s, increasing;
/// Bq per voxel): trapezoid rule over the valid points, preceded by (0, 0) when
/// opt.include_t0, plus a_last / lambda_phys (a_last = last valid value). 0 valid points give
/// NaN; the caller checks finiteness and sign (non-finite or negative: status 5).
KOKKOS_INLINE_FUNCTION double hybrid_tia(const double* t, const double* a, const bool* valid, int n,
                                         const TiaFitOptions& opt) {
  double area = 0.0;
  bool have_prev = opt.include_t0;
  double tp = 0.0, ap = 0.0;
  double a_last = tmath::nan();
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    if (have_prev) area += 0.5 * (ap + a[i]) * (t[i] - tp);
    have_prev = true;
    tp = t[i];
    ap = a[i];
    a_last = a[i];
  }
  return area + a_last / opt.lambda_phys;
}

/// Prediction of the hybrid model at every sample time t[0..n) into pred[0..n) (Bq): at an
/// interior valid point, linear interpolation in time between the previous and the next valid
/// point (leave-one-out, so that R^2 is not trivially 1); at the first and last valid points
/// the value itself; at a non-valid time, linear interpolation between the nearest valid points
/// around it, constant beyond the first / last valid point. No valid point: NaN everywhere.
KOKKOS_INLINE_FUNCTION void hybrid_predict(const double* t, const double* a, const bool* valid,
                                           int n, double* pred) {
  for (int i = 0; i < n; ++i) {
    int lo = -1, hi = -1;
    for (int j = i - 1; j >= 0; --j) {
      if (valid[j]) {
        lo = j;
        break;
      }
    }
    for (int j = i + 1; j < n; ++j) {
      if (valid[j]) {
        hi = j;
        break;
      }
    }
    if (valid[i] && (lo < 0 || hi < 0)) {
      pred[i] = a[i];  // first or last valid point
    } else if (lo >= 0 && hi >= 0) {
      const double f = (t[i] - t[lo]) / (t[hi] - t[lo]);
      pred[i] = a[lo] + f * (a[hi] - a[lo]);
    } else if (lo >= 0) {
      pred[i] = a[lo];
    } else if (hi >= 0) {
      pred[i] = a[hi];
    } else {
      pred[i] = tmath::nan();
    }
  }
}

}  // namespace voxflow::tia
