// The variable-projection kinetics solver (varpro_fit.hpp, bounded_amplitudes.hpp): the bounded
// 3 x 3 amplitude solve against a brute-force bounded least squares, the one-pass sums against
// a direct evaluation, the projected gradient against finite differences, exact recovery of
// noiseless curves, bounds and statuses on adversarial series, determinism.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "src/kinetics/bounded_amplitudes.hpp"
#include "src/kinetics/fit_bounds.hpp"
#include "src/kinetics/proxyl_model.hpp"
#include "src/kinetics/varpro_fit.hpp"

namespace vk = voxflow::kinetics;

namespace {

std::vector<double> frame_times(int n, double jitter = 0.0) {
  std::vector<double> t(n);
  for (int i = 0; i < n; ++i) t[i] = i * 70.0 / 60.0 + jitter * std::sin(1.3 * i);
  return t;
}

double objective(const double* g, const double* b, const double* a) {
  double q = 0.0;
  for (int i = 0; i < 3; ++i) {
    double gx = 0.0;
    for (int k = 0; k < 3; ++k) gx += g[i * 3 + k] * a[k];
    q += a[i] * (gx - 2.0 * b[i]);
  }
  return q;
}

// Brute force: projected Gauss-Seidel (exact coordinate minimisation, clipped) until the
// iterate stops moving, which converges to the minimiser of a convex quadratic over a box.
void brute_force(const double* g, const double* b, const double* lo, const double* hi, double* a) {
  for (int i = 0; i < 3; ++i) a[i] = 0.5 * (lo[i] + hi[i]);
  for (int sweep = 0; sweep < 200000; ++sweep) {
    double moved = 0.0;
    for (int i = 0; i < 3; ++i) {
      if (!(g[i * 4] > 0.0)) continue;
      double s = b[i];
      for (int k = 0; k < 3; ++k) {
        if (k != i) s -= g[i * 3 + k] * a[k];
      }
      double v = s / g[i * 4];
      v = v < lo[i] ? lo[i] : (v > hi[i] ? hi[i] : v);
      moved = std::max(moved, std::fabs(v - a[i]) / (hi[i] - lo[i]));
      a[i] = v;
    }
    if (moved < 1e-15) break;
  }
}

}  // namespace

TEST(KineticsVarPro, AmplitudesEqualBruteForceBoundedLeastSquares) {
  std::mt19937_64 rng(15);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::normal_distribution<double> nd(0.0, 1.0);
  int constrained = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    // a random design Phi (m x 3, the model's kind of columns: 1, a bump, a ramp) and data
    const int m = 20 + trial % 40;
    const double kb = 0.01 + 2 * u01(rng), kd = 0.001 + u01(rng), knt = 0.001 + 0.2 * u01(rng);
    const double t0 = 10 * u01(rng), tm = 40 * u01(rng);
    std::vector<double> phi(m * 3), y(m);
    for (int i = 0; i < m; ++i) {
      const double t = i * 70.0 / 60.0, u = std::max(t - t0, 0.0), v = std::max(t - tm, 0.0);
      phi[i * 3] = 1.0;
      phi[i * 3 + 1] = (1 - std::exp(-kb * u)) * std::exp(-kd * u);
      phi[i * 3 + 2] = 1 - std::exp(-knt * v);
      y[i] = 500 * u01(rng) + 300 * u01(rng) * phi[i * 3 + 1] + 400 * (u01(rng) - 0.5) * phi[i * 3 + 2] +
             50 * nd(rng);
    }
    double g[9] = {0}, b[3] = {0};
    for (int i = 0; i < m; ++i) {
      for (int r = 0; r < 3; ++r) {
        b[r] += phi[i * 3 + r] * y[i];
        for (int c = 0; c < 3; ++c) g[r * 3 + c] += phi[i * 3 + r] * phi[i * 3 + c];
      }
    }
    // random boxes, often tight enough to make bounds active
    const double lo[3] = {-100 + 400 * u01(rng), -50 + 200 * u01(rng), -200 * u01(rng)};
    const double hi[3] = {lo[0] + 1 + 500 * u01(rng), lo[1] + 1 + 400 * u01(rng), lo[2] + 1 + 300 * u01(rng)};
    double a[3], ref[3];
    bool fr[3];
    const double q = vk::bounded_amplitudes(g, b, lo, hi, a, fr);
    brute_force(g, b, lo, hi, ref);
    const double qref = objective(g, b, ref);
    for (int i = 0; i < 3; ++i) {
      EXPECT_GE(a[i], lo[i]);
      EXPECT_LE(a[i], hi[i]);
      if (!fr[i]) ++constrained;
    }
    EXPECT_NEAR(q, objective(g, b, a), 1e-9 * (std::fabs(q) + 1.0));
    // the same minimum value (never worse than brute force) and the same minimiser where the
    // columns are well conditioned
    EXPECT_LE(q, qref + 1e-9 * (std::fabs(qref) + 1.0)) << "trial " << trial;
    EXPECT_GE(q, qref - 1e-7 * (std::fabs(qref) + 1.0)) << "trial " << trial;
    double scale = 0.0;
    for (int i = 0; i < 3; ++i) scale = std::max(scale, hi[i] - lo[i]);
    const double det = g[0] * (g[4] * g[8] - g[5] * g[7]) - g[1] * (g[3] * g[8] - g[5] * g[6]) +
                       g[2] * (g[3] * g[7] - g[4] * g[6]);
    if (det > 1e-6 * g[0] * g[4] * g[8]) {
      for (int i = 0; i < 3; ++i) EXPECT_NEAR(a[i], ref[i], 1e-5 * scale) << "trial " << trial;
    }
  }
  EXPECT_GT(constrained, 500);  // the active-set branch is exercised
}

TEST(KineticsVarPro, DegenerateColumnsAreFixedAtZero) {
  // the slow column is zero (tmax after the last sample): A2 has no influence
  const double g[9] = {10, 4, 0, 4, 3, 0, 0, 0, 0};
  const double b[3] = {100, 50, 0};
  const double lo[3] = {0, 0, -5}, hi[3] = {100, 100, 5};
  double a[3];
  bool fr[3];
  vk::bounded_amplitudes(g, b, lo, hi, a, fr);
  EXPECT_EQ(a[2], 0.0);
  EXPECT_FALSE(fr[2]);
  // the rest is the unconstrained 2 x 2 solution: [10 4; 4 3] a = [100 50]
  EXPECT_NEAR(a[0], (100 * 3 - 4 * 50) / 14.0, 1e-12);
  EXPECT_NEAR(a[1], (10 * 50 - 4 * 100) / 14.0, 1e-12);
}

TEST(KineticsVarPro, OnePassSumsMatchDirectEvaluation) {
  const double th[5] = {0.3, 0.04, 0.08, 4.9, 27.3};
  for (int grid = 0; grid < 2; ++grid) {
    const std::vector<double> t = frame_times(60, grid ? 0.1 : 0.0);
    std::vector<double> y(60);
    for (int i = 0; i < 60; ++i) y[i] = 800 + 300 * std::sin(0.1 * i) + 20 * std::cos(1.7 * i);
    const vk::VarProData d = vk::make_varpro_data(t.data(), y.data(), 60);
    EXPECT_EQ(d.uniform, grid == 0);
    vk::VarProSums s;
    vk::varpro_sums<true>(d, th, s);
    // direct columns: Jacobian of the model at A0 = 0, A1 = A2 = 1 is [1, B, S, dB/dkb, ...]
    double ete[64] = {0}, ety[8] = {0};
    const double p[8] = {0, 1, 1, th[0], th[1], th[2], th[3], th[4]};
    for (int i = 0; i < 60; ++i) {
      double jac[8];
      vk::proxyl_model_jac(p, t[i], jac);
      for (int r = 0; r < 8; ++r) {
        ety[r] += jac[r] * y[i];
        for (int c = 0; c < 8; ++c) ete[r * 8 + c] += jac[r] * jac[c];
      }
    }
    for (int r = 0; r < 8; ++r) {
      EXPECT_NEAR(s.ety[r], ety[r], 1e-10 * (std::fabs(ety[r]) + 1)) << r;
      for (int c = 0; c < 8; ++c) {
        EXPECT_NEAR(s.ete[r * 8 + c], ete[r * 8 + c], 1e-10 * (std::fabs(ete[r * 8 + c]) + 1)) << r << "," << c;
      }
    }
  }
}

TEST(KineticsVarPro, ProjectedGradientMatchesFiniteDifferences) {
  const std::vector<double> t = frame_times(60);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> nd(0.0, 15.0);
  const double truth[8] = {800, 300, -150, 0.25, 0.03, 0.08, 5, 32};
  std::vector<double> y(60);
  for (int i = 0; i < 60; ++i) y[i] = vk::proxyl_model(truth, t[i]) + nd(rng);
  vk::FitBounds b;
  ASSERT_TRUE(vk::proxyl_bounds(t.data(), y.data(), 60, b));
  vk::VarProProblem prob;
  prob.d = vk::make_varpro_data(t.data(), y.data(), 60);
  for (int i = 0; i < 3; ++i) {
    prob.alo[i] = b.lo[i];
    prob.ahi[i] = b.hi[i];
  }
  // away from the kinks (t0, tmax between samples)
  const double th[5] = {0.2, 0.05, 0.06, 5.3, 30.9};
  double jtj[25], jtr[5];
  const double f0 = prob(th, jtj, jtr);
  double a[3];
  EXPECT_NEAR(f0, vk::varpro_rss(prob.d, th, prob.alo, prob.ahi, a), 1e-9 * f0);
  for (int k = 0; k < 5; ++k) {
    const double h = 1e-6 * std::max(1.0, std::fabs(th[k]));
    double tp[5], tm[5], j2[25], g2[5];
    for (int q = 0; q < 5; ++q) tp[q] = tm[q] = th[q];
    tp[k] += h;
    tm[k] -= h;
    const double fd = (prob(tp, j2, g2) - prob(tm, j2, g2)) / (2 * h);
    EXPECT_NEAR(2 * jtr[k], fd, 1e-4 * (std::fabs(fd) + 1.0)) << "rate " << k;
    EXPECT_GE(jtj[k * 5 + k], 0.0);
  }
}

TEST(KineticsVarPro, NoiselessCurvesAreRecovered) {
  const double sets[][8] = {
      {1000, 500, -200, 0.30, 0.04, 0.08, 5.0, 28.0},
      {800, 300, -150, 0.25, 0.03, 0.08, 5.0, 32.0},
      {1000, 400, -100, 0.25, 0.04, 0.02, 5.0, 30.0},
      // not {500, 300, 100, 0.5, 0.1, 0.05, 3.5, 20.0} (fit_voxel's set with a rising slow
      // term): the variable-projection starts miss its basin (rss 190, tmax 7.4; known gap,
      // docs/kinetics_fit.md)
      {1200, 600, -300, 0.2, 0.02, 0.1, 7.0, 40.0},
      {300, 900, 50, 1.0, 0.2, 0.15, 2.0, 10.0},
      {700, 250, -120, 0.15, 0.05, 0.06, 12.0, 45.5},
  };
  for (int grid = 0; grid < 2; ++grid) {
    const std::vector<double> t = frame_times(60, grid ? 0.1 : 0.0);
    for (const auto& p : sets) {
      std::vector<double> y(60);
      for (int i = 0; i < 60; ++i) y[i] = vk::proxyl_model(p, t[i]);
      const vk::VoxelFit f = vk::fit_voxel_varpro(t.data(), y.data(), 60);
      ASSERT_TRUE(f.status == vk::FitStatus::Ok || f.status == vk::FitStatus::AtBound);
      for (int k = 0; k < 8; ++k) {
        EXPECT_NEAR(f.p[k], p[k], 1e-6 * std::fabs(p[k])) << "param " << k << " grid " << grid
                                                          << " set A0=" << p[0];
      }
      EXPECT_LT(f.rss, 1e-10);
      EXPECT_GT(f.iterations, 0);
    }
  }
}

TEST(KineticsVarPro, BoundsStatusesAndDeterminism) {
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::normal_distribution<double> nd(0.0, 1.0);
  const int n = 40;
  const std::vector<double> t = frame_times(n);
  int fitted = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> y(n);
    const int kind = trial % 5;
    for (int i = 0; i < n; ++i) {
      switch (kind) {
        case 0: y[i] = 100 + 50 * nd(rng); break;
        case 1: y[i] = i < n / 3 ? 0.0 : 1000.0; break;
        case 2: y[i] = std::exp(0.2 * i); break;
        case 3: y[i] = -50 + 100 * u01(rng); break;
        default: {
          double p[8] = {500, 300 * u01(rng), -100 + 200 * u01(rng), 2 * u01(rng), u01(rng),
                         0.2 * u01(rng), 40 * u01(rng), 40 * u01(rng)};
          y[i] = vk::proxyl_model(p, t[i]) + 30 * nd(rng);
        }
      }
    }
    const vk::VoxelFit f = vk::fit_voxel_varpro(t.data(), y.data(), n);
    const vk::VoxelFit f2 = vk::fit_voxel_varpro(t.data(), y.data(), n);
    if (f.status == vk::FitStatus::FitFailed) {
      for (int k = 0; k < 8; ++k) EXPECT_TRUE(std::isnan(f.p[k]));
      continue;
    }
    vk::FitBounds b;
    ASSERT_TRUE(vk::proxyl_bounds(t.data(), y.data(), n, b));
    ++fitted;
    double rss = 0;
    for (int i = 0; i < n; ++i) rss += std::pow(vk::proxyl_model(f.p, t[i]) - y[i], 2);
    EXPECT_NEAR(f.rss, rss, 1e-9 * rss + 1e-12);
    for (int k = 0; k < 8; ++k) {
      EXPECT_GE(f.p[k], b.lo[k]) << "trial " << trial << " param " << k;
      EXPECT_LE(f.p[k], b.hi[k]) << "trial " << trial << " param " << k;
      EXPECT_EQ(std::memcmp(&f.p[k], &f2.p[k], sizeof(double)), 0);
    }
  }
  EXPECT_GT(fitted, 150);
  // flat, NaN and too short series
  std::vector<double> y(60, 250.0);
  const std::vector<double> t60 = frame_times(60);
  EXPECT_EQ(vk::fit_voxel_varpro(t60.data(), y.data(), 60).status, vk::FitStatus::FitFailed);
  for (int i = 0; i < 60; ++i) y[i] = 100 + 10 * std::sin(0.3 * i);
  y[9] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(vk::fit_voxel_varpro(t60.data(), y.data(), 60).status, vk::FitStatus::FitFailed);
  y[9] = 100;
  EXPECT_EQ(vk::fit_voxel_varpro(t60.data(), y.data(), 7).status, vk::FitStatus::TooFewPoints);
}

TEST(KineticsVarPro, RunsInsideAKokkosKernel) {
  const int nv = 64, nt = 60;
  Kokkos::View<double**, Kokkos::LayoutRight> series("series", nv, nt);
  Kokkos::View<double*> times("times", nt), rss("rss", nv);
  auto hs = Kokkos::create_mirror_view(series);
  auto ht = Kokkos::create_mirror_view(times);
  const double p[8] = {1000, 500, -200, 0.30, 0.04, 0.08, 5.0, 28.0};
  for (int i = 0; i < nt; ++i) ht(i) = i * 70.0 / 60.0;
  for (int v = 0; v < nv; ++v) {
    for (int i = 0; i < nt; ++i) hs(v, i) = vk::proxyl_model(p, ht(i)) + 10 * std::sin(0.7 * i + v);
  }
  Kokkos::deep_copy(series, hs);
  Kokkos::deep_copy(times, ht);
  Kokkos::parallel_for(
      "varpro_test", Kokkos::RangePolicy<>(0, nv), KOKKOS_LAMBDA(const int v) {
        rss(v) = vk::fit_voxel_varpro(times.data(), &series(v, 0), nt).rss;
      });
  auto hr = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), rss);
  for (int v = 0; v < nv; ++v) {
    std::vector<double> y(nt);
    for (int i = 0; i < nt; ++i) y[i] = hs(v, i);
    EXPECT_EQ(hr(v), vk::fit_voxel_varpro(ht.data(), y.data(), nt).rss);
  }
}
