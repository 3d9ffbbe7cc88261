#pragma once
// Small weighted linear least squares (P = 2 or 3 unknowns) through the normal equations
// X^T W X theta = X^T W y, solved by an LDL^T (square-root-free Cholesky) factorisation in
// double (Golub & Van Loan, Matrix Computations, 4th ed., §4.1-4.2). Used by the linearised
// gamma variate and the exponential tail (PyTIA design §7.3: batched 3x3 / 2x2 WLS).
#include <Kokkos_Core.hpp>

#include "src/tia/tia_math.hpp"

namespace voxflow::tia {

/// Relative pivot below which a normal-equation matrix is treated as singular: an LDL^T pivot
/// must exceed kWlsPivotTolerance times the original diagonal entry of its row.
constexpr double kWlsPivotTolerance = 1e-12;

/// Solves the symmetric positive definite P x P system g x = b (g row-major) by LDL^T. Returns
/// false (x untouched) when a pivot is not above kWlsPivotTolerance times its diagonal entry
/// (numerically singular or indefinite) or a value is not finite.
template <int P>
KOKKOS_INLINE_FUNCTION bool solve_spd(const double* g, const double* b, double* x) {
  double l[P * P];
  double d[P];
  for (int j = 0; j < P; ++j) {
    double dj = g[j * P + j];
    const double ref = dj;
    for (int k = 0; k < j; ++k) dj -= l[j * P + k] * l[j * P + k] * d[k];
    if (!(ref > 0.0) || !(dj > kWlsPivotTolerance * ref) || !tmath::isfinite(dj)) return false;
    d[j] = dj;
    for (int i = j + 1; i < P; ++i) {
      double s = g[i * P + j];
      for (int k = 0; k < j; ++k) s -= l[i * P + k] * l[j * P + k] * d[k];
      l[i * P + j] = s / dj;
    }
  }
  double z[P];
  for (int i = 0; i < P; ++i) {
    double s = b[i];
    for (int k = 0; k < i; ++k) s -= l[i * P + k] * z[k];
    z[i] = s;
  }
  double r[P];
  for (int i = P - 1; i >= 0; --i) {
    double s = z[i] / d[i];
    for (int k = i + 1; k < P; ++k) s -= l[k * P + i] * r[k];
    r[i] = s;
  }
  for (int i = 0; i < P; ++i) {
    if (!tmath::isfinite(r[i])) return false;
  }
  for (int i = 0; i < P; ++i) x[i] = r[i];
  return true;
}

/// Closed-form P = 2 case of solve_spd (same operations in the same order, so bitwise the same
/// result and the same singularity rule: pivot d_j > kWlsPivotTolerance * g_jj, finite).
template <>
KOKKOS_INLINE_FUNCTION bool solve_spd<2>(const double* g, const double* b, double* x) {
  const double d0 = g[0];
  if (!(d0 > 0.0) || !(d0 > kWlsPivotTolerance * d0) || !tmath::isfinite(d0)) return false;
  const double l10 = g[2] / d0;
  const double ref1 = g[3];
  const double d1 = ref1 - l10 * l10 * d0;
  if (!(ref1 > 0.0) || !(d1 > kWlsPivotTolerance * ref1) || !tmath::isfinite(d1)) return false;
  const double z1 = b[1] - l10 * b[0];
  const double r1 = z1 / d1;
  const double r0 = b[0] / d0 - l10 * r1;
  if (!tmath::isfinite(r0) || !tmath::isfinite(r1)) return false;
  x[0] = r0;
  x[1] = r1;
  return true;
}

/// Weighted least squares: minimises sum_k w_k (y_k - x_k . theta)^2 over the m rows x_k
/// (x row-major m x P), y[m], w[m] (w_k >= 0). Returns false when the normal equations are
/// singular (see solve_spd) or not finite; theta[P] is then untouched.
template <int P>
KOKKOS_INLINE_FUNCTION bool weighted_least_squares(const double* x, const double* y,
                                                   const double* w, int m, double* theta) {
  double g[P * P];
  double b[P];
  for (int i = 0; i < P * P; ++i) g[i] = 0.0;
  for (int i = 0; i < P; ++i) b[i] = 0.0;
  for (int k = 0; k < m; ++k) {
    const double* row = x + k * P;
    for (int i = 0; i < P; ++i) {
      b[i] += w[k] * row[i] * y[k];
      for (int j = 0; j <= i; ++j) g[i * P + j] += w[k] * row[i] * row[j];
    }
  }
  for (int i = 0; i < P; ++i) {
    for (int j = i + 1; j < P; ++j) g[i * P + j] = g[j * P + i];
  }
  return solve_spd<P>(g, b, theta);
}

}  // namespace voxflow::tia
