#pragma once
// Curve classification of one time-activity curve over its valid points (TIA spec §2; PyTIA
// design §7.2: peak index among valid points and signs of the differences with a relative
// epsilon).
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "src/tia/tia_types.hpp"

namespace voxflow::tia {

/// Class of the curve a[0..n) over the points with valid[i] (time order v_0 .. v_{m-1}):
/// p = first maximum, eps = epsilon * a_p, s = #{d_j > eps} - #{d_j < -eps} over the
/// successive differences d_j = a(v_{j+1}) - a(v_j);
/// falling: p == v_0 and s < 0; rising: p == v_{m-1} and s > 0; hump: p interior and both end
/// points below a_p - eps; ambiguous otherwise. Returns kClassNone when m < 2.
KOKKOS_INLINE_FUNCTION std::uint8_t classify_curve(const double* a, const bool* valid, int n,
                                                   double epsilon) {
  int first = -1, last = -1, p = -1, m = 0;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    if (first < 0) first = i;
    last = i;
    if (p < 0 || a[i] > a[p]) p = i;
    ++m;
  }
  if (m < 2) return kClassNone;
  const double a_pk = a[p];
  const double eps = epsilon * a_pk;
  int s = 0, prev = -1;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    if (prev >= 0) {
      const double d = a[i] - a[prev];
      if (d > eps) ++s;
      if (d < -eps) --s;
    }
    prev = i;
  }
  if (p == first && s < 0) return kClassFalling;
  if (p == last && s > 0) return kClassRising;
  if (p != first && p != last && a[first] < a_pk - eps && a[last] < a_pk - eps) return kClassHump;
  return kClassAmbiguous;
}

}  // namespace voxflow::tia
