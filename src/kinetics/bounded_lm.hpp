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
//
// The algorithm is written once, as a state machine per lane generic over the value type V
// (TrfState, trf_start, trf_tick: one problem evaluation per tick; branches are lane selects,
// data-dependent loops run while an active lane needs them; lane_math.hpp): V = double is
// bounded_least_squares (and CUDA/HIP device code), V = simd::Pack fits one problem per lane
// of a host vector register (voxel_fit_lanes.hpp). Every lane operation is the scalar one, so
// a lane's result depends on its own problem only.
#include <cstdint>

#include <Kokkos_Core.hpp>

#include "src/core/kokkos_compat.hpp"
#include "src/kinetics/lane_math.hpp"

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

using lane::land;
using lane::lall;
using lane::lany;
using lane::lfabs;
using lane::lfinite;
using lane::lmask;
using lane::lnot;
using lane::lor;
using lane::lsel;
using lane::lsplat;
using lane::lsqrt;
using lane::MaskOf;

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
#if VOXFLOW_SIMD_LANES
inline simd::Pack next_toward(simd::Pack x, simd::Pack y) {
  simd::Pack r{};
  for (int l = 0; l < simd::kLanes; ++l) r[l] = next_toward(x[l], y[l]);
  return r;
}
#endif

template <int N, class V>
KOKKOS_INLINE_FUNCTION V dot(const V* a, const V* b) {
  V s = lsplat<V>(0.0);
  VOXFLOW_KINETICS_UNROLL
  for (int i = 0; i < N; ++i) s += a[i] * b[i];
  return s;
}

template <int N, class V>
KOKKOS_INLINE_FUNCTION V norm2(const V* a) {
  return lsqrt(dot<N>(a, a));
}

/// s0^T H s for the row-major symmetric N x N matrix H.
template <int N, class V>
KOKKOS_INLINE_FUNCTION V bilinear(const V* h, const V* s0, const V* s) {
  V q = lsplat<V>(0.0);
  VOXFLOW_KINETICS_UNROLL
  for (int i = 0; i < N; ++i) {
    V hs = lsplat<V>(0.0);
    VOXFLOW_KINETICS_UNROLL
    for (int j = 0; j < N; ++j) hs += h[i * N + j] * s[j];
    q += s0[i] * hs;
  }
  return q;
}

/// s^T H s for the row-major symmetric N x N matrix H.
template <int N, class V>
KOKKOS_INLINE_FUNCTION V quad(const V* h, const V* s) {
  return bilinear<N>(h, s, s);
}

/// LDL^T factor of H + alpha I (row-major symmetric N x N H): unit lower triangle in l
/// (strictly lower part), pivots in dg. Returns, per lane, false when a pivot is not above
/// 1e-13 times its diagonal entry (not numerically positive definite; l and dg of that lane
/// are then meaningless). Cholesky-type factorizations are invariant under symmetric diagonal
/// scaling, so no explicit equilibration is needed.
template <int N, class V>
KOKKOS_INLINE_FUNCTION MaskOf<V> ldlt(const V* h, V alpha, V* l, V* dg) {
  MaskOf<V> ok = lmask<V>(true);
  VOXFLOW_KINETICS_UNROLL
  for (int j = 0; j < N; ++j) {
    V w[N];
    V d = h[j * N + j] + alpha;
    const V ref = d;
    VOXFLOW_KINETICS_UNROLL
    for (int k = 0; k < j; ++k) {
      w[k] = l[j * N + k] * dg[k];
      d -= l[j * N + k] * w[k];
    }
    ok = land(ok, land(d > 1e-13 * ref, ref > 0.0));
    if (!lany(ok)) {
      // no lane can use the factor; the rest is defined anyway (callers read it under masks)
      for (int jj = j; jj < N; ++jj) {
        dg[jj] = lsplat<V>(1.0);
        for (int i = jj + 1; i < N; ++i) l[i * N + jj] = lsplat<V>(0.0);
      }
      return ok;
    }
    dg[j] = d;
    const V inv = 1.0 / d;
    VOXFLOW_KINETICS_UNROLL
    for (int i = j + 1; i < N; ++i) {
      V s = h[i * N + j];
      VOXFLOW_KINETICS_UNROLL
      for (int k = 0; k < j; ++k) s -= l[i * N + k] * w[k];
      l[i * N + j] = s * inv;
    }
  }
  return ok;
}

/// z = L^-1 b (forward substitution with the unit lower factor); returns b^T (LDL^T)^-1 b.
template <int N, class V>
KOKKOS_INLINE_FUNCTION V ldlt_forward(const V* l, const V* dg, const V* b, V* z) {
  V acc = lsplat<V>(0.0);
  VOXFLOW_KINETICS_UNROLL
  for (int i = 0; i < N; ++i) {
    V s = b[i];
    VOXFLOW_KINETICS_UNROLL
    for (int k = 0; k < i; ++k) s -= l[i * N + k] * z[k];
    z[i] = s;
    acc += s * s / dg[i];
  }
  return acc;
}

/// x = (LDL^T)^-1 b.
template <int N, class V>
KOKKOS_INLINE_FUNCTION void ldlt_solve(const V* l, const V* dg, const V* b, V* x) {
  V z[N];
  ldlt_forward<N>(l, dg, b, z);
  VOXFLOW_KINETICS_UNROLL
  for (int i = N - 1; i >= 0; --i) {
    V s = z[i] / dg[i];
    VOXFLOW_KINETICS_UNROLL
    for (int k = i + 1; k < N; ++k) s -= l[k * N + i] * x[k];
    x[i] = s;
  }
}

/// Factor of H + alpha I, adding the smallest deterministic ridge that makes it positive
/// definite when alpha > 0 is below rounding (scipy's SVD never fails there). The ridge loop
/// runs while a lane of `act` needs it; each lane takes its own sequence of ridges.
template <int N, class V>
KOKKOS_INLINE_FUNCTION void ldlt_ridge(const V* h, V alpha, V* l, V* dg, MaskOf<V> act) {
  MaskOf<V> need = land(act, lnot(ldlt<N>(h, alpha, l, dg)));
  if (!lany(need)) return;
  V hmax = lsplat<V>(0.0);
  for (int i = 0; i < N; ++i) hmax = lsel(h[i * N + i] > hmax, h[i * N + i], hmax);
  V ridge = lsel(hmax > 0.0, hmax, lsplat<V>(1.0)) * 1e-12;
  for (int k = 0; k < 40 && lany(need); ++k) {
    V l2[N * N], dg2[N];
    const MaskOf<V> ok = ldlt<N>(h, alpha + ridge, l2, dg2);
    const MaskOf<V> take = land(need, ok);
    for (int i = 0; i < N * N; ++i) l[i] = lsel(take, l2[i], l[i]);
    for (int i = 0; i < N; ++i) dg[i] = lsel(take, dg2[i], dg[i]);
    need = land(need, lnot(ok));
    ridge = lsel(need, ridge * 10.0, ridge);
  }
  // not reachable for finite H; fall back to the identity (a gradient step)
  if (lany(need)) {
    for (int i = 0; i < N * N; ++i) l[i] = lsel(need, lsplat<V>(0.0), l[i]);
    for (int i = 0; i < N; ++i) dg[i] = lsel(need, lsplat<V>(1.0), dg[i]);
  }
}

/// The part of scipy's solve_lsq_trust_region that does not depend on the radius, computed
/// once per outer iteration: whether H is (numerically) full rank, the Gauss-Newton step
/// p = -H^-1 g, |p| and p^T H^-1 p.
template <int N, class V>
struct GaussNewtonStep {
  MaskOf<V> full_rank;
  V p[N];
  V p_norm;
  V p_hinv_p;
};

template <int N, class V>
KOKKOS_INLINE_FUNCTION void gauss_newton_step(const V* h, const V* g, GaussNewtonStep<N, V>& gn) {
  V l[N * N], dg[N];
  V mg[N];
  for (int i = 0; i < N; ++i) mg[i] = -g[i];
  gn.full_rank = ldlt<N>(h, lsplat<V>(0.0), l, dg);
  gn.p_norm = lsplat<V>(0.0);
  gn.p_hinv_p = lsplat<V>(0.0);
  for (int i = 0; i < N; ++i) gn.p[i] = lsplat<V>(0.0);
  if (lany(gn.full_rank)) {
    V p[N], z[N];
    ldlt_solve<N>(l, dg, mg, p);
    const V pn = norm2<N>(p);
    const V phinvp = ldlt_forward<N>(l, dg, p, z);
    for (int i = 0; i < N; ++i) gn.p[i] = lsel(gn.full_rank, p[i], gn.p[i]);
    gn.p_norm = lsel(gn.full_rank, pn, gn.p_norm);
    gn.p_hinv_p = lsel(gn.full_rank, phinvp, gn.p_hinv_p);
  }
}

/// scipy's solve_lsq_trust_region on the normal equations: p = argmin 0.5 p^T H p + g^T p over
/// |p| <= delta. alpha: in the previous LM parameter, out the one used (0 for Gauss-Newton).
/// Only the lanes of `act` are updated; the Newton iterations run while a lane needs them.
template <int N, class V>
KOKKOS_INLINE_FUNCTION void solve_trust_region(const V* h, const V* g, const GaussNewtonStep<N, V>& gn,
                                               V delta, V& alpha, V* p, MaskOf<V> act) {
  constexpr double rtol = 0.01;
  constexpr int max_iter = 10;
  const MaskOf<V> full_rank = gn.full_rank;
  const MaskOf<V> gn_fits = land(full_rank, gn.p_norm <= delta);
  const MaskOf<V> take_gn = land(act, gn_fits);
  if (lany(take_gn)) {
    for (int i = 0; i < N; ++i) p[i] = lsel(take_gn, gn.p[i], p[i]);
    alpha = lsel(take_gn, lsplat<V>(0.0), alpha);
  }
  MaskOf<V> need = land(act, lnot(gn_fits));
  if (!lany(need)) return;
  V l[N * N], dg[N];
  V mg[N];
  for (int i = 0; i < N; ++i) mg[i] = -g[i];
  // phi(0) = |p| - delta, phi'(0) = -p^T H^-1 p / |p|
  const V phi0 = gn.p_norm - delta;
  const V phi_prime0 = -gn.p_hinv_p / gn.p_norm;
  V alpha_lower = lsel(full_rank, -phi0 / phi_prime0, lsplat<V>(0.0));
  V alpha_upper = norm2<N>(g) / delta;
  V a_new = alpha;
  {
    const V a = 0.001 * alpha_upper, b = lsqrt(alpha_lower * alpha_upper);
    a_new = lsel(land(lnot(full_rank), alpha == 0.0), lsel(a > b, a, b), alpha);
  }
  MaskOf<V> it_m = need;
  for (int it = 0; it < max_iter && lany(it_m); ++it) {
    {
      const V a = 0.001 * alpha_upper, b = lsqrt(alpha_lower * alpha_upper);
      const MaskOf<V> out = lor(a_new < alpha_lower, a_new > alpha_upper);
      a_new = lsel(land(it_m, out), lsel(a > b, a, b), a_new);
    }
    V pt[N];
    ldlt_ridge<N>(h, a_new, l, dg, it_m);
    ldlt_solve<N>(l, dg, mg, pt);
    const V pn = norm2<N>(pt);
    V z[N];
    const V phi = pn - delta;
    const V phi_prime = -ldlt_forward<N>(l, dg, pt, z) / pn;
    alpha_upper = lsel(land(it_m, phi < 0.0), a_new, alpha_upper);
    const V ratio = phi / phi_prime;
    alpha_lower = lsel(it_m, lsel(alpha_lower > a_new - ratio, alpha_lower, a_new - ratio), alpha_lower);
    a_new = lsel(it_m, a_new - (phi + delta) * ratio / delta, a_new);
    it_m = land(it_m, lnot(lfabs(phi) < rtol * delta));
  }
  alpha = lsel(need, a_new, alpha);
  V pt[N];
  ldlt_ridge<N>(h, alpha, l, dg, need);
  ldlt_solve<N>(l, dg, mg, pt);
  const V pn = norm2<N>(pt);
  const V scale = delta / pn;
  for (int i = 0; i < N; ++i) p[i] = lsel(need, lsel(pn > 0.0, pt[i] * scale, pt[i]), p[i]);
}

/// scipy's step_size_to_bound: the largest t with lb <= x + t s <= ub; hit[i] set for the
/// components with s_i != 0 that reach a bound at that t (when hit != nullptr). Returns +inf
/// (1e300) for s == 0.
template <int N, class V>
KOKKOS_INLINE_FUNCTION V step_size_to_bound(const V* x, const V* s, const V* lb, const V* ub,
                                            MaskOf<V>* hit) {
  V steps[N];
  V min_step = lsplat<V>(1e300);
  for (int i = 0; i < N; ++i) {
    const V a = (lb[i] - x[i]) / s[i], b = (ub[i] - x[i]) / s[i];
    steps[i] = lsel(s[i] != 0.0, lsel(a > b, a, b), lsplat<V>(1e300));
    min_step = lsel(steps[i] < min_step, steps[i], min_step);
  }
  if (hit != nullptr) {
    for (int i = 0; i < N; ++i) hit[i] = land(steps[i] == min_step, lor(s[i] > 0.0, s[i] < 0.0));
  }
  return min_step;
}

/// Minimum of a t^2 + b t + c over [lo, hi] (scipy's minimize_quadratic_1d); value in *val.
template <class V>
KOKKOS_INLINE_FUNCTION V minimize_quadratic_1d(V a, V b, V lo, V hi, V c, V* val) {
  V best_t = lo;
  V best_y = lo * (a * lo + b) + c;
  const V yh = hi * (a * hi + b) + c;
  const MaskOf<V> mh = yh < best_y;
  best_t = lsel(mh, hi, best_t);
  best_y = lsel(mh, yh, best_y);
  const V e = -0.5 * b / a;
  const V ye = e * (a * e + b) + c;
  const MaskOf<V> me = land(land(a != 0.0, land(lo < e, e < hi)), ye < best_y);
  best_t = lsel(me, e, best_t);
  best_y = lsel(me, ye, best_y);
  *val = best_y;
  return best_t;
}

/// scipy's select_step (trf.py): chooses among the trust-region step truncated at the bound,
/// its reflection, and the scaled anti-gradient. Writes step (original space) and step_h
/// ("hat" space); returns the predicted cost reduction. p and p_h are overwritten.
template <int N, class V>
KOKKOS_INLINE_FUNCTION V select_step(const V* x, const V* hmat, const V* g_h, V* p, V* p_h,
                                     const V* d, V delta, const V* lb, const V* ub, V theta,
                                     V* step, V* step_h, MaskOf<V> act) {
  // value of the quadratic model 0.5 s^T H s + g_h^T s (H includes diag_h)
  MaskOf<V> inside = lmask<V>(true);
  for (int i = 0; i < N; ++i) {
    const V xi = x[i] + p[i];
    inside = land(inside, land(xi >= lb[i], xi <= ub[i]));
  }
  const V inside_value = -(0.5 * quad<N>(hmat, p_h) + dot<N>(p_h, g_h));
  for (int i = 0; i < N; ++i) {
    step[i] = p[i];
    step_h[i] = p_h[i];
  }
  if (lall(lor(inside, lnot(act)))) return inside_value;
  MaskOf<V> hits[N];
  const V p_stride = step_size_to_bound<N>(x, p, lb, ub, hits);
  V r_h[N], r[N];
  for (int i = 0; i < N; ++i) {
    r_h[i] = lsel(hits[i], -p_h[i], p_h[i]);
    r[i] = d[i] * r_h[i];
    p[i] *= p_stride;
    p_h[i] *= p_stride;
  }
  V x_on_bound[N];
  for (int i = 0; i < N; ++i) x_on_bound[i] = x[i] + p[i];
  // intersect_trust_region(p_h, r_h, delta): the positive root
  V to_tr;
  {
    const V a = dot<N>(r_h, r_h);
    const V b = dot<N>(p_h, r_h);
    V c = dot<N>(p_h, p_h) - delta * delta;
    c = lsel(c > 0.0, lsplat<V>(0.0), c);  // p_h is on the trust-region boundary up to rounding
    const V disc = lsqrt(b * b - a * c);
    const V q = -(b + lsel(b >= 0.0, disc, -disc));
    const V t1 = lsel(q != 0.0, q / a, lsplat<V>(0.0));
    const V t2 = lsel(q != 0.0, c / q, lsplat<V>(0.0));
    to_tr = lsel(t1 > t2, t1, t2);
    to_tr = lsel(a == 0.0, lsplat<V>(0.0), to_tr);
  }
  const V to_bound = step_size_to_bound<N>(x_on_bound, r, lb, ub, static_cast<MaskOf<V>*>(nullptr));
  V r_stride = lsel(to_bound < to_tr, to_bound, to_tr);
  const MaskOf<V> pos = r_stride > 0.0;
  const V r_stride_l = lsel(pos, (1.0 - theta) * p_stride / r_stride, lsplat<V>(0.0));
  const V r_stride_u = lsel(pos, lsel(r_stride == to_bound, theta * to_bound, to_tr), lsplat<V>(-1.0));
  V r_value = lsplat<V>(1e300);
  const MaskOf<V> have_r = r_stride_l <= r_stride_u;
  if (lany(have_r)) {
    const V a = 0.5 * quad<N>(hmat, r_h);
    const V b = dot<N>(g_h, r_h) + bilinear<N>(hmat, p_h, r_h);
    const V c = 0.5 * quad<N>(hmat, p_h) + dot<N>(g_h, p_h);
    V rv;
    r_stride = minimize_quadratic_1d(a, b, r_stride_l, r_stride_u, c, &rv);
    r_value = lsel(have_r, rv, r_value);
    for (int i = 0; i < N; ++i) {
      const V rh = r_h[i] * r_stride + p_h[i];
      r_h[i] = lsel(have_r, rh, r_h[i]);
      r[i] = lsel(have_r, rh * d[i], r[i]);
    }
  }
  for (int i = 0; i < N; ++i) {
    p[i] *= theta;
    p_h[i] *= theta;
  }
  const V p_value = 0.5 * quad<N>(hmat, p_h) + dot<N>(p_h, g_h);
  V ag_h[N], ag[N];
  for (int i = 0; i < N; ++i) {
    ag_h[i] = -g_h[i];
    ag[i] = d[i] * ag_h[i];
  }
  const V gh_norm = norm2<N>(ag_h);
  const V ag_to_tr = lsel(gh_norm > 0.0, delta / gh_norm, lsplat<V>(0.0));
  const V ag_to_bound = step_size_to_bound<N>(x, ag, lb, ub, static_cast<MaskOf<V>*>(nullptr));
  V ag_stride = lsel(ag_to_bound < ag_to_tr, theta * ag_to_bound, ag_to_tr);
  V ag_value;
  {
    const V a = 0.5 * quad<N>(hmat, ag_h);
    const V b = dot<N>(g_h, ag_h);
    ag_stride = minimize_quadratic_1d(a, b, lsplat<V>(0.0), ag_stride, lsplat<V>(0.0), &ag_value);
  }
  const MaskOf<V> choose_p = land(p_value < r_value, p_value < ag_value);
  const MaskOf<V> choose_r =
      land(lnot(choose_p), land(have_r, land(r_value < p_value, r_value < ag_value)));
  const MaskOf<V> out_p = land(lnot(inside), choose_p);
  const MaskOf<V> out_r = land(lnot(inside), choose_r);
  const MaskOf<V> out_ag = land(lnot(inside), lnot(lor(choose_p, choose_r)));
  for (int i = 0; i < N; ++i) {
    step[i] = lsel(out_p, p[i], lsel(out_r, r[i], lsel(out_ag, ag[i] * ag_stride, step[i])));
    step_h[i] = lsel(out_p, p_h[i], lsel(out_r, r_h[i], lsel(out_ag, ag_h[i] * ag_stride, step_h[i])));
  }
  return lsel(inside, inside_value, lsel(choose_p, -p_value, lsel(choose_r, -r_value, -ag_value)));
}

/// Coleman-Li scaling vector v and its derivative sign dv (scipy's CL_scaling_vector).
template <int N, class V>
KOKKOS_INLINE_FUNCTION void cl_scaling(const V* x, const V* g, const V* lb, const V* ub, V* v, V* dv) {
  for (int i = 0; i < N; ++i) {
    const MaskOf<V> neg = g[i] < 0.0, pos = g[i] > 0.0;
    v[i] = lsel(pos, x[i] - lb[i], lsel(neg, ub[i] - x[i], lsplat<V>(1.0)));
    dv[i] = lsel(pos, lsplat<V>(1.0), lsel(neg, lsplat<V>(-1.0), lsplat<V>(0.0)));
  }
}

}  // namespace detail

/// Phase of one problem (one lane) in TrfState.
namespace trf_phase {
constexpr double kStart = 0.0;  ///< the next tick evaluates the start point
constexpr double kTrial = 1.0;  ///< the next tick evaluates a trial point
constexpr double kDone = 2.0;   ///< finished: x, rss, jtj, jtr, nfev, status are the result
}  // namespace trf_phase

/// The state of scipy's Trust Region Reflective algorithm for one problem per lane of V
/// (V = double: one problem; V = simd::Pack: one per lane). Each lane is a state machine that
/// needs one problem evaluation per tick (trf_tick): at xe, its start point or its trial
/// point. Set up a lane with trf_start; it is finished when phase == trf_phase::kDone.
/// Integer quantities (nfev, status, phase) are kept as exact small doubles in V.
template <int N, class V>
struct TrfState {
  // the problem of the lane: box and tolerances
  V lb[N], ub[N];
  V max_nfev;
  // the last accepted iterate, its rss, J^T J (row-major), J^T r
  V x[N];
  V rss, cost;
  V jtj[N * N], jtr[N];
  V delta, alpha;
  V nfev;    ///< evaluations so far
  V status;  ///< LsqStatus as a double; -100: not yet stopped
  V phase;   ///< trf_phase
  // the current outer iteration: scaling, hat system, Gauss-Newton step
  V d[N], g_h[N], hmat[N * N], theta;
  detail::GaussNewtonStep<N, V> gn;
  // the point to evaluate and, for a trial point, its step
  V xe[N], step[N], step_h_norm, predicted;
};

/// Puts the lanes of `m` of st to the start of a problem: x0 the start point, [lb, ub] the box
/// (lb < ub). The start is moved strictly inside the box as scipy does (relative 1e-10) at the
/// next tick. max_nfev: function evaluations, start included (scipy's 100 N when 0).
template <int N, class V>
KOKKOS_INLINE_FUNCTION void trf_start(TrfState<N, V>& st, lane::MaskOf<V> m, const V* x0,
                                      const V* lb, const V* ub, int max_nfev) {
  using lane::lsel;
  using lane::lsplat;
  const double mn = max_nfev > 0 ? max_nfev : 100 * N;
  for (int i = 0; i < N; ++i) {
    st.xe[i] = lsel(m, x0[i], st.xe[i]);
    st.lb[i] = lsel(m, lb[i], st.lb[i]);
    st.ub[i] = lsel(m, ub[i], st.ub[i]);
  }
  st.max_nfev = lsel(m, lsplat<V>(mn), st.max_nfev);
  st.phase = lsel(m, lsplat<V>(trf_phase::kStart), st.phase);
  st.nfev = lsel(m, lsplat<V>(0.0), st.nfev);
  st.status = lsel(m, lsplat<V>(-100.0), st.status);
}

/// All lanes set to finished with a harmless point (the middle of [0, 1]): call before the
/// first trf_start of a lane group so that idle lanes are well defined.
template <int N, class V>
KOKKOS_INLINE_FUNCTION void trf_idle(TrfState<N, V>& st) {
  using lane::lsplat;
  st = TrfState<N, V>{};
  for (int i = 0; i < N; ++i) {
    st.lb[i] = lsplat<V>(0.0);
    st.ub[i] = lsplat<V>(1.0);
    st.x[i] = st.xe[i] = lsplat<V>(0.5);
  }
  st.max_nfev = lsplat<V>(100.0 * N);
  st.phase = lsplat<V>(trf_phase::kDone);
  st.nfev = lsplat<V>(0.0);
  st.status = lsplat<V>(-100.0);
}

namespace detail {

/// make_strictly_feasible(x0, lb, ub, rstep=1e-10) for the lanes of m.
template <int N, class V>
KOKKOS_INLINE_FUNCTION void make_strictly_feasible_start(V* x, const V* lb, const V* ub, MaskOf<V> m) {
  for (int i = 0; i < N; ++i) {
    V xi = x[i];
    xi = lsel(xi < lb[i], lb[i], xi);
    xi = lsel(xi > ub[i], ub[i], xi);
    const V ld = xi - lb[i], ud = ub[i] - xi;
    const V alb = lfabs(lb[i]), aub = lfabs(ub[i]);
    const V lt = 1e-10 * lsel(alb > 1.0, alb, lsplat<V>(1.0));
    const V ut = 1e-10 * lsel(aub > 1.0, aub, lsplat<V>(1.0));
    const MaskOf<V> to_l = ld <= lsel(ud < lt, ud, lt);
    const MaskOf<V> to_u = land(lnot(to_l), ud <= lsel(ld < ut, ld, ut));
    xi = lsel(to_l, lb[i] + lt, lsel(to_u, ub[i] - ut, xi));
    xi = lsel(lor(xi < lb[i], xi > ub[i]), 0.5 * (lb[i] + ub[i]), xi);
    x[i] = lsel(m, xi, x[i]);
  }
}

/// scipy's outer-iteration head for the lanes of m: scaling, gtol and max_nfev tests (lanes that
/// stop become kDone), then the hat system and the Gauss-Newton step. Returns the lanes that go on.
template <int N, class V>
KOKKOS_INLINE_FUNCTION MaskOf<V> trf_outer(TrfState<N, V>& st, const LsqOptions& opt, MaskOf<V> m) {
  V v[N], dv[N];
  cl_scaling<N>(st.x, st.jtr, st.lb, st.ub, v, dv);
  V g_norm = lsplat<V>(0.0);
  for (int i = 0; i < N; ++i) {
    const V a = lfabs(st.jtr[i] * v[i]);
    g_norm = lsel(a > g_norm, a, g_norm);
  }
  st.status = lsel(land(m, g_norm < opt.gtol), lsplat<V>(static_cast<double>(LsqStatus::Gtol)), st.status);
  const MaskOf<V> stop = land(m, lor(st.status != -100.0, st.nfev == st.max_nfev));
  st.phase = lsel(stop, lsplat<V>(trf_phase::kDone), st.phase);
  const MaskOf<V> go = land(m, lnot(stop));
  if (!lany(go)) return go;
  V g_h[N], d[N];
  for (int i = 0; i < N; ++i) {
    d[i] = lsqrt(v[i]);
    g_h[i] = d[i] * st.jtr[i];
  }
  // the hat system straight into the state (lanes that stop keep theirs), built symmetric from
  // the lower triangle
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < i; ++j) {
      const V e = lsel(go, d[i] * st.jtj[i * N + j] * d[j], st.hmat[i * N + j]);
      st.hmat[i * N + j] = e;
      st.hmat[j * N + i] = e;
    }
    st.hmat[i * N + i] = lsel(go, d[i] * st.jtj[i * N + i] * d[i] + st.jtr[i] * dv[i], st.hmat[i * N + i]);  // diag_h = g dv >= 0
  }
  GaussNewtonStep<N, V> gn;
  gauss_newton_step<N>(st.hmat, g_h, gn);
  const V th = 1.0 - g_norm;
  st.theta = lsel(go, lsel(th > 0.995, th, lsplat<V>(0.995)), st.theta);
  for (int i = 0; i < N; ++i) {
    st.d[i] = lsel(go, d[i], st.d[i]);
    st.g_h[i] = lsel(go, g_h[i], st.g_h[i]);
    st.gn.p[i] = lsel(go, gn.p[i], st.gn.p[i]);
  }
  st.gn.full_rank = lsel(go, gn.full_rank, st.gn.full_rank);
  st.gn.p_norm = lsel(go, gn.p_norm, st.gn.p_norm);
  st.gn.p_hinv_p = lsel(go, gn.p_hinv_p, st.gn.p_hinv_p);
  return go;
}

/// scipy's inner-loop head for the lanes of m: the trust-region subproblem, the step selection
/// and the trial point xe (made strictly feasible); those lanes become kTrial.
template <int N, class V>
KOKKOS_INLINE_FUNCTION void trf_trial(TrfState<N, V>& st, MaskOf<V> m) {
  V p_h[N], p[N], step[N], step_h[N];
  for (int i = 0; i < N; ++i) p_h[i] = lsplat<V>(0.0);
  solve_trust_region<N>(st.hmat, st.g_h, st.gn, st.delta, st.alpha, p_h, m);
  for (int i = 0; i < N; ++i) p[i] = st.d[i] * p_h[i];
  const V predicted =
      select_step<N>(st.x, st.hmat, st.g_h, p, p_h, st.d, st.delta, st.lb, st.ub, st.theta, step, step_h, m);
  // make_strictly_feasible(x + step, rstep=0)
  for (int i = 0; i < N; ++i) {
    V xi = st.x[i] + step[i];
    const MaskOf<V> lo = xi <= st.lb[i], hi = land(lnot(lo), xi >= st.ub[i]);
    if (lany(land(m, lor(lo, hi)))) {
      xi = lsel(lo, next_toward(st.lb[i], st.ub[i]), lsel(hi, next_toward(st.ub[i], st.lb[i]), xi));
    }
    xi = lsel(lor(xi < st.lb[i], xi > st.ub[i]), 0.5 * (st.lb[i] + st.ub[i]), xi);
    st.xe[i] = lsel(m, xi, st.xe[i]);
    st.step[i] = lsel(m, step[i], st.step[i]);
  }
  st.step_h_norm = lsel(m, norm2<N>(step_h), st.step_h_norm);
  st.predicted = lsel(m, predicted, st.predicted);
  st.phase = lsel(m, lsplat<V>(trf_phase::kTrial), st.phase);
}

/// The lanes of m take the evaluated point xe as their iterate, with its J^T J and J^T r.
template <int N, class V>
KOKKOS_INLINE_FUNCTION void trf_take_point(TrfState<N, V>& st, MaskOf<V> m, const V* jtj_e, const V* jtr_e) {
  for (int i = 0; i < N; ++i) {
    st.x[i] = lsel(m, st.xe[i], st.x[i]);
    st.jtr[i] = lsel(m, jtr_e[i], st.jtr[i]);
  }
  for (int i = 0; i < N * N; ++i) st.jtj[i] = lsel(m, jtj_e[i], st.jtj[i]);
}

}  // namespace detail

/// One step of every running lane of st: evaluates the problem at xe (`problem(xe, jtj, jtr)`
/// returns rss and writes J^T J, J^T r per lane, as for bounded_least_squares), then, per lane,
/// scipy's logic up to the next evaluation: for a start point the initial radius; for a trial
/// point the ratio, the radius update, the termination tests, acceptance; then (when needed) a
/// new outer iteration (scaling, gtol, max_nfev) and the next trial point. Finished lanes are
/// left alone (the problem is evaluated there too, at a valid point, and ignored). Returns
/// whether any lane is still running.
template <int N, class V, class Problem>
KOKKOS_INLINE_FUNCTION bool trf_tick(TrfState<N, V>& st, const Problem& problem, const LsqOptions& opt) {
  using namespace detail;
  using M = MaskOf<V>;
  const M is_start = st.phase == trf_phase::kStart;
  const M is_trial = st.phase == trf_phase::kTrial;
  if (lany(is_start)) make_strictly_feasible_start<N>(st.xe, st.lb, st.ub, is_start);
  V jtj_e[N * N], jtr_e[N];
  const V rss_e = problem(st.xe, jtj_e, jtr_e);
  const M finite = lfinite(rss_e);
  st.nfev = lsel(is_start, lsplat<V>(1.0), lsel(is_trial, st.nfev + 1.0, st.nfev));
  M need_outer = lmask<V>(false);
  M need_trial = lmask<V>(false);
  if (lany(is_start)) {
    // the start point: accepted as it is (non-finite: stop)
    trf_take_point<N>(st, is_start, jtj_e, jtr_e);
    st.rss = lsel(is_start, rss_e, st.rss);
    st.cost = lsel(is_start, 0.5 * rss_e, st.cost);
    const M bad = land(is_start, lnot(finite));
    st.status = lsel(bad, lsplat<V>(static_cast<double>(LsqStatus::NonFinite)), st.status);
    st.phase = lsel(bad, lsplat<V>(trf_phase::kDone), st.phase);
    const M ok = land(is_start, finite);
    V v[N], dv[N];
    cl_scaling<N>(st.x, st.jtr, st.lb, st.ub, v, dv);
    V s = lsplat<V>(0.0);
    for (int i = 0; i < N; ++i) s += st.x[i] * st.x[i] / v[i];
    V delta = lsqrt(s);
    delta = lsel(delta == 0.0, lsplat<V>(1.0), delta);
    st.delta = lsel(ok, delta, st.delta);
    st.alpha = lsel(ok, lsplat<V>(0.0), st.alpha);
    need_outer = ok;
  }
  if (lany(is_trial)) {
    // a non-finite trial point: retry with a smaller radius
    const M nonfinite = land(is_trial, lnot(finite));
    st.delta = lsel(nonfinite, 0.25 * st.step_h_norm, st.delta);
    M inner = nonfinite;
    const M fin = land(is_trial, finite);
    const V cost_new = 0.5 * rss_e;
    const V actual_reduction = st.cost - cost_new;
    // update_tr_radius
    const V ratio_p = actual_reduction / st.predicted;
    const V ratio = lsel(st.predicted > 0.0, ratio_p,
                         lsel(land(st.predicted == 0.0, actual_reduction == 0.0), lsplat<V>(1.0),
                              lsplat<V>(0.0)));
    V delta_new = st.delta;
    const M shrink = ratio < 0.25;
    const M grow = land(lnot(shrink), land(ratio > 0.75, st.step_h_norm > 0.95 * st.delta));
    delta_new = lsel(shrink, 0.25 * st.step_h_norm, lsel(grow, 2.0 * st.delta, delta_new));
    // check_termination
    const V step_norm = norm2<N>(st.step);
    const V x_norm = norm2<N>(st.x);
    const M ftol_ok = land(actual_reduction < opt.ftol * st.cost, ratio > 0.25);
    const M xtol_ok = step_norm < opt.xtol * (opt.xtol + x_norm);
    const V stat = lsel(land(ftol_ok, xtol_ok), lsplat<V>(static_cast<double>(LsqStatus::FtolXtol)),
                        lsel(ftol_ok, lsplat<V>(static_cast<double>(LsqStatus::Ftol)),
                             lsel(xtol_ok, lsplat<V>(static_cast<double>(LsqStatus::Xtol)), lsplat<V>(-100.0))));
    st.status = lsel(fin, stat, st.status);
    const M term = land(fin, st.status != -100.0);
    const M go = land(fin, lnot(term));
    st.alpha = lsel(land(go, delta_new > 0.0), st.alpha * (st.delta / delta_new), st.alpha);
    st.delta = lsel(go, delta_new, st.delta);
    const M accept = land(fin, actual_reduction > 0.0);
    trf_take_point<N>(st, accept, jtj_e, jtr_e);
    st.cost = lsel(accept, cost_new, st.cost);
    st.rss = lsel(accept, 2.0 * cost_new, st.rss);
    inner = lor(inner, land(go, lnot(accept)));
    // the inner loop goes on while the evaluation budget lasts, else the outer head stops it
    const M more = st.nfev < st.max_nfev;
    need_trial = land(inner, more);
    // terminated lanes pass the outer head too (scipy's loop tests gtol once more there)
    need_outer = lor(need_outer, lor(term, lor(land(go, accept), land(inner, lnot(more)))));
  }
  if (lany(need_outer)) need_trial = lor(need_trial, trf_outer<N>(st, opt, need_outer));
  if (lany(need_trial)) trf_trial<N>(st, need_trial);
  return lany(st.phase != trf_phase::kDone);
}

/// Minimises rss(x) = sum_i r_i(x)^2 over lb <= x <= ub (lb < ub component-wise) from x, with
/// scipy's Trust Region Reflective algorithm (see the top of this file), and overwrites x with
/// the last accepted iterate (strictly inside the box). `problem(x, jtj, jtr)` returns rss at x
/// and writes J^T J (row-major N x N) and J^T r (r = model - data); a non-finite rss makes the
/// step be retried with a smaller radius. The start is moved strictly inside the box as scipy
/// does (relative 1e-10). No error conditions beyond the status in the result.
/// This is trf_start + trf_tick until done with V = double (one copy of the algorithm).
template <int N, class Problem>
KOKKOS_INLINE_FUNCTION LsqResult<N> bounded_least_squares(const Problem& problem, double* x,
                                                          const double* lb, const double* ub,
                                                          const LsqOptions& opt) {
  TrfState<N, double> st;
  trf_idle<N>(st);
  trf_start<N>(st, true, x, lb, ub, opt.max_nfev);
  while (trf_tick<N>(st, problem, opt)) {
  }
  LsqResult<N> res;
  for (int i = 0; i < N; ++i) {
    x[i] = st.x[i];
    res.jtr[i] = st.jtr[i];
  }
  for (int i = 0; i < N * N; ++i) res.jtj[i] = st.jtj[i];
  res.rss = st.rss;
  res.nfev = static_cast<int>(st.nfev);
  res.status = st.status == -100.0 ? LsqStatus::MaxEval : static_cast<LsqStatus>(static_cast<int>(st.status));
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
