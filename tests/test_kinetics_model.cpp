// The extended PROXYL model, its analytic Jacobian, the one-pass normal-equation accumulation
// of the fit, the bounds / start-value rules, and the built-in phantom.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <random>
#include <vector>

#include "src/core/error.hpp"
#include "src/kinetics/bounded_lm.hpp"
#include "src/kinetics/fit_bounds.hpp"
#include "src/kinetics/phantom.hpp"
#include "src/kinetics/proxyl_model.hpp"
#include "src/kinetics/voxel_fit.hpp"

namespace vk = voxflow::kinetics;
namespace param = voxflow::kinetics::param;

namespace {

// Random parameter point with t0 < tmax or t0 > tmax, all in realistic ranges.
void random_params(std::mt19937_64& rng, double* p) {
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  p[param::A0] = 50 + 1500 * u01(rng);
  p[param::A1] = 10 + 800 * u01(rng);
  p[param::A2] = -300 + 600 * u01(rng);
  p[param::kb] = std::exp(std::log(0.002) + (std::log(1.9) - std::log(0.002)) * u01(rng));
  p[param::kd] = std::exp(std::log(0.002) + (std::log(0.9) - std::log(0.002)) * u01(rng));
  p[param::knt] = std::exp(std::log(0.002) + (std::log(0.19) - std::log(0.002)) * u01(rng));
  p[param::t0] = 60 * u01(rng);
  p[param::tmax] = 60 * u01(rng);
}

double naive_model(const double* p, double t) {
  const double u = std::max(t - p[param::t0], 0.0), v = std::max(t - p[param::tmax], 0.0);
  return p[param::A0] + p[param::A1] * (1 - std::exp(-p[param::kb] * u)) * std::exp(-p[param::kd] * u) +
         p[param::A2] * (1 - std::exp(-p[param::knt] * v));
}

}  // namespace

TEST(KineticsModel, ValuesMatchTheFormula) {
  const double p[8] = {1000, 400, -100, 0.25, 0.04, 0.02, 5, 30};
  // before t0 the signal is the baseline, exactly
  EXPECT_EQ(vk::proxyl_model(p, 0.0), 1000.0);
  EXPECT_EQ(vk::proxyl_model(p, 5.0), 1000.0);
  // between t0 and tmax only the bolus term: hand-computed at t = 15 (u = 10)
  const double bolus = (1 - std::exp(-2.5)) * std::exp(-0.4);
  EXPECT_NEAR(vk::proxyl_model(p, 15.0), 1000 + 400 * bolus, 1e-10);
  // after tmax both terms: t = 50 (u = 45, v = 20)
  const double b50 = (1 - std::exp(-0.25 * 45)) * std::exp(-0.04 * 45);
  const double s50 = 1 - std::exp(-0.02 * 20);
  EXPECT_NEAR(vk::proxyl_model(p, 50.0), 1000 + 400 * b50 - 100 * s50, 1e-10);
  // proxyl_model_jac returns the same value
  double jac[8];
  for (double t : {0.0, 5.0, 15.0, 30.0, 50.0, 70.0}) {
    EXPECT_DOUBLE_EQ(vk::proxyl_model_jac(p, t, jac), vk::proxyl_model(p, t)) << t;
  }
  // and the parameter names are in the documented order
  EXPECT_STREQ(vk::kParamNames[param::kb], "kb");
  EXPECT_STREQ(vk::kParamNames[param::tmax], "tmax");
  EXPECT_EQ(vk::kNumParams, 8);
}

TEST(KineticsModel, JacobianMatchesCentralDifferences) {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> ut(0.0, 70.0);
  int checked = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    double p[8];
    random_params(rng, p);
    const double t = ut(rng);
    // away from the kinks: central differences in t0/tmax need |t - t0|, |t - tmax| > step
    if (std::fabs(t - p[param::t0]) < 0.05 || std::fabs(t - p[param::tmax]) < 0.05) continue;
    double jac[8];
    const double value = vk::proxyl_model_jac(p, t, jac);
    EXPECT_NEAR(value, naive_model(p, t), 1e-9 * std::fabs(value));
    for (int k = 0; k < 8; ++k) {
      const double h = 1e-6 * std::max(std::fabs(p[k]), 1e-2);
      double pp[8], pm[8];
      std::copy(p, p + 8, pp);
      std::copy(p, p + 8, pm);
      pp[k] += h;
      pm[k] -= h;
      const double fd = (naive_model(pp, t) - naive_model(pm, t)) / (2 * h);
      // the derivative's scale: the change of the model over a relative step of the parameter
      const double scale = std::max({std::fabs(fd), std::fabs(jac[k]), 1e-6 * std::fabs(value) / h});
      EXPECT_NEAR(jac[k], fd, 2e-6 * scale) << "param " << k << " trial " << trial << " t " << t;
    }
    ++checked;
  }
  EXPECT_GT(checked, 1500);
}

TEST(KineticsModel, ProblemAccumulationEqualsNaiveSums) {
  // J^T J, J^T r and rss of ProxylProblem (ranges split at t0 and tmax, exponentials advanced
  // by multiplication on a uniform grid) equal the sums over proxyl_model_jac, on a uniform
  // and a jittered grid, with t0 before, after and on tmax, and onsets on sample times.
  std::mt19937_64 rng(777);
  std::normal_distribution<double> noise(0.0, 20.0);
  for (int grid = 0; grid < 2; ++grid) {
    const int n = 60;
    std::vector<double> t(n), y(n);
    for (int i = 0; i < n; ++i) t[i] = i * 70.0 / 60.0 + (grid ? 0.3 * std::sin(1.7 * i) : 0.0);
    for (int trial = 0; trial < 300; ++trial) {
      double p[8];
      random_params(rng, p);
      if (trial % 5 == 0) p[param::t0] = t[trial % n];  // onsets exactly on samples
      if (trial % 7 == 0) p[param::tmax] = t[(3 * trial) % n];
      if (trial % 11 == 0) p[param::tmax] = p[param::t0];
      for (int i = 0; i < n; ++i) y[i] = naive_model(p, t[i]) + noise(rng);
      // evaluate at a point other than the truth
      double q[8];
      std::copy(p, p + 8, q);
      q[param::kb] *= 1.1;
      q[param::A2] += 5;
      const vk::ProxylProblem problem = vk::make_proxyl_problem(t.data(), y.data(), n);
      EXPECT_EQ(problem.uniform, grid == 0);
      double jtj[64], jtr[8];
      const double rss = problem(q, jtj, jtr);
      // the vector-register accumulation (default) and the scalar one give the same bits
      vk::ProxylProblem scalar = problem;
      scalar.vector_rows = false;
      double jtj_s[64], jtr_s[8];
      const double rss_s = scalar(q, jtj_s, jtr_s);
      EXPECT_EQ(std::memcmp(&rss, &rss_s, sizeof rss), 0) << "grid " << grid << " trial " << trial;
      EXPECT_EQ(std::memcmp(jtj, jtj_s, sizeof jtj), 0) << "grid " << grid << " trial " << trial;
      EXPECT_EQ(std::memcmp(jtr, jtr_s, sizeof jtr), 0) << "grid " << grid << " trial " << trial;
      Eigen::MatrixXd J(n, 8);
      Eigen::VectorXd r(n);
      for (int i = 0; i < n; ++i) {
        double jac[8];
        r(i) = vk::proxyl_model_jac(q, t[i], jac) - y[i];
        for (int k = 0; k < 8; ++k) J(i, k) = jac[k];
      }
      const Eigen::MatrixXd A = J.transpose() * J;
      const Eigen::VectorXd g = J.transpose() * r;
      EXPECT_NEAR(rss, r.squaredNorm(), 1e-9 * r.squaredNorm());
      for (int a = 0; a < 8; ++a) {
        EXPECT_NEAR(jtr[a], g(a), 1e-8 * (std::sqrt(A(a, a)) * r.norm() + 1e-300)) << a;
        for (int b = 0; b < 8; ++b) {
          EXPECT_NEAR(jtj[a * 8 + b], A(a, b), 1e-9 * std::sqrt(A(a, a) * A(b, b)) + 1e-300)
              << a << "," << b << " grid " << grid << " trial " << trial;
        }
      }
    }
  }
}

TEST(KineticsModel, SpdInverseMatchesEigenAndMarksSingular) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> nd(0.0, 1.0);
  Eigen::MatrixXd J(40, 8);
  for (int i = 0; i < 40; ++i) {
    for (int k = 0; k < 8; ++k) J(i, k) = nd(rng) * std::pow(10.0, k - 3);  // badly scaled
  }
  Eigen::MatrixXd A = J.transpose() * J;
  double a[64], inv[64];
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) a[i * 8 + j] = A(i, j);
  }
  vk::spd_inverse<8>(a, inv);
  const Eigen::MatrixXd ref = A.inverse();
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) {
      EXPECT_NEAR(inv[i * 8 + j], ref(i, j), 1e-8 * std::sqrt(std::fabs(ref(i, i) * ref(j, j))));
    }
  }
  // a zero column (a parameter without influence): NaN there, the rest inverted
  J.col(5).setZero();
  A = J.transpose() * J;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) a[i * 8 + j] = A(i, j);
  }
  vk::spd_inverse<8>(a, inv);
  EXPECT_TRUE(std::isnan(inv[5 * 8 + 5]));
  EXPECT_TRUE(std::isnan(inv[2 * 8 + 5]));
  EXPECT_TRUE(std::isfinite(inv[2 * 8 + 2]));
  // two identical columns: singular, all NaN
  J.col(5) = J.col(4);
  A = J.transpose() * J;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) a[i * 8 + j] = A(i, j);
  }
  vk::spd_inverse<8>(a, inv);
  for (int i = 0; i < 64; ++i) EXPECT_TRUE(std::isnan(inv[i]));
}

TEST(KineticsBounds, BoxAndStartValuesFollowTheOriginalRules) {
  // 20 points, t = 0..19 min: baseline 100 for 5 points, a rise, a plateau, a slow decline
  const int n = 20;
  double t[n], y[n];
  const double ys[n] = {100, 102, 98, 101, 99, 130, 170, 190, 200, 195,
                        190, 185, 180, 176, 172, 168, 165, 162, 160, 158};
  for (int i = 0; i < n; ++i) {
    t[i] = i;
    y[i] = ys[i];
  }
  vk::FitBounds b;
  ASSERT_TRUE(vk::proxyl_bounds(t, y, n, b));
  const double range = 200 - 98;
  EXPECT_EQ(b.lo[param::A0], 0.0);
  EXPECT_EQ(b.hi[param::A0], 400.0);
  EXPECT_EQ(b.hi[param::A1], 3 * range);
  EXPECT_EQ(b.lo[param::A2], -range);
  EXPECT_EQ(b.hi[param::A2], range);
  EXPECT_EQ(b.lo[param::kb], 0.001);
  EXPECT_EQ(b.hi[param::kb], 2.0);
  EXPECT_EQ(b.hi[param::kd], 1.0);
  EXPECT_EQ(b.hi[param::knt], 0.2);
  EXPECT_EQ(b.lo[param::t0], 0.0);
  EXPECT_EQ(b.hi[param::tmax], 19.0);

  double p0[8];
  vk::proxyl_initial_guess(t, y, n, b, p0);
  // baseline: mean of the first max(3, 5% of 20 = 1) = 3 points
  EXPECT_DOUBLE_EQ(p0[param::A0], (100 + 102 + 98) / 3.0);
  // tail: median of the last 20% = 4 points {165, 162, 160, 158} -> 161
  EXPECT_DOUBLE_EQ(p0[param::A2], 161 - (100 + 102 + 98) / 3.0);
  // A1 = peak - A0 - max(A2, 0)
  EXPECT_DOUBLE_EQ(p0[param::A1], 200 - p0[param::A0] - p0[param::A2]);
  EXPECT_EQ(p0[param::kb], 0.05);
  EXPECT_EQ(p0[param::kd], 0.02);
  EXPECT_EQ(p0[param::knt], 0.01);
  // first differences: 2, -4, 3, -2, 31, ... ; std of all 19 differences ~ 11.3 -> threshold
  // ~1.13: the first difference above it is y[1]-y[0] = 2 -> t0 = t[0]
  EXPECT_EQ(p0[param::t0], 0.0);
  EXPECT_EQ(p0[param::tmax], 8.0);  // time of the peak

  // a series whose first differences start below the threshold
  const double ys2[n] = {100, 100, 100, 100, 100, 130, 170, 190, 200, 195,
                         190, 185, 180, 176, 172, 168, 165, 162, 160, 158};
  vk::proxyl_initial_guess(t, ys2, n, b, p0);
  EXPECT_EQ(p0[param::t0], 4.0);  // d[4] = 30 is the first rise

  double fb[8];
  vk::proxyl_fallback_guess(t, n, b, p0, fb);
  EXPECT_EQ(fb[param::t0], 0.0);
  EXPECT_EQ(fb[param::tmax], 9.5);
  EXPECT_EQ(fb[param::kb], 0.1);
  EXPECT_EQ(fb[param::kd], 0.05);
  EXPECT_EQ(fb[param::A0], p0[param::A0]);

  // unusable boxes
  double flat[n];
  for (int i = 0; i < n; ++i) flat[i] = 5.0;
  EXPECT_FALSE(vk::proxyl_bounds(t, flat, n, b));
  double neg[n];
  for (int i = 0; i < n; ++i) neg[i] = -1.0 - i;
  EXPECT_FALSE(vk::proxyl_bounds(t, neg, n, b));
  double with_nan[n];
  for (int i = 0; i < n; ++i) with_nan[i] = ys[i];
  with_nan[7] = std::nan("");
  EXPECT_FALSE(vk::proxyl_bounds(t, with_nan, n, b));
}

TEST(KineticsPhantom, RegionsHaveTheDocumentedParameters) {
  const vk::PhantomSpec spec;
  EXPECT_EQ(spec.nx, 128);
  EXPECT_EQ(spec.nz, 9);
  EXPECT_EQ(spec.nt, 60);
  const double expected[3][8] = {{200, 40, -10, 0.08, 0.02, 0.005, 5, 40},
                                 {800, 300, -150, 0.25, 0.03, 0.08, 5, 32},
                                 {1000, 500, -200, 0.30, 0.04, 0.08, 5, 28}};
  for (int r = 0; r < vk::kNumRegions; ++r) {
    double p[8];
    vk::phantom_region_params(r, p);
    for (int k = 0; k < 8; ++k) EXPECT_EQ(p[k], expected[r][k]) << vk::kRegionNames[r] << " " << k;
  }
  EXPECT_THROW(vk::phantom_region_params(3, nullptr), voxflow::InputError);

  // geometry: corner = background, body centre = muscle, tumour centres = tumour
  EXPECT_EQ(vk::phantom_region(spec, 0, 0, 0), vk::kRegionBackground);
  EXPECT_EQ(vk::phantom_region(spec, 64, 64, 0), vk::kRegionMuscle);
  EXPECT_EQ(vk::phantom_region(spec, 46, 56, 4), vk::kRegionTumour);  // (0.36, 0.44, 0.5)
  EXPECT_EQ(vk::phantom_region(spec, 81, 74, 5), vk::kRegionTumour);  // (0.64, 0.58, 0.6)
  EXPECT_EQ(vk::phantom_region(spec, 46, 56, 0), vk::kRegionMuscle);  // tumours span few slices
  EXPECT_THROW(vk::phantom_region(spec, 128, 0, 0), voxflow::InputError);
  EXPECT_THROW(vk::phantom_region(spec, 0, 0, -1), voxflow::InputError);

  long counts[3] = {0, 0, 0};
  int slices_with_tumour = 0;
  for (int k = 0; k < spec.nz; ++k) {
    long in_slice = 0;
    for (int j = 0; j < spec.ny; ++j) {
      for (int i = 0; i < spec.nx; ++i) {
        const int r = vk::phantom_region(spec, i, j, k);
        counts[r]++;
        in_slice += r == vk::kRegionTumour;
        // truth: the region's parameters, kb / kd / A1 varied by at most 10 %
        if ((i * 7 + j * 3 + k) % 97 == 0) {
          double p[8], base[8];
          vk::phantom_truth(spec, i, j, k, p);
          vk::phantom_region_params(r, base);
          for (int q : {param::A0, param::A2, param::knt, param::t0, param::tmax}) EXPECT_EQ(p[q], base[q]);
          for (int q : {param::A1, param::kb, param::kd}) {
            EXPECT_LE(std::fabs(p[q] / base[q] - 1), 0.1 + 1e-12);
          }
        }
      }
    }
    slices_with_tumour += in_slice > 0;
  }
  EXPECT_EQ(counts[0] + counts[1] + counts[2], 128L * 128 * 9);
  EXPECT_GT(counts[1], 50000);
  EXPECT_GT(counts[2], 1000);
  EXPECT_GE(slices_with_tumour, 3);
  EXPECT_LE(slices_with_tumour, 7);

  // the variation is smooth: neighbours differ by much less than the full +-10 %
  double f1[3], f2[3];
  vk::phantom_variation(spec, 60, 60, 4, f1);
  vk::phantom_variation(spec, 61, 60, 4, f2);
  for (int q = 0; q < 3; ++q) EXPECT_LT(std::fabs(f1[q] - f2[q]), 0.01);
}

TEST(KineticsPhantom, SignalIsDeterministicAndKeyedOnTheVoxel) {
  const vk::PhantomSpec spec;
  EXPECT_DOUBLE_EQ(vk::phantom_time_min(spec, 0), 0.0);
  EXPECT_DOUBLE_EQ(vk::phantom_time_min(spec, 6), 7.0);
  EXPECT_DOUBLE_EQ(vk::phantom_time_min(spec, 59), 59 * 70.0 / 60.0);

  // golden values: any change of the phantom (geometry, parameters, generator) shows here
  EXPECT_NEAR(vk::phantom_signal(spec, 46, 56, 4, 10), 1288.4164961294466, 1e-9);
  EXPECT_NEAR(vk::phantom_signal(spec, 5, 5, 0, 0), 190.38925656115362, 1e-9);
  EXPECT_NEAR(vk::phantom_signal(spec, 100, 64, 2, 59), 705.66005529721269, 1e-9);
  EXPECT_NEAR(vk::phantom_noise(spec.seed, 82, 74, 5, 30), 0.65669181533226617, 1e-12);

  // same value in any call order, different for other keys and seeds
  const double a = vk::phantom_signal(spec, 10, 20, 3, 7);
  (void)vk::phantom_signal(spec, 11, 20, 3, 7);
  EXPECT_EQ(vk::phantom_signal(spec, 10, 20, 3, 7), a);
  EXPECT_NE(vk::phantom_noise(spec.seed, 10, 20, 3, 7), vk::phantom_noise(spec.seed, 10, 20, 3, 8));
  EXPECT_NE(vk::phantom_noise(spec.seed, 10, 20, 3, 7), vk::phantom_noise(spec.seed, 20, 10, 3, 7));
  EXPECT_NE(vk::phantom_noise(spec.seed, 10, 20, 3, 7), vk::phantom_noise(spec.seed + 1, 10, 20, 3, 7));

  // signal = model(truth) + sigma * noise, clamped at 0
  double p[8];
  vk::phantom_truth(spec, 46, 56, 4, p);
  const double expect = vk::proxyl_model(p, vk::phantom_time_min(spec, 10)) +
                        spec.noise_sigma * vk::phantom_noise(spec.seed, 46, 56, 4, 10);
  EXPECT_DOUBLE_EQ(vk::phantom_signal(spec, 46, 56, 4, 10), expect);
  vk::PhantomSpec loud = spec;
  loud.noise_sigma = 1000;
  double minimum = 1e300;
  for (int t = 0; t < 60; ++t) minimum = std::min(minimum, vk::phantom_signal(loud, 3, 3, 0, t));
  EXPECT_EQ(minimum, 0.0);  // clamped
  EXPECT_THROW(vk::phantom_signal(spec, 0, 0, 0, 60), voxflow::InputError);

  // the noise is standard normal: mean ~ 0, variance ~ 1 over 200000 draws
  double s1 = 0, s2 = 0;
  const int m = 200000;
  for (int q = 0; q < m; ++q) {
    const double z = vk::phantom_noise(99, q % 128, (q / 128) % 128, q / 16384, 3);
    s1 += z;
    s2 += z * z;
  }
  EXPECT_NEAR(s1 / m, 0.0, 0.01);
  EXPECT_NEAR(s2 / m, 1.0, 0.01);
}
