#pragma once
// Exact bounded linear least squares for the three amplitudes (A0, A1, A2) of the PROXYL model
// at fixed rates and onsets: the inner problem of the variable-projection fit
// (varpro_fit.hpp). Header-only, allocation-free, KOKKOS_INLINE_FUNCTION (Serial, OpenMP, CUDA).
#include <Kokkos_Core.hpp>

#include "src/core/kokkos_compat.hpp"

namespace voxflow::kinetics {

/// Number of linear parameters (amplitudes A0, A1, A2) of the model.
constexpr int kNumAmplitudes = 3;

/// Minimises q(a) = a^T G a - 2 b^T a (= |Phi a - y|^2 - y^T y with G = Phi^T Phi, b = Phi^T y)
/// over the box lo <= a <= hi, exactly: q is convex, so its minimum over the box is the
/// unconstrained minimum of q restricted to the free amplitudes of some active set (each
/// amplitude free, at its lower or at its upper bound). The unconstrained minimum is tried
/// first (returned at once when it lies in the box); otherwise all 27 active sets are
/// enumerated and the feasible candidate with the lowest q is kept (first one on ties; the 8
/// corners are always feasible, so there is always one). A column with
/// G_ii <= 1e-13 trace(G) (an amplitude without influence, e.g. the slow term when tmax is
/// after the last sample) is fixed at 0 clipped into its bounds.
/// Inputs: g[9] row-major symmetric 3 x 3, b[3], lo[3] < hi[3]. Outputs: a[3] (inside the box),
/// is_free[3] (true where the amplitude is strictly inside its bounds by the reduced solve).
/// Returns q(a). Reduced systems are solved by Cholesky; a pivot <= 1e-12 of its diagonal marks
/// the active set as singular and it is skipped (a neighbouring active set attains the same
/// minimum). Source: the active-set characterisation of box-constrained convex quadratic
/// programs (Nocedal & Wright, Numerical Optimization, 2nd ed., sec. 16.5 / 16.7).
KOKKOS_INLINE_FUNCTION double bounded_amplitudes(const double* g, const double* b, const double* lo,
                                                 const double* hi, double* a, bool* is_free) {
  const double trace = g[0] + g[4] + g[8];
  bool degen[kNumAmplitudes];
  double fixed0[kNumAmplitudes];
  for (int i = 0; i < kNumAmplitudes; ++i) {
    degen[i] = !(g[i * 4] > 1e-13 * trace);
    fixed0[i] = lo[i] > 0.0 ? lo[i] : (hi[i] < 0.0 ? hi[i] : 0.0);
  }
  double best_q = 0.0;
  bool found = false;
  for (int combo = 0; combo < 27; ++combo) {
    int st[kNumAmplitudes] = {combo % 3, (combo / 3) % 3, combo / 9};
    bool skip = false;
    for (int i = 0; i < kNumAmplitudes; ++i) {
      if (degen[i] && st[i] != 0) skip = true;  // a degenerate column has one state only
    }
    if (skip) continue;
    double x[kNumAmplitudes];
    int fidx[kNumAmplitudes];
    int m = 0;
    for (int i = 0; i < kNumAmplitudes; ++i) {
      if (degen[i]) {
        x[i] = fixed0[i];
      } else if (st[i] == 1) {
        x[i] = lo[i];
      } else if (st[i] == 2) {
        x[i] = hi[i];
      } else {
        fidx[m++] = i;
      }
    }
    // reduced system G_FF x_F = b_F - G_FX x_X, Cholesky (m <= 3)
    double l[9], rhs[kNumAmplitudes];
    bool ok = true;
    for (int r = 0; r < m; ++r) {
      const int fr = fidx[r];
      double s = b[fr];
      for (int i = 0; i < kNumAmplitudes; ++i) {
        bool is_f = false;
        for (int c = 0; c < m; ++c) is_f = is_f || fidx[c] == i;
        if (!is_f) s -= g[fr * 3 + i] * x[i];
      }
      rhs[r] = s;
    }
    for (int j = 0; j < m && ok; ++j) {
      double d = g[fidx[j] * 4];
      for (int k = 0; k < j; ++k) d -= l[j * 3 + k] * l[j * 3 + k];
      if (!(d > 1e-12 * g[fidx[j] * 4])) {
        ok = false;
        break;
      }
      l[j * 3 + j] = voxflow::kmath::sqrt(d);
      for (int i = j + 1; i < m; ++i) {
        double s = g[fidx[i] * 3 + fidx[j]];
        for (int k = 0; k < j; ++k) s -= l[i * 3 + k] * l[j * 3 + k];
        l[i * 3 + j] = s / l[j * 3 + j];
      }
    }
    if (!ok) continue;
    double z[kNumAmplitudes];
    for (int i = 0; i < m; ++i) {
      double s = rhs[i];
      for (int k = 0; k < i; ++k) s -= l[i * 3 + k] * z[k];
      z[i] = s / l[i * 3 + i];
    }
    for (int i = m - 1; i >= 0; --i) {
      double s = z[i];
      for (int k = i + 1; k < m; ++k) s -= l[k * 3 + i] * x[fidx[k]];
      x[fidx[i]] = s / l[i * 3 + i];
    }
    bool feasible = true;
    for (int r = 0; r < m; ++r) {
      const double v = x[fidx[r]];
      if (!(v >= lo[fidx[r]] && v <= hi[fidx[r]])) feasible = false;
    }
    if (!feasible) continue;
    double q = 0.0;
    for (int i = 0; i < kNumAmplitudes; ++i) {
      double gx = 0.0;
      for (int k = 0; k < kNumAmplitudes; ++k) gx += g[i * 3 + k] * x[k];
      q += x[i] * (gx - 2.0 * b[i]);
    }
    if (!found || q < best_q) {
      found = true;
      best_q = q;
      for (int i = 0; i < kNumAmplitudes; ++i) {
        a[i] = x[i];
        is_free[i] = false;
      }
      for (int r = 0; r < m; ++r) is_free[fidx[r]] = true;
    }
    if (combo == 0) break;  // the unconstrained minimum lies in the box: it is the minimum
  }
  return best_q;
}

}  // namespace voxflow::kinetics
