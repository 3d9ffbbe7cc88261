#pragma once
// Per-voxel fit of the extended PROXYL model (proxyl_model.hpp): the numerical heart of
// `voxflow kinetics`. fit_voxel() is a KOKKOS_INLINE_FUNCTION with fixed-size state only, to be
// called inside Kokkos::parallel_for on any back-end. Method and choices: docs/kinetics_fit.md.
#include <cstdint>

#include <Kokkos_Core.hpp>

#include "src/core/kokkos_compat.hpp"
#include "src/kinetics/bounded_lm.hpp"
#include "src/kinetics/fit_bounds.hpp"
#include "src/kinetics/proxyl_model.hpp"

// Host compilers with GCC vector extensions, compiling for AVX or later (VOXFLOW_NATIVE on an
// AVX machine), accumulate J^T J in vector registers (ProxylProblem::accumulate_range); other
// targets (a portable x86-64 build: SSE2 has too few registers for the 16 row sums, measured
// 2.6x slower), CUDA/HIP device code and other compilers use the scalar loops.
#if !defined(VOXFLOW_KINETICS_VECTOR_EXT)
#if defined(__GNUC__) && defined(__AVX__) && !defined(__CUDA_ARCH__) && \
    !defined(__HIP_DEVICE_COMPILE__) && !defined(__NVCC__) && !defined(__HIPCC__)
#define VOXFLOW_KINETICS_VECTOR_EXT 1
#else
#define VOXFLOW_KINETICS_VECTOR_EXT 0
#endif
#endif

namespace voxflow::kinetics {

/// Longest time series fit_voxel accepts.
constexpr int kMaxTimePoints = 512;
/// Shortest time series fit_voxel fits (the model has 8 parameters).
constexpr int kMinTimePoints = 8;

/// Outcome of one voxel's fit (values of the status map).
enum class FitStatus : std::uint8_t {
  OutsideMask = 0,   ///< not fitted (set by the caller)
  Ok = 1,            ///< converged, every parameter inside its bounds
  FitFailed = 2,     ///< non-finite or flat series, or no attempt converged: NaN everywhere
  TooFewPoints = 3,  ///< n < kMinTimePoints: NaN everywhere
  AtBound = 4,       ///< converged with a parameter within 1e-6 of the box width of a bound
};

/// One voxel's result. p: best-fit parameters (order of param::Index; always inside the
/// bounds); se: standard errors sqrt(diag(sigma^2 (J^T J)^-1)), sigma^2 = rss / (n - 8), as
/// scipy's curve_fit pcov (NaN where J^T J is singular or n == 8); rss: residual sum of squares;
/// r_squared = 1 - rss / sum((y - mean)^2); rmse = sqrt(rss / n); iterations: model+Jacobian
/// evaluations over all attempts.
struct VoxelFit {
  double p[kNumParams];
  double se[kNumParams];
  double rss;
  double r_squared;
  double rmse;
  int iterations;
  FitStatus status;
};

/// The least-squares problem of one voxel for bounded_least_squares: residuals
/// r_i = I(t_i; p) - y_i; one pass accumulates rss, J^T J and J^T r (no Jacobian is stored).
/// Build it with make_proxyl_problem(). The points are split at t0 and tmax into the ranges
/// where the bolus / slow terms are off (their Jacobian columns are zero there and are not
/// accumulated). On a uniform time grid the exponentials are advanced by one multiplication
/// per point (exp(-k (u + dt)) = exp(-k u) exp(-k dt), restarted at each range), else computed
/// per point: 3 exponentials per point at most, reused for the Jacobian.
struct ProxylProblem {
  const double* t;
  const double* y;
  int n;
  bool uniform;  ///< t[i] == t[0] + i dt up to rounding
  double dt;
  /// Accumulate J^T J in vector registers (accumulate_range_rows) where the compiler has vector
  /// extensions; false: scalar sums over the triangle (the reference; the same bits).
  bool vector_rows = true;

  /// Running state of the exponentials along a range of points (uniform grid: advanced by one
  /// multiplication per point; otherwise recomputed per point).
  struct ExpState {
    double eb, ed, en, qb, qd, qn;
  };

  /// Residual r and compressed Jacobian row jl (active columns in ascending parameter order:
  /// bolus+slow: all 8; bolus only: A0 A1 kb kd t0; slow only: A0 A2 knt tmax) of point i.
  template <bool kBolus, bool kSlow>
  KOKKOS_INLINE_FUNCTION void point_row(int i, const double* p, ExpState& e, double* jl,
                                        double& r) const {
    const double a1 = p[param::A1], a2 = p[param::A2];
    double bolus = 0.0, d_kb = 0.0, d_kd = 0.0, d_t0 = 0.0;
    double slow = 0.0, d_knt = 0.0, d_tm = 0.0;
    if (kBolus) {
      const double kb = p[param::kb], kd = p[param::kd];
      const double u = t[i] - p[param::t0];
      if (!uniform) {
        e.eb = voxflow::kmath::exp(-kb * u);
        e.ed = voxflow::kmath::exp(-kd * u);
      }
      const double ebed = e.eb * e.ed;
      bolus = e.ed - ebed;
      d_kb = a1 * u * ebed;
      d_kd = -a1 * u * bolus;
      d_t0 = -a1 * (kb * ebed - kd * bolus);
      e.eb *= e.qb;
      e.ed *= e.qd;
    }
    if (kSlow) {
      const double knt = p[param::knt];
      const double v = t[i] - p[param::tmax];
      if (!uniform) e.en = voxflow::kmath::exp(-knt * v);
      slow = 1.0 - e.en;
      d_knt = a2 * v * e.en;
      d_tm = -a2 * knt * e.en;
      e.en *= e.qn;
    }
    r = p[param::A0] + a1 * bolus + a2 * slow - y[i];
    if constexpr (kBolus && kSlow) {
      jl[0] = 1.0;
      jl[1] = bolus;
      jl[2] = slow;
      jl[3] = d_kb;
      jl[4] = d_kd;
      jl[5] = d_knt;
      jl[6] = d_t0;
      jl[7] = d_tm;
    } else if constexpr (kBolus) {
      jl[0] = 1.0;
      jl[1] = bolus;
      jl[2] = d_kb;
      jl[3] = d_kd;
      jl[4] = d_t0;
    } else {
      jl[0] = 1.0;
      jl[1] = slow;
      jl[2] = d_knt;
      jl[3] = d_tm;
    }
  }

  /// The parameter index (param::) of active Jacobian column q: all 8 with bolus and slow terms,
  /// else the bolus part (A0, A1, kb, kd, t0) or the slow part (A0, A2, knt, tmax).
  template <bool kBolus, bool kSlow>
  KOKKOS_INLINE_FUNCTION static int active_param(int q) {
    constexpr int kIdxB[5] = {param::A0, param::A1, param::kb, param::kd, param::t0};
    constexpr int kIdxS[4] = {param::A0, param::A2, param::knt, param::tmax};
    return kBolus && kSlow ? q : (kBolus ? kIdxB[q] : kIdxS[q]);
  }

  /// The exponentials a range of points starts from (uniform sampling: exp at the first point and
  /// the per-step factors, so later points cost a multiplication); all 1 when not uniform.
  template <bool kBolus, bool kSlow>
  KOKKOS_INLINE_FUNCTION ExpState range_exp_state(int i_begin, const double* p) const {
    ExpState e{1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
    if (uniform) {
      if (kBolus) {
        const double u = t[i_begin] - p[param::t0];
        e.eb = voxflow::kmath::exp(-p[param::kb] * u);
        e.ed = voxflow::kmath::exp(-p[param::kd] * u);
        e.qb = voxflow::kmath::exp(-p[param::kb] * dt);
        e.qd = voxflow::kmath::exp(-p[param::kd] * dt);
      }
      if (kSlow) {
        e.en = voxflow::kmath::exp(-p[param::knt] * (t[i_begin] - p[param::tmax]));
        e.qn = voxflow::kmath::exp(-p[param::knt] * dt);
      }
    }
    return e;
  }

  /// accumulate_range with scalar sums over the upper triangle of J^T J only: kept in small
  /// local arrays indexed by compile-time constants (scalarised by the compiler) and added to
  /// a, g, f at the end. The reference for accumulate_range_rows (same bits) and the path of
  /// compilers without vector extensions and of GPU back-ends.
  template <bool kBolus, bool kSlow>
  KOKKOS_INLINE_FUNCTION void accumulate_range_triangle(int i_begin, int i_end, const double* p, double* a,
                                               double* g, double& f) const {
    if (i_begin >= i_end) return;
    // active Jacobian columns, in ascending parameter order
    constexpr int kNa = kBolus && kSlow ? 8 : (kBolus ? 5 : 4);
    constexpr int kNt = kNa * (kNa + 1) / 2;
    ExpState e = range_exp_state<kBolus, kSlow>(i_begin, p);
    double acc[kNt];
    double gacc[kNa];
    double facc = 0.0;
    VOXFLOW_KINETICS_UNROLL
    for (int q = 0; q < kNt; ++q) acc[q] = 0.0;
    VOXFLOW_KINETICS_UNROLL
    for (int q = 0; q < kNa; ++q) gacc[q] = 0.0;
    for (int i = i_begin; i < i_end; ++i) {
      double jl[kNa];
      double r;
      point_row<kBolus, kSlow>(i, p, e, jl, r);
      facc += r * r;
      VOXFLOW_KINETICS_UNROLL
      for (int q = 0; q < kNa; ++q) {
        gacc[q] += jl[q] * r;
        VOXFLOW_KINETICS_UNROLL
        for (int w = q; w < kNa; ++w) acc[q * kNa - q * (q - 1) / 2 + (w - q)] += jl[q] * jl[w];
      }
    }
    VOXFLOW_KINETICS_UNROLL
    for (int q = 0; q < kNa; ++q) {
      const int iq = active_param<kBolus, kSlow>(q);
      g[iq] += gacc[q];
      VOXFLOW_KINETICS_UNROLL
      for (int w = q; w < kNa; ++w) {
        const int iw = active_param<kBolus, kSlow>(w);
        a[iq * kNumParams + iw] += acc[q * kNa - q * (q - 1) / 2 + (w - q)];
      }
    }
    f += facc;
  }

#if VOXFLOW_KINETICS_VECTOR_EXT
  /// accumulate_range with the sums in vector registers (GCC/Clang vector extensions; only
  /// compiled where VOXFLOW_KINETICS_VECTOR_EXT is 1). J^T J is accumulated as the
  /// full kNa x kNa square (rows of kW >= kNa lanes, the row of point i is jl[q] * jl[0..kW)),
  /// so that each row is one or two vector multiply-adds (AVX, checked in the
  /// assembly) instead of kNa (kNa + 1) / 2 scalar ones; only the upper triangle is read, and
  /// every entry is the same sum in the same order as the triangle alone (x y == y x exactly),
  /// so the result has the same bits.
  template <bool kBolus, bool kSlow>
  KOKKOS_INLINE_FUNCTION void accumulate_range_rows(int i_begin, int i_end, const double* p, double* a,
                                               double* g, double& f) const {
    if (i_begin >= i_end) return;
    // active Jacobian columns, in ascending parameter order
    constexpr int kNa = kBolus && kSlow ? 8 : (kBolus ? 5 : 4);
    constexpr int kW = kNa > 4 ? 8 : 4;  // row width: a whole number of vector registers
    ExpState e = range_exp_state<kBolus, kSlow>(i_begin, p);
    // GCC/Clang vector extension: rows of 4 doubles (one AVX register); the compiler keeps the
    // kNa x kW / 4 row sums in registers.
    typedef double Row4 __attribute__((vector_size(32)));
    constexpr int kV = kW / 4;
    Row4 vacc[kNa][kV];
    Row4 vg[kV];
    VOXFLOW_KINETICS_UNROLL
    for (int c = 0; c < kV; ++c) {
      vg[c] = Row4{0.0, 0.0, 0.0, 0.0};
      VOXFLOW_KINETICS_UNROLL
      for (int q = 0; q < kNa; ++q) vacc[q][c] = Row4{0.0, 0.0, 0.0, 0.0};
    }
    double facc = 0.0;
    for (int i = i_begin; i < i_end; ++i) {
      double jl[kW];
      double r;
      point_row<kBolus, kSlow>(i, p, e, jl, r);
      VOXFLOW_KINETICS_UNROLL
      for (int q = kNa; q < kW; ++q) jl[q] = 0.0;
      facc += r * r;
      Row4 jv[kV];
      VOXFLOW_KINETICS_UNROLL
      for (int c = 0; c < kV; ++c) {
        jv[c] = Row4{jl[4 * c], jl[4 * c + 1], jl[4 * c + 2], jl[4 * c + 3]};
        vg[c] += jv[c] * r;
      }
      VOXFLOW_KINETICS_UNROLL
      for (int q = 0; q < kNa; ++q) {
        VOXFLOW_KINETICS_UNROLL
        for (int c = 0; c < kV; ++c) vacc[q][c] += jl[q] * jv[c];
      }
    }
    double acc[kNa * kW];
    double gacc[kW];
    VOXFLOW_KINETICS_UNROLL
    for (int c = 0; c < kV; ++c) {
      VOXFLOW_KINETICS_UNROLL
      for (int w = 0; w < 4; ++w) {
        gacc[4 * c + w] = vg[c][w];
        VOXFLOW_KINETICS_UNROLL
        for (int q = 0; q < kNa; ++q) acc[q * kW + 4 * c + w] = vacc[q][c][w];
      }
    }
    VOXFLOW_KINETICS_UNROLL
    for (int q = 0; q < kNa; ++q) {
      const int iq = active_param<kBolus, kSlow>(q);
      g[iq] += gacc[q];
      VOXFLOW_KINETICS_UNROLL
      for (int w = q; w < kNa; ++w) {
        const int iw = active_param<kBolus, kSlow>(w);
        a[iq * kNumParams + iw] += acc[q * kW + w];
      }
    }
    f += facc;
  }

#endif

  /// Adds the points [i_begin, i_end) to a (J^T J, upper triangle), g (J^T r) and f (rss), with
  /// the bolus term on (kBolus) and/or the slow term on (kSlow) for all of them: in vector
  /// registers where available and vector_rows is set, else with scalar sums (same bits).
  template <bool kBolus, bool kSlow>
  KOKKOS_INLINE_FUNCTION void accumulate_range(int i_begin, int i_end, const double* p, double* a,
                                               double* g, double& f) const {
#if VOXFLOW_KINETICS_VECTOR_EXT
    if (vector_rows) {
      accumulate_range_rows<kBolus, kSlow>(i_begin, i_end, p, a, g, f);
      return;
    }
#endif
    accumulate_range_triangle<kBolus, kSlow>(i_begin, i_end, p, a, g, f);
  }

  /// rss at p; J^T J (row-major 8 x 8) and J^T r written to jtj and jtr.
  KOKKOS_INLINE_FUNCTION double operator()(const double* p, double* jtj, double* jtr) const {
    double a[kNumParams * kNumParams];
    double g[kNumParams];
    for (int i = 0; i < kNumParams * kNumParams; ++i) a[i] = 0.0;
    for (int i = 0; i < kNumParams; ++i) g[i] = 0.0;
    double f = 0.0;
    // first points after t0 and after tmax (t ascending)
    int ib = n, is = n;
    for (int i = 0; i < n; ++i) {
      if (t[i] > p[param::t0]) {
        ib = i;
        break;
      }
    }
    for (int i = 0; i < n; ++i) {
      if (t[i] > p[param::tmax]) {
        is = i;
        break;
      }
    }
    const int i1 = ib < is ? ib : is;
    const int i2 = ib < is ? is : ib;
    // before both onsets: I = A0
    for (int i = 0; i < i1; ++i) {
      const double r = p[param::A0] - y[i];
      f += r * r;
      g[param::A0] += r;
    }
    a[0] += i1;
    if (ib < is) {
      accumulate_range<true, false>(i1, i2, p, a, g, f);
    } else {
      accumulate_range<false, true>(i1, i2, p, a, g, f);
    }
    accumulate_range<true, true>(i2, n, p, a, g, f);
    for (int i = 0; i < kNumParams; ++i) {
      jtr[i] = g[i];
      for (int j = 0; j < kNumParams; ++j) {
        // the accumulated entries lie in the upper triangle (index lists are ascending)
        jtj[i * kNumParams + j] = j >= i ? a[i * kNumParams + j] : a[j * kNumParams + i];
      }
    }
    return f;
  }
};

/// The problem of one voxel (t ascending, n >= 2); detects a uniform time grid.
KOKKOS_INLINE_FUNCTION ProxylProblem make_proxyl_problem(const double* t, const double* y, int n) {
  ProxylProblem pr{t, y, n, false, 0.0, true};
  const double dt = (t[n - 1] - t[0]) / (n - 1);
  bool uniform = dt > 0.0;
  for (int i = 1; i < n && uniform; ++i) {
    const double expect = t[0] + i * dt;
    const double tol = 1e-12 * (voxflow::kmath::fabs(t[i]) + dt);
    if (voxflow::kmath::fabs(t[i] - expect) > tol) uniform = false;
  }
  pr.uniform = uniform;
  pr.dt = dt;
  return pr;
}

namespace detail {

KOKKOS_INLINE_FUNCTION void fill_failed(VoxelFit& out, FitStatus status) {
  const double nan = static_cast<double>(NAN);
  for (int i = 0; i < kNumParams; ++i) {
    out.p[i] = nan;
    out.se[i] = nan;
  }
  out.rss = nan;
  out.r_squared = nan;
  out.rmse = nan;
  out.status = status;
}

/// In-place selection: returns the k-th smallest (0-based) of a[0..n) (0 <= k < n, no NaN) and
/// reorders a so that a[0..k) <= the result <= a(k..n). Quickselect (Hoare 1961) with a
/// median-of-three pivot and a three-way split done as two branch-free Lomuto passes (< pivot,
/// then == pivot): every element is swapped and the store index advanced by the comparison,
/// so the loop has no data-dependent branch to mispredict. The value returned is the k-th
/// order statistic, whatever the partitioning; 59 noisy differences take 0.26 us against
/// 0.75 us with Hoare's branching partition (docs/kinetics_fit.md). Deterministic.
KOKKOS_INLINE_FUNCTION double select_kth(double* a, int n, int k) {
  int lo = 0, hi = n;  // the k-th smallest lies in a[lo..hi)
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    const double x = a[lo], yv = a[mid], z = a[hi - 1];
    const double pivot = x < yv ? (yv < z ? yv : (x < z ? z : x)) : (x < z ? x : (yv < z ? z : yv));
    int s = lo;  // a[lo..s) < pivot
    for (int i = lo; i < hi; ++i) {
      const double v = a[i];
      a[i] = a[s];
      a[s] = v;
      s += v < pivot ? 1 : 0;
    }
    if (k < s) {
      hi = s;
      continue;
    }
    int e = s;  // a[s..e) == pivot: not empty, the pivot is one of the elements
    for (int i = s; i < hi; ++i) {
      const double v = a[i];
      a[i] = a[e];
      a[e] = v;
      e += v <= pivot ? 1 : 0;
    }
    if (k < e) return pivot;
    lo = e;
  }
  return a[lo];
}

/// Median of a[0..n) (n >= 1; mean of the two middle values for even n); reorders a.
KOKKOS_INLINE_FUNCTION double median_inplace(double* a, int n) {
  const double upper = select_kth(a, n, n / 2);
  if (n % 2 == 1) return upper;
  double lower = a[0];
  for (int i = 1; i < n / 2; ++i) lower = a[i] > lower ? a[i] : lower;  // max of the lower part
  return 0.5 * (lower + upper);
}

/// MAD of the first differences of white noise / its standard deviation: 0.6745 sqrt 2.
constexpr double kMadToSigma = 0.6744897501960817 * 1.4142135623730951;

/// Robust noise level of y[0..n) (n >= 3): MAD of the first differences / (0.6745 sqrt 2), the
/// normal-consistent standard deviation of white noise, insensitive to the few large
/// differences of the bolus rise.
KOKKOS_INLINE_FUNCTION double robust_noise_sigma(const double* y, int n) {
  double d[kMaxTimePoints];  // d[0..n-1) is written below and only that part is read
  const int m = n - 1;
  for (int i = 0; i < m; ++i) d[i] = y[i + 1] - y[i];
  const double med = median_inplace(d, m);
  for (int i = 0; i < m; ++i) d[i] = voxflow::kmath::fabs(d[i] - med);
  return median_inplace(d, m) / kMadToSigma;
}

/// max - min of the model with parameters p over the sample times t[0..n).
KOKKOS_INLINE_FUNCTION double model_range(const double* p, const double* t, int n) {
  double lo = proxyl_model(p, t[0]), hi = lo;
  for (int i = 1; i < n; ++i) {
    const double v = proxyl_model(p, t[i]);
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  return hi - lo;
}

}  // namespace detail

/// Signal-to-noise ratio (fitted curve range / robust noise sigma) from which fit_voxel also
/// tries the second start.
constexpr double kSecondStartSnr = 5.0;

/// The set-up of one voxel's fit shared by fit_voxel and the lane driver (voxel_fit_lanes.hpp):
/// checks the series (n in [kMinTimePoints, kMaxTimePoints], finite, not flat, max > 0), the
/// original's bounds and its first start. Returns false with out's status (TooFewPoints or
/// FitFailed, NaN everywhere) when the voxel is not fitted; out.iterations = 0.
KOKKOS_INLINE_FUNCTION bool prepare_voxel_fit(const double* t_min, const double* y, int n, FitBounds& b,
                                              double* p_first, VoxelFit& out) {
  out.iterations = 0;
  if (n < kMinTimePoints) {
    detail::fill_failed(out, FitStatus::TooFewPoints);
    return false;
  }
  if (n > kMaxTimePoints || !proxyl_bounds(t_min, y, n, b)) {
    detail::fill_failed(out, FitStatus::FitFailed);
    return false;
  }
  proxyl_initial_guess(t_min, y, n, b, p_first);
  return true;
}

/// The second-start test of a converged first attempt, given the fitted curve's range over the
/// samples (max - min of I(t_i), a.u.): range >= kSecondStartSnr times the robust noise level of
/// y[0..n), or a noise level of 0 (docs/kinetics_fit.md).
/// For an odd number of differences the noise level's second median is not computed: the test
/// f(a) = "a / (0.6745 sqrt 2) is 0, or range >= kSecondStartSnr a / (0.6745 sqrt 2)" is monotone
/// non-increasing in a >= 0 (each rounded step is monotone), so f holds at the MAD, the order
/// statistic k = (n - 1) / 2 of a_i = |d_i - median(d)|, iff it holds for at least k + 1 of the
/// a_i (the same decision, bit for bit, as computing the MAD; checked in test_kinetics_fit).
KOKKOS_INLINE_FUNCTION bool bolus_measurable(double range, const double* y, int n) {
  const int m = n - 1;
  if (m % 2 == 0) {
    const double sigma = detail::robust_noise_sigma(y, n);
    return !(sigma > 0.0) || range >= kSecondStartSnr * sigma;
  }
  double d[kMaxTimePoints];  // d[0..m) is written below and only that part is read
  for (int i = 0; i < m; ++i) d[i] = y[i + 1] - y[i];
  const double med = detail::median_inplace(d, m);
  int holds = 0;
  for (int i = 0; i < m; ++i) {
    const double sigma_i = voxflow::kmath::fabs(d[i] - med) / detail::kMadToSigma;
    holds += (!(sigma_i > 0.0) || range >= kSecondStartSnr * sigma_i) ? 1 : 0;
  }
  return holds >= m / 2 + 1;
}

/// Whether fit_voxel tries the second start after the first attempt (converged: ok; its
/// parameters p): when it did not converge, or when the fitted curve's range over the samples is
/// >= kSecondStartSnr times the robust noise level of y (docs/kinetics_fit.md).
KOKKOS_INLINE_FUNCTION bool wants_second_start(bool ok, const double* p, const double* t_min,
                                               const double* y, int n) {
  if (!ok) return true;
  return bolus_measurable(detail::model_range(p, t_min, n), y, n);
}

/// Evaluation budget (start included) of an attempt that is not the voxel's last resort: the
/// first start, and the second one when the first converged. Half of scipy's 100 N = 800
/// (LsqOptions). An attempt still running after 400 evaluations is crawling along a valley
/// (typically with t0 or tmax at a sample time, where the model has a kink) and, on the
/// built-in phantom, ends at 800 without converging in 0.8 % of the voxels, which then cost
/// 13 % of all evaluations for an attempt the voxel discards. With 400 instead, evaluations per
/// voxel fell from 55.0 to 51.4 and the quality against scipy stayed (docs/kinetics_fit.md,
/// "Budget of an attempt"). The last resort (the second start after a failed first one) keeps
/// scipy's full budget, and when it fails too the first start goes on from where this budget
/// stopped it with the rest (kContinuedAttemptMaxNfev): a voxel is called failed only after
/// scipy's whole budget was spent on its first start.
constexpr int kAttemptMaxNfev = 400;
/// The rest of scipy's budget (100 N) for a first start stopped at kAttemptMaxNfev.
constexpr int kContinuedAttemptMaxNfev = 100 * kNumParams - kAttemptMaxNfev;

/// The second start's budget (LsqOptions::max_nfev): kAttemptMaxNfev when the first start
/// converged, else scipy's (0 = 100 N: the last resort).
KOKKOS_INLINE_FUNCTION int second_start_max_nfev(bool first_ok) { return first_ok ? kAttemptMaxNfev : 0; }

/// Whether the first start goes on (kContinuedAttemptMaxNfev more evaluations from where it
/// stopped) after the second: both failed and the first was stopped by kAttemptMaxNfev.
KOKKOS_INLINE_FUNCTION bool continues_first_start(bool first_ok, bool first_capped, bool second_ok) {
  return !first_ok && first_capped && !second_ok;
}

/// Whether an attempt's result counts as converged (scipy's success and a finite rss).
KOKKOS_INLINE_FUNCTION bool attempt_ok(LsqStatus status, double rss) {
  return lsq_converged(status) && voxflow::kmath::isfinite(rss);
}

/// Fills out from the kept attempt (converged: ok; parameters p, rss, J^T J at p): NaN and
/// FitFailed when !ok; else rss, r_squared, rmse, se (curve_fit's pcov) and Ok / AtBound.
/// out.iterations is left as it is.
KOKKOS_INLINE_FUNCTION void finish_voxel_fit(bool ok, const double* p, double rss, const double* jtj,
                                             const double* y, int n, const FitBounds& b, VoxelFit& out) {
  if (!ok) {
    detail::fill_failed(out, FitStatus::FitFailed);
    return;
  }
  double mean = 0.0;
  for (int s = 0; s < n; ++s) mean += y[s];
  mean /= n;
  double sst = 0.0;
  for (int s = 0; s < n; ++s) sst += (y[s] - mean) * (y[s] - mean);

  out.rss = rss;
  out.r_squared = 1.0 - rss / sst;
  out.rmse = voxflow::kmath::sqrt(rss / n);
  double inv[kNumParams * kNumParams];
  spd_inverse<kNumParams>(jtj, inv);
  const double sigma2 = n > kNumParams ? rss / (n - kNumParams) : static_cast<double>(NAN);
  bool at_bound = false;
  for (int i = 0; i < kNumParams; ++i) {
    out.p[i] = p[i];
    const double var = sigma2 * inv[i * kNumParams + i];
    out.se[i] = var >= 0.0 ? voxflow::kmath::sqrt(var) : static_cast<double>(NAN);
    const double tol = 1e-6 * (b.hi[i] - b.lo[i]);
    if (p[i] - b.lo[i] <= tol || b.hi[i] - p[i] <= tol) at_bound = true;
  }
  out.status = at_bound ? FitStatus::AtBound : FitStatus::Ok;
}

/// Fits the extended PROXYL model to one voxel: t_min[n] times in minutes (ascending), y[n]
/// signal values (any units). The original's bounds and start values (fit_bounds.hpp), solved
/// with scipy's Trust Region Reflective algorithm (bounded_lm.hpp); a second start
/// (proxyl_fallback_guess) when the first does not converge or when the fitted curve's range
/// is >= kSecondStartSnr times the robust noise level, keeping the better converged fit
/// (docs/kinetics_fit.md); an attempt that is not the last resort has kAttemptMaxNfev
/// evaluations, and a first start stopped there goes on when both starts failed. Status:
/// n < kMinTimePoints -> TooFewPoints; non-finite values, a flat series, max(y) <= 0,
/// n > kMaxTimePoints or no converged attempt -> FitFailed (NaN in every field); otherwise
/// AtBound when a parameter is within 1e-6 of its box width of a bound, else Ok. Deterministic;
/// never throws, never allocates (about 5 KB of stack).
/// vector_rows = false selects the scalar accumulation of J^T J (ProxylProblem::vector_rows):
/// the same bits, slower; for the benchmark's side-by-side baseline and the tests.
/// voxel_fit_lanes.hpp runs the same steps for several voxels in the lanes of a vector register.
KOKKOS_INLINE_FUNCTION VoxelFit fit_voxel(const double* t_min, const double* y, int n,
                                          bool vector_rows = true) {
  VoxelFit out;
  FitBounds b;
  double p_first[kNumParams];
  if (!prepare_voxel_fit(t_min, y, n, b, p_first, out)) return out;
  ProxylProblem problem = make_proxyl_problem(t_min, y, n);
  problem.vector_rows = vector_rows;
  const LsqOptions opt;  // scipy's defaults: the last resort's budget
  LsqOptions opt_capped = opt;
  opt_capped.max_nfev = kAttemptMaxNfev;

  double best_p[kNumParams];
  for (int i = 0; i < kNumParams; ++i) best_p[i] = p_first[i];
  LsqResult<kNumParams> best = bounded_least_squares<kNumParams>(problem, best_p, b.lo, b.hi, opt_capped);
  out.iterations += best.nfev;
  bool best_ok = attempt_ok(best.status, best.rss);
  const bool first_ok = best_ok, first_capped = best.status == LsqStatus::MaxEval;
  bool second_ok = false;

  // Second start (voxflow's fallback, docs/kinetics_fit.md): when the first attempt did not
  // converge, or when the fitted curve carries a measurable bolus, try proxyl_fallback_guess()
  // as well and keep the better converged fit. Below that signal-to-noise ratio the kinetics
  // are not identifiable and a second local minimum would only fit the noise better.
  if (wants_second_start(best_ok, best_p, t_min, y, n)) {
    double p2[kNumParams];
    proxyl_fallback_guess(t_min, n, b, p_first, p2);
    LsqOptions opt2 = opt;
    opt2.max_nfev = second_start_max_nfev(best_ok);
    LsqResult<kNumParams> r2 = bounded_least_squares<kNumParams>(problem, p2, b.lo, b.hi, opt2);
    out.iterations += r2.nfev;
    second_ok = attempt_ok(r2.status, r2.rss);
    if (second_ok && (!best_ok || r2.rss < best.rss)) {
      best = r2;
      for (int i = 0; i < kNumParams; ++i) best_p[i] = p2[i];
      best_ok = true;
    }
  }
  // Both starts failed and the first was stopped by kAttemptMaxNfev: it goes on from where it
  // stopped (best_p, the second start was not kept) with the rest of scipy's budget.
  if (continues_first_start(first_ok, first_capped, second_ok)) {
    LsqOptions opt_rest = opt;
    opt_rest.max_nfev = kContinuedAttemptMaxNfev;
    LsqResult<kNumParams> r3 = bounded_least_squares<kNumParams>(problem, best_p, b.lo, b.hi, opt_rest);
    out.iterations += r3.nfev;
    if (attempt_ok(r3.status, r3.rss)) {
      best = r3;
      best_ok = true;
    }
  }
  finish_voxel_fit(best_ok, best_p, best.rss, best.jtj, y, n, b, out);
  return out;
}

}  // namespace voxflow::kinetics
