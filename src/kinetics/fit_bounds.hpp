#pragma once
// Parameter bounds and start values of the per-voxel PROXYL fit, as in the original Python
// design (seeds/000, fit_proxyl_kinetics): the box depends on the voxel's own signal s(t).
// All functions are allocation-free KOKKOS_INLINE_FUNCTIONs usable inside kernels.
#include <Kokkos_Core.hpp>

#include "src/kinetics/proxyl_model.hpp"

namespace voxflow::kinetics {

/// Lower and upper bound of every parameter (order of param::Index).
struct FitBounds {
  double lo[kNumParams];
  double hi[kNumParams];
};

/// Largest number of points whose median the start-value rule needs (last 20% of up to 512).
constexpr int kMaxTailPoints = 512 / 5 + 1;

/// The original's box, with s = y[0..n), range = max(s) - min(s), t in minutes (ascending):
///   A0 in [0, 2 max(s)], A1 in [0, 3 range], A2 in [-range, range], kb in [0.001, 2],
///   kd in [0.001, 1], knt in [0.001, 0.2], t0 and tmax in [t[0], t[n-1]].
/// Returns false (box unusable, the fit must fail) when n < 2, the values are not finite, the
/// series is flat (range == 0), max(s) <= 0 or t[n-1] <= t[0]. No other error conditions.
KOKKOS_INLINE_FUNCTION bool proxyl_bounds(const double* t, const double* y, int n, FitBounds& b) {
  if (n < 2) return false;
  double ymin = y[0], ymax = y[0];
  for (int i = 0; i < n; ++i) {
    if (!voxflow::kmath::isfinite(y[i]) || !voxflow::kmath::isfinite(t[i])) return false;
    ymin = y[i] < ymin ? y[i] : ymin;
    ymax = y[i] > ymax ? y[i] : ymax;
  }
  const double range = ymax - ymin;
  if (!(range > 0.0) || !(ymax > 0.0) || !(t[n - 1] > t[0])) return false;
  b.lo[param::A0] = 0.0;
  b.hi[param::A0] = 2.0 * ymax;
  b.lo[param::A1] = 0.0;
  b.hi[param::A1] = 3.0 * range;
  b.lo[param::A2] = -range;
  b.hi[param::A2] = range;
  b.lo[param::kb] = 0.001;
  b.hi[param::kb] = 2.0;
  b.lo[param::kd] = 0.001;
  b.hi[param::kd] = 1.0;
  b.lo[param::knt] = 0.001;
  b.hi[param::knt] = 0.2;
  b.lo[param::t0] = t[0];
  b.hi[param::t0] = t[n - 1];
  b.lo[param::tmax] = t[0];
  b.hi[param::tmax] = t[n - 1];
  return true;
}

/// Moves p[kNumParams] into the box [b.lo, b.hi] component-wise.
KOKKOS_INLINE_FUNCTION void clip_to_bounds(const FitBounds& b, double* p) {
  for (int i = 0; i < kNumParams; ++i) {
    p[i] = p[i] < b.lo[i] ? b.lo[i] : (p[i] > b.hi[i] ? b.hi[i] : p[i]);
  }
}

/// The original's start values for y[0..n) at times t (minutes), n >= 2, clipped into b:
///   A0 = mean of the first max(3, floor(0.05 n)) points; tail = median of the last
///   max(1, floor(0.2 n)) points; A2 = tail - A0; A1 = max(max(s) - A0 - max(A2, 0), 0);
///   t0 = t[i] for the first i with s[i+1] - s[i] > 0.1 std(first differences) (population
///   std), else t[0]; tmax = time of the (first) maximum; kb 0.05, kd 0.02, knt 0.01.
/// bench/original_fit.py applies exactly the same rules.
KOKKOS_INLINE_FUNCTION void proxyl_initial_guess(const double* t, const double* y, int n,
                                                 const FitBounds& b, double* p0) {
  int n_base = n / 20;
  if (n_base < 3) n_base = 3;
  if (n_base > n) n_base = n;
  double a0 = 0.0;
  for (int i = 0; i < n_base; ++i) a0 += y[i];
  a0 /= n_base;

  // median of the last 20%: insertion sort of at most kMaxTailPoints values
  int m = n / 5;
  if (m < 1) m = 1;
  if (m > kMaxTailPoints) m = kMaxTailPoints;
  double tail_buf[kMaxTailPoints];
  for (int i = 0; i < m; ++i) {
    const double v = y[n - m + i];
    int j = i;
    while (j > 0 && tail_buf[j - 1] > v) {
      tail_buf[j] = tail_buf[j - 1];
      --j;
    }
    tail_buf[j] = v;
  }
  const double tail = (m % 2 == 1) ? tail_buf[m / 2] : 0.5 * (tail_buf[m / 2 - 1] + tail_buf[m / 2]);

  int i_peak = 0;
  for (int i = 1; i < n; ++i) {
    if (y[i] > y[i_peak]) i_peak = i;
  }
  const double peak = y[i_peak];
  const double a2 = tail - a0;
  double a1 = peak - a0 - (a2 > 0.0 ? a2 : 0.0);
  if (a1 < 0.0) a1 = 0.0;

  // onset: first difference above 0.1 * std of the first differences
  double dmean = 0.0;
  for (int i = 0; i + 1 < n; ++i) dmean += y[i + 1] - y[i];
  dmean /= (n - 1);
  double dvar = 0.0;
  for (int i = 0; i + 1 < n; ++i) {
    const double d = (y[i + 1] - y[i]) - dmean;
    dvar += d * d;
  }
  const double thr = 0.1 * voxflow::kmath::sqrt(dvar / (n - 1));
  double t0 = t[0];
  for (int i = 0; i + 1 < n; ++i) {
    if (y[i + 1] - y[i] > thr) {
      t0 = t[i];
      break;
    }
  }

  p0[param::A0] = a0;
  p0[param::A1] = a1;
  p0[param::A2] = a2;
  p0[param::kb] = 0.05;
  p0[param::kd] = 0.02;
  p0[param::knt] = 0.01;
  p0[param::t0] = t0;
  p0[param::tmax] = t[i_peak];
  clip_to_bounds(b, p0);
}

/// The second start used when the first fit fails or is poor (voxflow's choice, documented in
/// docs/kinetics_fit.md): the amplitudes of `first` (the original's start), t0 = t[0],
/// tmax = midpoint of the time range, kb 0.1, kd 0.05, knt 0.01; clipped into b.
KOKKOS_INLINE_FUNCTION void proxyl_fallback_guess(const double* t, int n, const FitBounds& b,
                                                  const double* first, double* p0) {
  p0[param::A0] = first[param::A0];
  p0[param::A1] = first[param::A1];
  p0[param::A2] = first[param::A2];
  p0[param::kb] = 0.1;
  p0[param::kd] = 0.05;
  p0[param::knt] = 0.01;
  p0[param::t0] = t[0];
  p0[param::tmax] = 0.5 * (t[0] + t[n - 1]);
  clip_to_bounds(b, p0);
}

}  // namespace voxflow::kinetics
