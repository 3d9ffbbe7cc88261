#pragma once
// Coefficient of determination of a fitted curve over its valid points (TIA spec §4 "R^2";
// PyTIA design §7.4).
#include <Kokkos_Core.hpp>

#include "src/tia/tia_math.hpp"

namespace voxflow::tia {

/// R^2 = 1 - SS_res / SS_tot over the points with valid[i] of a[0..n) against pred[0..n)
/// (SS_tot about the mean of the valid a). NaN when fewer than 3 valid points or SS_tot == 0.
KOKKOS_INLINE_FUNCTION double r_squared(const double* a, const double* pred, const bool* valid,
                                        int n) {
  int m = 0;
  double mean = 0.0;
  for (int i = 0; i < n; ++i) {
    if (valid[i]) {
      mean += a[i];
      ++m;
    }
  }
  if (m < 3) return tmath::nan();
  mean /= m;
  double ss_tot = 0.0, ss_res = 0.0;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    ss_tot += (a[i] - mean) * (a[i] - mean);
    ss_res += (a[i] - pred[i]) * (a[i] - pred[i]);
  }
  if (ss_tot == 0.0) return tmath::nan();
  return 1.0 - ss_res / ss_tot;
}

}  // namespace voxflow::tia
