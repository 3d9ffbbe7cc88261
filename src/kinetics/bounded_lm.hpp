#pragma once
// Bounded nonlinear least squares for a small, fixed number of parameters (N <= 8 in voxflow),
// written for use inside Kokkos kernels: fixed-size arrays on the stack, no heap, no std::
// containers, no exceptions, deterministic (same input -> same bits on a given back-end and
// compiler).
//
// The method is the Trust Region Reflective algorithm of scipy.optimize.least_squares
// (method='trf', tr_solver='exact'; Branch, Coleman and Li, SIAM J. Sci. Comput. 21 (1999);
// scipy/optimize/_lsq/trf.py, trf_bounds) re-implemented step for step on the normal equations:
//  * the problem functor returns rss = sum r_i^2, J^T J and J^T r at x in one pass over the
//    data (no Jacobian matrix is stored);
//  * Coleman-Li scaling v (distance to the bound the gradient points at), d = sqrt(v), the
//    "hat" system H = d J^T J d + diag(g dv), g_h = d g;
//  * the trust-region subproblem min 0.5 p^T H p + g_h^T p, |p| <= Delta is solved as scipy's
//    solve_lsq_trust_region (Gauss-Newton step if it fits, else Newton iterations on the
//    Levenberg-Marquardt parameter alpha with rtol 0.01, at most 10), with Cholesky factors of
//    H + alpha I (LDL^T) instead of an SVD of the augmented Jacobian (same iterates in
//    exact arithmetic);
//  * step selection among the truncated trust-region step, its reflection at the bound and the
//    scaled gradient (theta = max(0.995, 1 - |g v|_inf): every iterate strictly inside the box);
//  * radius update and stopping exactly as scipy: ftol (dF < ftol F and ratio > 0.25), xtol
//    (|dx| < xtol (xtol + |x|)), gtol (|g v|_inf < gtol), max_nfev (default 100 N).
// With the same start, tolerances and an exact Jacobian it follows scipy's iterates (up to
// rounding and the finite-difference Jacobian scipy's curve_fit uses), so it converges to the
// same local minimum in the vast majority of cases (docs/kinetics_fit.md).
#include <cstdint>

#include <Kokkos_Core.hpp>

#include "src/core/kokkos_compat.hpp"

// Full unrolling of the small fixed-size loops (N = 8) of the solver and the model kernel.
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__) || defined(__clang__)
#define VOXFLOW_KINETICS_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define VOXFLOW_KINETICS_UNROLL _Pragma("GCC unroll 16")
#else
#define VOXFLOW_KINETICS_UNROLL
#endif

namespace voxflow::kinetics {

/// Why bounded_least_squares stopped (the values of scipy's OptimizeResult.status, plus -1).
enum class LsqStatus : int {
  MaxEval = 0,    ///< max_nfev reached (not converged; scipy's curve_fit raises here)
  Gtol = 1,       ///< scaled gradient below gtol
  Ftol = 2,       ///< relative cost decrease below ftol
  Xtol = 3,       ///< step below xtol
  FtolXtol = 4,   ///< both
  NonFinite = -1  ///< rss not finite at the start point
};

/// True when the status is one of the convergence tests (scipy's `success`).
KOKKOS_INLINE_FUNCTION bool lsq_converged(LsqStatus s) { return static_cast<int>(s) > 0; }

/// Tolerances and limits; the defaults are scipy.optimize.least_squares' defaults.
struct LsqOptions {
  double ftol = 1e-8;
  double xtol = 1e-8;
  double gtol = 1e-8;
  int max_nfev = 0;  ///< function evaluations, start included; 0 means 100 * N (scipy's trf)
};

/// Outcome of bounded_least_squares. jtj / jtr are J^T J (row-major N x N) and J^T r at the
/// returned x, so the caller can form the covariance without another pass over the data.
template <int N>
struct LsqResult {
  double rss;
  int nfev;
  LsqStatus status;
  double jtj[N * N];
  double jtr[N];
};

namespace detail {

/// The next representable double after x in the direction of y (std::nextafter, usable in
/// device code). x and y finite.
KOKKOS_INLINE_FUNCTION double next_toward(double x, double y) {
  if (x == y) return y;
  if (x == 0.0) return y > 0.0 ? 4.9406564584124654e-324 : -4.9406564584124654e-324;
  std::uint64_t bits = kmath::bit_cast<std::uint64_t>(x);
  if ((x < y) == (x > 0.0)) {
    ++bits;
  } else {
    --bits;
  }
  return kmath::bit_cast<double>(bits);
}

template <int N>
KOKKOS_INLINE_FUNCTION double dot(const double* a, const double* b) {
  double s = 0.0;
  VOXFLOW_KINETICS_UNROLL
  for (int i = 0; i < N; ++i) s += a[i] * b[i];
  return s;
}

template <int N>
KOKKOS_INLINE_FUNCTION double norm2(const double* a) {
  return voxflow::kmath::sqrt(dot<N>(a, a));
}

/// s0^T H s for the row-major symmetric N x N matrix H.
template <int N>
KOKKOS_INLINE_FUNCTION double bilinear(const double* h, const double* s0, const double* s) {
  double q = 0.0;
  VOXFLOW_KINETICS_UNROLL
  for (int i = 0; i < N; ++i) {
    double hs = 0.0;
    VOXFLOW_KINETICS_UNROLL
    for (int j = 0; j < N; ++j) hs += h[i * N + j] * s[j];
    q += s0[i] * hs;
  }
  return q;
}

/// s^T H s for the row-major symmetric N x N matrix H.
template <int N>
KOKKOS_INLINE_FUNCTION double quad(const double* h, const double* s) {
  return bilinear<N>(h, s, s);
}

/// LDL^T factor of H + alpha I (row-major symmetric N x N H): unit lower triangle in l
/// (strictly lower part), pivots in dg. Returns false when a pivot is not above 1e-13 times its
/// diagonal entry (not numerically positive definite). Cholesky-type factorizations are
/// invariant under symmetric diagonal scaling, so no explicit equilibration is needed.
template <int N>
KOKKOS_INLINE_FUNCTION bool ldlt(const double* h, double alpha, double* l, double* dg) {
  VOXFLOW_KINETICS_UNROLL
  for (int j = 0; j < N; ++j) {
    double w[N];
    double d = h[j * N + j] + alpha;
    const double ref = d;
    VOXFLOW_KINETICS_UNROLL
    for (int k = 0; k < j; ++k) {
      w[k] = l[j * N + k] * dg[k];
      d -= l[j * N + k] * w[k];
    }
    if (!(d > 1e-13 * ref) || !(ref > 0.0)) return false;
    dg[j] = d;
    const double inv = 1.0 / d;
    VOXFLOW_KINETICS_UNROLL
    for (int i = j + 1; i < N; ++i) {
      double s = h[i * N + j];
      VOXFLOW_KINETICS_UNROLL
      for (int k = 0; k < j; ++k) s -= l[i * N + k] * w[k];
      l[i * N + j] = s * inv;
    }
  }
  return true;
}

/// z = L^-1 b (forward substitution with the unit lower factor); returns b^T (LDL^T)^-1 b.
template <int N>
KOKKOS_INLINE_FUNCTION double ldlt_forward(const double* l, const double* dg, const double* b,
                                           double* z) {
  double acc = 0.0;
  VOXFLOW_KINETICS_UNROLL
  for (int i = 0; i < N; ++i) {
    double s = b[i];
    VOXFLOW_KINETICS_UNROLL
    for (int k = 0; k < i; ++k) s -= l[i * N + k] * z[k];
    z[i] = s;
    acc += s * s / dg[i];
  }
  return acc;
}

/// x = (LDL^T)^-1 b.
template <int N>
KOKKOS_INLINE_FUNCTION void ldlt_solve(const double* l, const double* dg, const double* b,
                                       double* x) {
  double z[N];
  ldlt_forward<N>(l, dg, b, z);
  VOXFLOW_KINETICS_UNROLL
  for (int i = N - 1; i >= 0; --i) {
    double s = z[i] / dg[i];
    VOXFLOW_KINETICS_UNROLL
    for (int k = i + 1; k < N; ++k) s -= l[k * N + i] * x[k];
    x[i] = s;
  }
}

/// Factor of H + alpha I, adding the smallest deterministic ridge that makes it positive
/// definite when alpha > 0 is below rounding (scipy's SVD never fails there).
template <int N>
KOKKOS_INLINE_FUNCTION void ldlt_ridge(const double* h, double alpha, double* l, double* dg) {
  if (ldlt<N>(h, alpha, l, dg)) return;
  double hmax = 0.0;
  for (int i = 0; i < N; ++i) hmax = h[i * N + i] > hmax ? h[i * N + i] : hmax;
  double ridge = (hmax > 0.0 ? hmax : 1.0) * 1e-12;
  for (int k = 0; k < 40; ++k) {
    if (ldlt<N>(h, alpha + ridge, l, dg)) return;
    ridge *= 10.0;
  }
  // not reachable for finite H; fall back to the identity (a gradient step)
  for (int i = 0; i < N * N; ++i) l[i] = 0.0;
  for (int i = 0; i < N; ++i) dg[i] = 1.0;
}

/// The part of scipy's solve_lsq_trust_region that does not depend on the radius, computed
/// once per outer iteration: whether H is (numerically) full rank, the Gauss-Newton step
/// p = -H^-1 g, |p| and p^T H^-1 p.
template <int N>
struct GaussNewtonStep {
  bool full_rank;
  double p[N];
  double p_norm;
  double p_hinv_p;
};

template <int N>
KOKKOS_INLINE_FUNCTION void gauss_newton_step(const double* h, const double* g,
                                              GaussNewtonStep<N>& gn) {
  double l[N * N], dg[N];
  double mg[N];
  for (int i = 0; i < N; ++i) mg[i] = -g[i];
  gn.full_rank = ldlt<N>(h, 0.0, l, dg);
  gn.p_norm = 0.0;
  gn.p_hinv_p = 0.0;
  for (int i = 0; i < N; ++i) gn.p[i] = 0.0;
  if (gn.full_rank) {
    ldlt_solve<N>(l, dg, mg, gn.p);
    gn.p_norm = norm2<N>(gn.p);
    double z[N];
    gn.p_hinv_p = ldlt_forward<N>(l, dg, gn.p, z);
  }
}

/// scipy's solve_lsq_trust_region on the normal equations: p = argmin 0.5 p^T H p + g^T p over
/// |p| <= delta. alpha: in the previous LM parameter, out the one used (0 for Gauss-Newton).
template <int N>
KOKKOS_INLINE_FUNCTION void solve_trust_region(const double* h, const double* g,
                                               const GaussNewtonStep<N>& gn, double delta,
                                               double& alpha, double* p) {
  constexpr double rtol = 0.01;
  constexpr int max_iter = 10;
  double l[N * N], dg[N];
  double mg[N];
  for (int i = 0; i < N; ++i) mg[i] = -g[i];
  const bool full_rank = gn.full_rank;
  double alpha_lower = 0.0;
  if (full_rank) {
    if (gn.p_norm <= delta) {
      for (int i = 0; i < N; ++i) p[i] = gn.p[i];
      alpha = 0.0;
      return;
    }
    // phi(0) = |p| - delta, phi'(0) = -p^T H^-1 p / |p|
    const double phi = gn.p_norm - delta;
    const double phi_prime = -gn.p_hinv_p / gn.p_norm;
    alpha_lower = -phi / phi_prime;
  }
  double alpha_upper = norm2<N>(g) / delta;
  if (!full_rank && alpha == 0.0) {
    const double a = 0.001 * alpha_upper, b = voxflow::kmath::sqrt(alpha_lower * alpha_upper);
    alpha = a > b ? a : b;
  }
  for (int it = 0; it < max_iter; ++it) {
    if (alpha < alpha_lower || alpha > alpha_upper) {
      const double a = 0.001 * alpha_upper, b = voxflow::kmath::sqrt(alpha_lower * alpha_upper);
      alpha = a > b ? a : b;
    }
    ldlt_ridge<N>(h, alpha, l, dg);
    ldlt_solve<N>(l, dg, mg, p);
    const double pn = norm2<N>(p);
    double z[N];
    const double phi = pn - delta;
    const double phi_prime = -ldlt_forward<N>(l, dg, p, z) / pn;
    if (phi < 0.0) alpha_upper = alpha;
    const double ratio = phi / phi_prime;
    alpha_lower = alpha_lower > alpha - ratio ? alpha_lower : alpha - ratio;
    alpha -= (phi + delta) * ratio / delta;
    if (voxflow::kmath::fabs(phi) < rtol * delta) break;
  }
  ldlt_ridge<N>(h, alpha, l, dg);
  ldlt_solve<N>(l, dg, mg, p);
  const double pn = norm2<N>(p);
  if (pn > 0.0) {
    for (int i = 0; i < N; ++i) p[i] *= delta / pn;
  }
}

/// scipy's step_size_to_bound: the largest t with lb <= x + t s <= ub; hits[i] = sign(s_i) for
/// the components that reach a bound at that t, else 0. Returns +inf (1e300) for s == 0.
template <int N>
KOKKOS_INLINE_FUNCTION double step_size_to_bound(const double* x, const double* s, const double* lb,
                                                 const double* ub, int* hits) {
  double steps[N];
  double min_step = 1e300;
  for (int i = 0; i < N; ++i) {
    if (s[i] != 0.0) {
      const double a = (lb[i] - x[i]) / s[i], b = (ub[i] - x[i]) / s[i];
      steps[i] = a > b ? a : b;
    } else {
      steps[i] = 1e300;
    }
    min_step = steps[i] < min_step ? steps[i] : min_step;
  }
  if (hits != nullptr) {
    for (int i = 0; i < N; ++i) {
      hits[i] = (steps[i] == min_step) ? (s[i] > 0.0 ? 1 : (s[i] < 0.0 ? -1 : 0)) : 0;
    }
  }
  return min_step;
}

/// Minimum of a t^2 + b t + c over [lo, hi] (scipy's minimize_quadratic_1d); value in *val.
KOKKOS_INLINE_FUNCTION double minimize_quadratic_1d(double a, double b, double lo, double hi,
                                                    double c, double* val) {
  double best_t = lo;
  double best_y = lo * (a * lo + b) + c;
  const double yh = hi * (a * hi + b) + c;
  if (yh < best_y) {
    best_t = hi;
    best_y = yh;
  }
  if (a != 0.0) {
    const double e = -0.5 * b / a;
    if (lo < e && e < hi) {
      const double ye = e * (a * e + b) + c;
      if (ye < best_y) {
        best_t = e;
        best_y = ye;
      }
    }
  }
  *val = best_y;
  return best_t;
}

/// scipy's select_step (trf.py): chooses among the trust-region step truncated at the bound,
/// its reflection, and the scaled anti-gradient. Writes step (original space) and step_h
/// ("hat" space); returns the predicted cost reduction.
template <int N>
KOKKOS_INLINE_FUNCTION double select_step(const double* x, const double* hmat, const double* g_h,
                                          double* p, double* p_h, const double* d, double delta,
                                          const double* lb, const double* ub, double theta,
                                          double* step, double* step_h) {
  // value of the quadratic model 0.5 s^T H s + g_h^T s (H includes diag_h)
  bool inside = true;
  for (int i = 0; i < N; ++i) {
    const double xi = x[i] + p[i];
    if (!(xi >= lb[i] && xi <= ub[i])) inside = false;
  }
  if (inside) {
    for (int i = 0; i < N; ++i) {
      step[i] = p[i];
      step_h[i] = p_h[i];
    }
    return -(0.5 * quad<N>(hmat, p_h) + dot<N>(p_h, g_h));
  }
  int hits[N];
  const double p_stride = step_size_to_bound<N>(x, p, lb, ub, hits);
  double r_h[N], r[N];
  for (int i = 0; i < N; ++i) {
    r_h[i] = hits[i] != 0 ? -p_h[i] : p_h[i];
    r[i] = d[i] * r_h[i];
    p[i] *= p_stride;
    p_h[i] *= p_stride;
  }
  double x_on_bound[N];
  for (int i = 0; i < N; ++i) x_on_bound[i] = x[i] + p[i];
  // intersect_trust_region(p_h, r_h, delta): the positive root
  double to_tr;
  {
    const double a = dot<N>(r_h, r_h);
    const double b = dot<N>(p_h, r_h);
    double c = dot<N>(p_h, p_h) - delta * delta;
    if (c > 0.0) c = 0.0;  // p_h is on the trust-region boundary up to rounding
    const double disc = voxflow::kmath::sqrt(b * b - a * c);
    const double q = -(b + (b >= 0.0 ? disc : -disc));
    const double t1 = q != 0.0 ? q / a : 0.0;
    const double t2 = q != 0.0 ? c / q : 0.0;
    to_tr = t1 > t2 ? t1 : t2;
    if (a == 0.0) to_tr = 0.0;
  }
  const double to_bound = step_size_to_bound<N>(x_on_bound, r, lb, ub, nullptr);
  double r_stride = to_bound < to_tr ? to_bound : to_tr;
  double r_stride_l, r_stride_u;
  if (r_stride > 0.0) {
    r_stride_l = (1.0 - theta) * p_stride / r_stride;
    r_stride_u = (r_stride == to_bound) ? theta * to_bound : to_tr;
  } else {
    r_stride_l = 0.0;
    r_stride_u = -1.0;
  }
  double r_value = 1e300;
  bool have_r = false;
  if (r_stride_l <= r_stride_u) {
    const double a = 0.5 * quad<N>(hmat, r_h);
    const double b = dot<N>(g_h, r_h) + bilinear<N>(hmat, p_h, r_h);
    const double c = 0.5 * quad<N>(hmat, p_h) + dot<N>(g_h, p_h);
    r_stride = minimize_quadratic_1d(a, b, r_stride_l, r_stride_u, c, &r_value);
    for (int i = 0; i < N; ++i) {
      r_h[i] = r_h[i] * r_stride + p_h[i];
      r[i] = r_h[i] * d[i];
    }
    have_r = true;
  }
  for (int i = 0; i < N; ++i) {
    p[i] *= theta;
    p_h[i] *= theta;
  }
  const double p_value = 0.5 * quad<N>(hmat, p_h) + dot<N>(p_h, g_h);
  double ag_h[N], ag[N];
  for (int i = 0; i < N; ++i) {
    ag_h[i] = -g_h[i];
    ag[i] = d[i] * ag_h[i];
  }
  const double gh_norm = norm2<N>(ag_h);
  const double ag_to_tr = gh_norm > 0.0 ? delta / gh_norm : 0.0;
  const double ag_to_bound = step_size_to_bound<N>(x, ag, lb, ub, nullptr);
  double ag_stride = ag_to_bound < ag_to_tr ? theta * ag_to_bound : ag_to_tr;
  double ag_value;
  {
    const double a = 0.5 * quad<N>(hmat, ag_h);
    const double b = dot<N>(g_h, ag_h);
    ag_stride = minimize_quadratic_1d(a, b, 0.0, ag_stride, 0.0, &ag_value);
  }
  if (p_value < r_value && p_value < ag_value) {
    for (int i = 0; i < N; ++i) {
      step[i] = p[i];
      step_h[i] = p_h[i];
    }
    return -p_value;
  }
  if (have_r && r_value < p_value && r_value < ag_value) {
    for (int i = 0; i < N; ++i) {
      step[i] = r[i];
      step_h[i] = r_h[i];
    }
    return -r_value;
  }
  for (int i = 0; i < N; ++i) {
    step[i] = ag[i] * ag_stride;
    step_h[i] = ag_h[i] * ag_stride;
  }
  return -ag_value;
}

/// Coleman-Li scaling vector v and its derivative sign dv (scipy's CL_scaling_vector).
template <int N>
KOKKOS_INLINE_FUNCTION void cl_scaling(const double* x, const double* g, const double* lb,
                                       const double* ub, double* v, double* dv) {
  for (int i = 0; i < N; ++i) {
    v[i] = 1.0;
    dv[i] = 0.0;
    if (g[i] < 0.0) {
      v[i] = ub[i] - x[i];
      dv[i] = -1.0;
    }
    if (g[i] > 0.0) {
      v[i] = x[i] - lb[i];
      dv[i] = 1.0;
    }
  }
}

}  // namespace detail

/// Minimises rss(x) = sum_i r_i(x)^2 over lb <= x <= ub (lb < ub component-wise) from x, with
/// scipy's Trust Region Reflective algorithm (see the top of this file), and overwrites x with
/// the last accepted iterate (strictly inside the box). `problem(x, jtj, jtr)` returns rss at x
/// and writes J^T J (row-major N x N) and J^T r (r = model - data); a non-finite rss makes the
/// step be retried with a smaller radius. The start is moved strictly inside the box as scipy
/// does (relative 1e-10). No error conditions beyond the status in the result.
template <int N, class Problem>
KOKKOS_INLINE_FUNCTION LsqResult<N> bounded_least_squares(const Problem& problem, double* x,
                                                          const double* lb, const double* ub,
                                                          const LsqOptions& opt) {
  LsqResult<N> res;
  const int max_nfev = opt.max_nfev > 0 ? opt.max_nfev : 100 * N;
  // make_strictly_feasible(x0, lb, ub, rstep=1e-10)
  for (int i = 0; i < N; ++i) {
    if (x[i] < lb[i]) x[i] = lb[i];
    if (x[i] > ub[i]) x[i] = ub[i];
    const double ld = x[i] - lb[i], ud = ub[i] - x[i];
    const double lt = 1e-10 * (voxflow::kmath::fabs(lb[i]) > 1.0 ? voxflow::kmath::fabs(lb[i]) : 1.0);
    const double ut = 1e-10 * (voxflow::kmath::fabs(ub[i]) > 1.0 ? voxflow::kmath::fabs(ub[i]) : 1.0);
    if (ld <= (ud < lt ? ud : lt)) {
      x[i] = lb[i] + lt;
    } else if (ud <= (ld < ut ? ld : ut)) {
      x[i] = ub[i] - ut;
    }
    if (x[i] < lb[i] || x[i] > ub[i]) x[i] = 0.5 * (lb[i] + ub[i]);
  }
  double rss = problem(x, res.jtj, res.jtr);
  res.nfev = 1;
  res.rss = rss;
  if (!voxflow::kmath::isfinite(rss)) {
    res.status = LsqStatus::NonFinite;
    return res;
  }
  double cost = 0.5 * rss;
  double v[N], dv[N];
  detail::cl_scaling<N>(x, res.jtr, lb, ub, v, dv);
  double delta;
  {
    double s = 0.0;
    for (int i = 0; i < N; ++i) s += x[i] * x[i] / v[i];
    delta = voxflow::kmath::sqrt(s);
    if (delta == 0.0) delta = 1.0;
  }
  double alpha = 0.0;
  int status = -100;  // "None"
  while (true) {
    detail::cl_scaling<N>(x, res.jtr, lb, ub, v, dv);
    double g_norm = 0.0;
    for (int i = 0; i < N; ++i) {
      const double a = voxflow::kmath::fabs(res.jtr[i] * v[i]);
      g_norm = a > g_norm ? a : g_norm;
    }
    if (g_norm < opt.gtol) status = static_cast<int>(LsqStatus::Gtol);
    if (status != -100 || res.nfev == max_nfev) break;

    double d[N], g_h[N], hmat[N * N];
    for (int i = 0; i < N; ++i) {
      d[i] = voxflow::kmath::sqrt(v[i]);
      g_h[i] = d[i] * res.jtr[i];
    }
    for (int i = 0; i < N; ++i) {
      for (int j = 0; j < N; ++j) hmat[i * N + j] = d[i] * res.jtj[i * N + j] * d[j];
      hmat[i * N + i] += res.jtr[i] * dv[i];  // diag_h = g * dv >= 0
    }
    const double theta = 1.0 - g_norm > 0.995 ? 1.0 - g_norm : 0.995;
    detail::GaussNewtonStep<N> gn;
    detail::gauss_newton_step<N>(hmat, g_h, gn);

    double actual_reduction = -1.0;
    double xn[N], jtj_new[N * N], jtr_new[N];
    for (int i = 0; i < N; ++i) jtr_new[i] = 0.0;
    for (int i = 0; i < N * N; ++i) jtj_new[i] = 0.0;
    double cost_new = cost;
    while (actual_reduction <= 0.0 && res.nfev < max_nfev) {
      double p_h[N], p[N], step[N], step_h[N];
      detail::solve_trust_region<N>(hmat, g_h, gn, delta, alpha, p_h);
      for (int i = 0; i < N; ++i) p[i] = d[i] * p_h[i];
      const double predicted =
          detail::select_step<N>(x, hmat, g_h, p, p_h, d, delta, lb, ub, theta, step, step_h);
      // make_strictly_feasible(x + step, rstep=0)
      for (int i = 0; i < N; ++i) {
        double xi = x[i] + step[i];
        if (xi <= lb[i]) {
          xi = detail::next_toward(lb[i], ub[i]);
        } else if (xi >= ub[i]) {
          xi = detail::next_toward(ub[i], lb[i]);
        }
        if (xi < lb[i] || xi > ub[i]) xi = 0.5 * (lb[i] + ub[i]);
        xn[i] = xi;
      }
      const double rss_new = problem(xn, jtj_new, jtr_new);
      ++res.nfev;
      const double step_h_norm = detail::norm2<N>(step_h);
      if (!voxflow::kmath::isfinite(rss_new)) {
        delta = 0.25 * step_h_norm;
        continue;
      }
      cost_new = 0.5 * rss_new;
      actual_reduction = cost - cost_new;
      // update_tr_radius
      double ratio;
      if (predicted > 0.0) {
        ratio = actual_reduction / predicted;
      } else if (predicted == 0.0 && actual_reduction == 0.0) {
        ratio = 1.0;
      } else {
        ratio = 0.0;
      }
      double delta_new = delta;
      if (ratio < 0.25) {
        delta_new = 0.25 * step_h_norm;
      } else if (ratio > 0.75 && step_h_norm > 0.95 * delta) {
        delta_new = 2.0 * delta;
      }
      // check_termination
      const double step_norm = detail::norm2<N>(step);
      const double x_norm = detail::norm2<N>(x);
      const bool ftol_ok = actual_reduction < opt.ftol * cost && ratio > 0.25;
      const bool xtol_ok = step_norm < opt.xtol * (opt.xtol + x_norm);
      if (ftol_ok && xtol_ok) {
        status = static_cast<int>(LsqStatus::FtolXtol);
      } else if (ftol_ok) {
        status = static_cast<int>(LsqStatus::Ftol);
      } else if (xtol_ok) {
        status = static_cast<int>(LsqStatus::Xtol);
      }
      if (status != -100) break;
      if (delta_new > 0.0) alpha *= delta / delta_new;
      delta = delta_new;
    }
    if (actual_reduction > 0.0) {
      for (int i = 0; i < N; ++i) {
        x[i] = xn[i];
        res.jtr[i] = jtr_new[i];
      }
      for (int i = 0; i < N * N; ++i) res.jtj[i] = jtj_new[i];
      cost = cost_new;
      res.rss = 2.0 * cost;
    }
  }
  res.status = status == -100 ? LsqStatus::MaxEval : static_cast<LsqStatus>(status);
  return res;
}

/// Inverts the symmetric positive semi-definite N x N matrix a (row-major) into inv for the
/// parameters with a nonzero diagonal; rows/columns of parameters with a zero diagonal (no
/// influence on the model) are NaN, and every entry is NaN when the rest is singular
/// (an LDL^T pivot <= 1e-13 of its diagonal). Used for the covariance sigma^2 (J^T J)^-1.
template <int N>
KOKKOS_INLINE_FUNCTION void spd_inverse(const double* a, double* inv) {
  const double nan = static_cast<double>(NAN);
  for (int i = 0; i < N * N; ++i) inv[i] = nan;
  // reduced matrix of the parameters with a nonzero diagonal, padded with the identity
  double r[N * N];
  bool use[N];
  int m = 0;
  for (int i = 0; i < N; ++i) {
    use[i] = a[i * N + i] > 0.0 && voxflow::kmath::isfinite(a[i * N + i]);
    m += use[i] ? 1 : 0;
  }
  if (m == 0) return;
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < N; ++j) {
      r[i * N + j] = (use[i] && use[j]) ? a[i * N + j] : (i == j ? 1.0 : 0.0);
    }
  }
  double l[N * N], dg[N];
  if (!detail::ldlt<N>(r, 0.0, l, dg)) return;
  for (int c = 0; c < N; ++c) {
    if (!use[c]) continue;
    double e[N], col[N];
    for (int i = 0; i < N; ++i) e[i] = (i == c) ? 1.0 : 0.0;
    detail::ldlt_solve<N>(l, dg, e, col);
    for (int i = 0; i < N; ++i) {
      if (use[i]) inv[i * N + c] = col[i];
    }
  }
}

}  // namespace voxflow::kinetics
