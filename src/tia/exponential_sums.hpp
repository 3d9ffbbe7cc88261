#pragma once
// Sums of exponentials fitted by bounded nonlinear least squares (issue 16; docs/tia_models.md
// "Exponential sums"): mono-exponential A e^(-l t), bi-exponential uptake-washout
// C (e^(-l1 t) - e^(-l2 t)), bi-exponential two-phase washout A1 e^(-l1 t) + A2 e^(-l2 t)
// (A1, A2 >= 0) and tri-exponential A1 e^(-l1 t) + A2 e^(-l2 t) - (A1 + A2) e^(-l3 t)
// (uptake with two-phase washout), every rate >= lambda_phys, integrated analytically from 0 to
// infinity. The amplitudes are eliminated by variable projection (Golub & Pereyra, SIAM J.
// Numer. Anal. 10 (1973); Jacobian of Kaufman, BIT 15 (1975)); the log-rates are found by a
// Levenberg-Marquardt iteration (Numerical Recipes 3rd ed. §15.5.2) projected onto the box
// [lambda_lo, lambda_hi], started from the best points of a grid of rates (multi-start: the
// bi- and tri-exponential have several basins). Header-only KOKKOS_INLINE_FUNCTIONs with
// fixed-size state (no heap, no exceptions).
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "src/tia/model_outcome.hpp"
#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"
#include "src/tia/weighted_least_squares.hpp"

namespace voxflow::tia {

/// Shapes of exponential sums. f(t) = sum_j c_j phi_j(t), phi_j = sum_k M[j][k] e^(-l_k t).
enum ExpSumShape : int {
  kShapeMonoexp = 0,       // R = 1 rate, phi = e1
  kShapeUptakeWashout = 1, // R = 2, phi = e1 - e2 (c of either sign: the curve is symmetric in l1, l2)
  kShapeTwoPhase = 2,      // R = 2, phi = (e1, e2), c >= 0
  kShapeTriexp = 3,        // R = 3, phi = (e1 - e3, e2 - e3)
};

/// Fitted parameters of the curve (SI units): f(t) = sum_{k < n_rates} coef[k] e^(-lambda[k] t),
/// coef in Bq per voxel, lambda in 1/s. tia: analytic integral over [0, inf) (Bq*s); sse: sum of
/// squared activity residuals over the valid points (Bq^2); k: fitted curve parameters.
struct ExpSumParams {
  int shape;
  int n_rates;
  int k;
  double lambda[3];
  double coef[3];
  double tia;
  double sse;
};

/// Number of fitted curve parameters of a shape (amplitudes + rates).
KOKKOS_INLINE_FUNCTION int exp_sum_parameters(int shape) {
  return shape == kShapeMonoexp ? 2 : shape == kShapeUptakeWashout ? 3 : shape == kShapeTwoPhase ? 4 : 5;
}

/// Fewest valid points a shape is fitted to: monoexp 2, uptake-washout 3, two-phase washout 5,
/// tri-exponential 6 (k + 1 for the two with 4 and 5 parameters: never an interpolation).
KOKKOS_INLINE_FUNCTION int exp_sum_min_points(int shape) {
  return shape == kShapeMonoexp ? 2 : shape == kShapeUptakeWashout ? 3 : shape == kShapeTwoPhase ? 5 : 6;
}

/// f(t) in Bq per voxel.
KOKKOS_INLINE_FUNCTION double exp_sum_predict(const ExpSumParams& p, double t) {
  double f = 0.0;
  for (int k = 0; k < p.n_rates; ++k) f += p.coef[k] * tmath::exp(-p.lambda[k] * t);
  return f;
}

/// Time of the maximum of the fitted curve (s): 0 for the monoexp and the two-phase washout
/// (falling from t = 0), ln(l2/l1) / (l2 - l1) for the uptake-washout, a golden-section search
/// on [0, 4 t_max] for the tri-exponential (unimodal for positive amplitudes).
KOKKOS_INLINE_FUNCTION double exp_sum_tpeak(const ExpSumParams& p, double t_max) {
  if (p.shape == kShapeMonoexp || p.shape == kShapeTwoPhase) return 0.0;
  if (p.shape == kShapeUptakeWashout) {
    const double l1 = p.lambda[0], l2 = p.lambda[1];
    if (!(l1 != l2)) return 1.0 / l1;
    return tmath::log(l2 / l1) / (l2 - l1);
  }
  double lo = 0.0, hi = 4.0 * t_max;
  const double g = 0.6180339887498949;
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
  double f1 = exp_sum_predict(p, x1), f2 = exp_sum_predict(p, x2);
  for (int it = 0; it < 100; ++it) {
    if (f1 < f2) {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = exp_sum_predict(p, x2);
    } else {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = exp_sum_predict(p, x1);
    }
  }
  return 0.5 * (lo + hi);
}

namespace detail {

/// Scaled problem: tau_i = t_i / ts, y_i = a_i / a_max over the m valid points.
struct ExpSumData {
  double tau[kTiaMaxTimePoints];
  double y[kTiaMaxTimePoints];
  int m;
};

/// Basis matrix M (B x R) of a shape.
KOKKOS_INLINE_FUNCTION void exp_sum_basis(int shape, int& r, int& b, double m[2][3]) {
  for (int j = 0; j < 2; ++j)
    for (int k = 0; k < 3; ++k) m[j][k] = 0.0;
  if (shape == kShapeMonoexp) {
    r = 1, b = 1, m[0][0] = 1.0;
  } else if (shape == kShapeUptakeWashout) {
    r = 2, b = 1, m[0][0] = 1.0, m[0][1] = -1.0;
  } else if (shape == kShapeTwoPhase) {
    r = 2, b = 2, m[0][0] = 1.0, m[1][1] = 1.0;
  } else {
    r = 3, b = 2, m[0][0] = 1.0, m[0][2] = -1.0, m[1][1] = 1.0, m[1][2] = -1.0;
  }
}

/// Linear part at fixed scaled rates mu[R]: basis phi (m x B), amplitudes c (least squares; for
/// the two-phase washout non-negative, by enumerating the active sets), residual r = y - f, SSE.
/// With d != nullptr also the Kaufman Jacobian columns d[i * 3 + k] = (I - P) df/dx_k,
/// x_k = ln mu_k. Returns false when no amplitude fit exists (singular basis, non-finite).
KOKKOS_INLINE_FUNCTION bool exp_sum_project(int shape, const double* mu, const ExpSumData& dat,
                                            double* c, double* resid, double& sse, double* d) {
  int nr, nb;
  double mm[2][3];
  exp_sum_basis(shape, nr, nb, mm);
  const int m = dat.m;
  double e[kTiaMaxTimePoints * 3];
  double phi[kTiaMaxTimePoints * 2];
  for (int i = 0; i < m; ++i) {
    for (int k = 0; k < nr; ++k) e[i * 3 + k] = tmath::exp(-mu[k] * dat.tau[i]);
    for (int j = 0; j < nb; ++j) {
      double s = 0.0;
      for (int k = 0; k < nr; ++k) s += mm[j][k] * e[i * 3 + k];
      phi[i * 2 + j] = s;
    }
  }
  double g00 = 0.0, g01 = 0.0, g11 = 0.0, b0 = 0.0, b1 = 0.0, yy = 0.0;
  for (int i = 0; i < m; ++i) {
    const double p0 = phi[i * 2];
    g00 += p0 * p0;
    b0 += p0 * dat.y[i];
    yy += dat.y[i] * dat.y[i];
    if (nb == 2) {
      const double p1 = phi[i * 2 + 1];
      g01 += p0 * p1;
      g11 += p1 * p1;
      b1 += p1 * dat.y[i];
    }
  }
  bool active[2] = {true, nb == 2};
  c[0] = c[1] = 0.0;
  if (nb == 1) {
    if (!(g00 > 0.0) || !tmath::isfinite(g00)) return false;
    c[0] = b0 / g00;
  } else {
    const double g[4] = {g00, g01, g01, g11};
    const double bb[2] = {b0, b1};
    double x[2];
    const bool solved = solve_spd<2>(g, bb, x);
    if (solved && (shape != kShapeTwoPhase || (x[0] >= 0.0 && x[1] >= 0.0))) {
      c[0] = x[0];
      c[1] = x[1];
    } else if (shape == kShapeTwoPhase) {
      // non-negative least squares over 2 columns: the better single column (or none)
      const double c0 = g00 > 0.0 && b0 > 0.0 ? b0 / g00 : 0.0;
      const double c1 = g11 > 0.0 && b1 > 0.0 ? b1 / g11 : 0.0;
      const double red0 = c0 * b0, red1 = c1 * b1;  // SSE reduction of each
      if (red0 >= red1) {
        c[0] = c0, active[1] = false, active[0] = c0 > 0.0;
      } else {
        c[1] = c1, active[0] = false, active[1] = c1 > 0.0;
      }
    } else {
      return false;
    }
  }
  sse = 0.0;
  for (int i = 0; i < m; ++i) {
    double f = c[0] * phi[i * 2];
    if (nb == 2) f += c[1] * phi[i * 2 + 1];
    resid[i] = dat.y[i] - f;
    sse += resid[i] * resid[i];
  }
  (void)yy;
  if (!tmath::isfinite(sse)) return false;
  if (d == nullptr) return true;
  // Kaufman: d_k = (I - P_A) v_k, v_k(i) = sum_j c_j M[j][k] (-tau_i mu_k e_k(i)); P_A projects
  // on the active basis columns.
  int na = 0, ia[2] = {0, 0};
  for (int j = 0; j < nb; ++j)
    if (active[j]) ia[na++] = j;
  double h00 = 0.0, h01 = 0.0, h11 = 0.0;
  for (int i = 0; i < m; ++i) {
    if (na > 0) h00 += phi[i * 2 + ia[0]] * phi[i * 2 + ia[0]];
    if (na > 1) {
      h01 += phi[i * 2 + ia[0]] * phi[i * 2 + ia[1]];
      h11 += phi[i * 2 + ia[1]] * phi[i * 2 + ia[1]];
    }
  }
  const double det = h00 * h11 - h01 * h01;
  for (int k = 0; k < nr; ++k) {
    double w = 0.0;
    for (int j = 0; j < nb; ++j) w += c[j] * mm[j][k];
    double v[kTiaMaxTimePoints];
    double q0 = 0.0, q1 = 0.0;
    for (int i = 0; i < m; ++i) {
      v[i] = -w * dat.tau[i] * mu[k] * e[i * 3 + k];
      if (na > 0) q0 += phi[i * 2 + ia[0]] * v[i];
      if (na > 1) q1 += phi[i * 2 + ia[1]] * v[i];
    }
    double s0 = 0.0, s1 = 0.0;
    if (na == 1 && h00 > 0.0) s0 = q0 / h00;
    if (na == 2 && det > 0.0) {
      s0 = (h11 * q0 - h01 * q1) / det;
      s1 = (h00 * q1 - h01 * q0) / det;
    }
    for (int i = 0; i < m; ++i) {
      double pv = 0.0;
      if (na > 0) pv += s0 * phi[i * 2 + ia[0]];
      if (na > 1) pv += s1 * phi[i * 2 + ia[1]];
      d[i * 3 + k] = v[i] - pv;
    }
  }
  return true;
}

/// Reduced SSE at scaled rates mu (+inf when the projection fails).
KOKKOS_INLINE_FUNCTION double exp_sum_reduced_sse(int shape, const double* mu, const ExpSumData& dat) {
  double c[2], r[kTiaMaxTimePoints], sse;
  if (!exp_sum_project(shape, mu, dat, c, r, sse, nullptr)) return 1e300;
  return sse;
}

/// Projected Levenberg-Marquardt on x = ln mu in [xlo, xhi]^R from x (updated in place);
/// returns the reduced SSE at the final x. A trial is accepted only when it lowers the SSE.
KOKKOS_INLINE_FUNCTION double exp_sum_lm(int shape, int nr, double* x, double xlo, double xhi,
                                         const ExpSumData& dat, double yy) {
  double mu[3], c[2], r[kTiaMaxTimePoints], d[kTiaMaxTimePoints * 3], sse;
  for (int k = 0; k < nr; ++k) mu[k] = tmath::exp(x[k]);
  if (!exp_sum_project(shape, mu, dat, c, r, sse, d)) return 1e300;
  double lm = 1e-3;
  for (int it = 0; it < 100; ++it) {
    if (sse <= 1e-30 * yy) break;
    double jtj[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0}, jtr[3] = {0, 0, 0};
    for (int i = 0; i < dat.m; ++i)
      for (int k = 0; k < nr; ++k) {
        jtr[k] += d[i * 3 + k] * r[i];
        for (int l = 0; l < nr; ++l) jtj[k * nr + l] += d[i * 3 + k] * d[i * 3 + l];
      }
    double tr = 0.0;
    for (int k = 0; k < nr; ++k) tr += jtj[k * nr + k];
    if (!(tr > 0.0) || !tmath::isfinite(tr)) break;
    bool accepted = false;
    while (!accepted && lm < 1e12) {
      double h[9];
      for (int q = 0; q < nr * nr; ++q) h[q] = jtj[q];
      for (int k = 0; k < nr; ++k) h[k * nr + k] = jtj[k * nr + k] * (1.0 + lm) + lm * 1e-9 * tr;
      double step[3] = {0, 0, 0};
      bool ok = false;
      if (nr == 1) {
        step[0] = jtr[0] / h[0];
        ok = tmath::isfinite(step[0]);
      } else if (nr == 2) {
        ok = solve_spd<2>(h, jtr, step);
      } else {
        ok = solve_spd<3>(h, jtr, step);
      }
      if (ok) {
        double xn[3], mun[3], cn[2], rn[kTiaMaxTimePoints], dn[kTiaMaxTimePoints * 3], ssen;
        for (int k = 0; k < nr; ++k) {
          double v = x[k] + step[k];
          v = v < xlo ? xlo : (v > xhi ? xhi : v);
          xn[k] = v;
          mun[k] = tmath::exp(v);
        }
        if (exp_sum_project(shape, mun, dat, cn, rn, ssen, dn) && ssen < sse) {
          accepted = true;
          const double rel = (sse - ssen) / sse;
          double step_max = 0.0;
          for (int k = 0; k < nr; ++k) {
            const double dk = tmath::fabs(xn[k] - x[k]);
            step_max = dk > step_max ? dk : step_max;
          }
          for (int k = 0; k < nr; ++k) x[k] = xn[k], mu[k] = mun[k];
          for (int i = 0; i < dat.m; ++i) {
            r[i] = rn[i];
            for (int k = 0; k < nr; ++k) d[i * 3 + k] = dn[i * 3 + k];
          }
          c[0] = cn[0], c[1] = cn[1];
          sse = ssen;
          lm = lm * 0.1 > 1e-12 ? lm * 0.1 : 1e-12;
          if (rel < 1e-12 || step_max < 1e-10) it = 1000;  // converged
          break;
        }
      }
      lm *= 10.0;
    }
    if (!accepted) break;
  }
  return sse;
}

}  // namespace detail

/// Fits the exponential sum `shape` to the valid points of a[0..n) at t[0..n) (s > 0 increasing,
/// Bq per voxel), minimising the unweighted SSE sum (a_i - f(t_i))^2. Scaled units: tau = t /
/// ts (ts = last valid time), y = a / a_max, mu = lambda ts. Rate box: lambda >= lambda_phys
/// when opt.enforce_lambda_phys (else lambda >= 1e-3 / ts), lambda <= 50 / t_first (t_first =
/// first valid time; e^(-50) makes a faster rate invisible in the samples). Multi-start: the
/// reduced SSE on a grid of log-spaced rates (8 levels for 1 rate, pairs of 7 for 2, triples of
/// 6 for 3; pairs and triples without repeats), the best grid point per level of the fastest
/// rate; Levenberg-Marquardt from the best of those (two best with 2 or 3 rates), and from up to
/// two more (best first) while the best result has an invisible component (lambda t_first >= 20);
/// the lowest SSE kept. LM stops after 100 iterations, at a relative SSE decrease below 1e-12, a
/// log-rate step below 1e-10 or an SSE below 1e-30 of sum y^2. Returns kModelFailed with fewer than exp_sum_min_points(shape)
/// valid points, a failed projection or non-finite values; kModelNonPhysical when the integral
/// is not finite and > 0 or the curve is negative at a sample time; else kModelOk with p filled.
KOKKOS_INLINE_FUNCTION int exp_sum_fit(const double* t, const double* a, const bool* valid, int n,
                                       const TiaFitOptions& opt, int shape, ExpSumParams& p) {
  int nr, nb;
  double mm[2][3];
  detail::exp_sum_basis(shape, nr, nb, mm);
  p.shape = shape;
  p.n_rates = nr;
  p.k = exp_sum_parameters(shape);
  p.tia = p.sse = tmath::nan();
  for (int k = 0; k < 3; ++k) p.lambda[k] = p.coef[k] = 0.0;
  detail::ExpSumData dat;
  dat.m = 0;
  double ts = 0.0, t_first = 0.0, amax = 0.0;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    if (dat.m == 0) t_first = t[i];
    ts = t[i];
    if (a[i] > amax) amax = a[i];
    ++dat.m;
  }
  if (dat.m < exp_sum_min_points(shape) || !(ts > 0.0) || !(amax > 0.0)) return kModelFailed;
  int q = 0;
  double yy = 0.0;
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    dat.tau[q] = t[i] / ts;
    dat.y[q] = a[i] / amax;
    yy += dat.y[q] * dat.y[q];
    ++q;
  }
  const double mu_lo = opt.enforce_lambda_phys ? opt.lambda_phys * ts : 1e-3;
  double mu_hi = 50.0 * ts / t_first;
  if (!(mu_hi > 4.0 * mu_lo)) mu_hi = 1e3 * mu_lo;
  if (!(mu_lo > 0.0) || !tmath::isfinite(mu_hi)) return kModelFailed;
  const double xlo = tmath::log(mu_lo), xhi = tmath::log(mu_hi);
  // grid of starts: the best grid point for each level of the fastest rate
  constexpr int kMaxLevels = 8;
  const int levels = nr == 1 ? 8 : nr == 2 ? 7 : 6;
  double lvl_s[kMaxLevels];
  double lvl_x[kMaxLevels][3];
  for (int l = 0; l < kMaxLevels; ++l) {
    lvl_s[l] = 1e300;
    lvl_x[l][0] = lvl_x[l][1] = lvl_x[l][2] = 0.0;
  }
  for (int i0 = 0; i0 < levels; ++i0) {
    for (int i1 = nr > 1 ? i0 + 1 : 0; i1 < (nr > 1 ? levels : 1); ++i1) {
      for (int i2 = nr > 2 ? i1 + 1 : 0; i2 < (nr > 2 ? levels : 1); ++i2) {
        const int idx[3] = {i0, i1, i2};
        double x[3] = {0, 0, 0}, mu[3] = {0, 0, 0};
        for (int k = 0; k < nr; ++k) {
          x[k] = xlo + (xhi - xlo) * (idx[k] + 0.5) / levels;
          mu[k] = tmath::exp(x[k]);
        }
        const double s = detail::exp_sum_reduced_sse(shape, mu, dat);
        const int l = idx[nr - 1];
        if (s < lvl_s[l]) {
          lvl_s[l] = s;
          for (int k = 0; k < 3; ++k) lvl_x[l][k] = x[k];
        }
      }
    }
  }
  // Levenberg-Marquardt from the best level (two best with 2 or 3 rates); when the best result has
  // a rate so fast that its component has decayed by e^-20 at the first sample (near the upper
  // bound: a flat plateau of the SSE that traps the iteration), also from up to two more levels,
  // best first
  bool tried[kMaxLevels] = {false, false, false, false, false, false, false, false};
  double xb[3] = {0, 0, 0};
  double sb = 1e300;
  const int first_runs = nr == 1 ? 1 : 2;
  const int max_runs = nr == 1 ? 3 : 4;
  for (int run = 0; run < max_runs; ++run) {
    int l = -1;
    for (int q = 0; q < levels; ++q)
      if (!tried[q] && lvl_s[q] < 1e300 && (l < 0 || lvl_s[q] < lvl_s[l])) l = q;
    if (l < 0) break;
    if (run >= first_runs) {
      bool on_bound = false;
      for (int k = 0; k < nr; ++k) on_bound = on_bound || tmath::exp(xb[k]) * dat.tau[0] >= 20.0;
      if (!on_bound) break;
    }
    tried[l] = true;
    double x[3] = {lvl_x[l][0], lvl_x[l][1], lvl_x[l][2]};
    const double sse = detail::exp_sum_lm(shape, nr, x, xlo, xhi, dat, yy);
    if (sse < sb) {
      sb = sse;
      for (int k = 0; k < 3; ++k) xb[k] = x[k];
    }
  }
  if (!(sb < 1e300)) return kModelFailed;
  double mu[3] = {0, 0, 0}, c[2], r[kTiaMaxTimePoints], sse;
  for (int k = 0; k < nr; ++k) mu[k] = tmath::exp(xb[k]);
  if (!detail::exp_sum_project(shape, mu, dat, c, r, sse, nullptr)) return kModelFailed;
  // integral in scaled units: phi_j integrates to sum_k M[j][k] / mu_k; a difference
  // 1/mu_a - 1/mu_b is evaluated as (mu_b - mu_a) / (mu_a mu_b) (no cancellation)
  double tia_s = 0.0;
  for (int j = 0; j < nb; ++j) {
    double ij;
    if (shape == kShapeUptakeWashout) ij = (mu[1] - mu[0]) / (mu[0] * mu[1]);
    else if (shape == kShapeTriexp) ij = (mu[2] - mu[j]) / (mu[j] * mu[2]);
    else ij = 1.0 / mu[j];
    tia_s += c[j] * ij;
  }
  for (int k = 0; k < nr; ++k) {
    double w = 0.0;
    for (int j = 0; j < nb; ++j) w += c[j] * mm[j][k];
    p.coef[k] = w * amax;
    p.lambda[k] = mu[k] / ts;
  }
  p.sse = sse * amax * amax;
  p.tia = tia_s * amax * ts;
  if (!tmath::isfinite(p.tia) || !tmath::isfinite(p.sse)) return kModelFailed;
  if (!(p.tia > 0.0)) return kModelNonPhysical;
  for (int i = 0; i < dat.m; ++i)
    if (dat.y[i] - r[i] < -1e-9) return kModelNonPhysical;
  return kModelOk;
}

}  // namespace voxflow::tia
