#pragma once
// Noise floor and valid points of one time-activity curve (docs/tia_models.md; TIA spec §1;
// seeds/002 PyTIA design §5).
#include <Kokkos_Core.hpp>

#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"

namespace voxflow::tia {

/// Noise floor of the curve a[0..n) (Bq per voxel): opt.floor_absolute_bq (already converted to
/// Bq per voxel) in mode Absolute, opt.floor_relative * max_i a_i in mode Relative (non-finite
/// values are ignored for the maximum; 0 when none is positive), 0 in mode Off.
/// Source: PyTIA design §5.1.
KOKKOS_INLINE_FUNCTION double noise_floor(const double* a, int n, const TiaFitOptions& opt) {
  if (opt.floor_mode == NoiseFloorMode::Absolute) return opt.floor_absolute_bq;
  if (opt.floor_mode == NoiseFloorMode::Relative) {
    double amax = 0.0;
    for (int i = 0; i < n; ++i) amax = a[i] > amax ? a[i] : amax;  // NaN compares false
    return opt.floor_relative * amax;
  }
  return 0.0;
}

/// Marks the valid points of a[0..n) (n <= kTiaMaxTimePoints): valid[i] = a_i > 0 and
/// a_i >= floor (floor = noise_floor(a, n, opt)); NaN values are never valid. Returns the number
/// of valid points. Source: TIA spec §1 (points below the floor are missing for the fit).
KOKKOS_INLINE_FUNCTION int valid_points(const double* a, int n, const TiaFitOptions& opt,
                                        bool* valid) {
  const double floor = noise_floor(a, n, opt);
  int m = 0;
  for (int i = 0; i < n; ++i) {
    valid[i] = a[i] > 0.0 && a[i] >= floor;
    m += valid[i] ? 1 : 0;
  }
  return m;
}

}  // namespace voxflow::tia
