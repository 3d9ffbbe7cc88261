// src/kinetics/proxyl_lanes.hpp: the PROXYL least-squares problem for simd::kLanes voxels at
// once equals the scalar ProxylProblem (voxel_fit.hpp) lane by lane, and a lane's result does
// not depend on its neighbours or its position.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "src/core/simd_pack.hpp"
#include "src/kinetics/proxyl_lanes.hpp"
#include "src/kinetics/voxel_fit.hpp"

#if VOXFLOW_SIMD_LANES
namespace vk = voxflow::kinetics;
namespace param = voxflow::kinetics::param;
namespace simd = voxflow::simd;

namespace {

constexpr int kN = vk::kNumParams;

// Random parameters in the fit's ranges; t0 / tmax sometimes exactly on a sample time (a kink).
void random_params(std::mt19937_64& rng, const std::vector<double>& t, double* p) {
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  p[param::A0] = 50 + 1500 * u01(rng);
  p[param::A1] = 10 + 800 * u01(rng);
  p[param::A2] = -300 + 600 * u01(rng);
  p[param::kb] = std::exp(std::log(0.001) + (std::log(2.0) - std::log(0.001)) * u01(rng));
  p[param::kd] = std::exp(std::log(0.001) + (std::log(1.0) - std::log(0.001)) * u01(rng));
  p[param::knt] = std::exp(std::log(0.001) + (std::log(0.2) - std::log(0.001)) * u01(rng));
  const double span = t.back() - t.front();
  p[param::t0] = t.front() + span * u01(rng);
  p[param::tmax] = t.front() + span * u01(rng);
  if (u01(rng) < 0.2) p[param::t0] = t[static_cast<size_t>(u01(rng) * (t.size() - 1))];
  if (u01(rng) < 0.2) p[param::tmax] = t[static_cast<size_t>(u01(rng) * (t.size() - 1))];
}

// Lanes against the scalar problem for `rounds` x kLanes random voxels on time axis t.
void compare_with_scalar(const std::vector<double>& t, bool expect_uniform, int rounds) {
  std::mt19937_64 rng(2026 + t.size());
  std::normal_distribution<double> noise(0.0, 20.0);
  const int n = static_cast<int>(t.size());
  const vk::ProxylProblem probe = vk::make_proxyl_problem(t.data(), t.data(), n);
  ASSERT_EQ(probe.uniform, expect_uniform);
  for (int round = 0; round < rounds; ++round) {
    double p[simd::kLanes][kN];
    std::vector<std::vector<double>> y(simd::kLanes, std::vector<double>(n));
    std::vector<simd::Pack> yt(n);
    simd::Pack pl[kN];
    for (int j = 0; j < simd::kLanes; ++j) {
      random_params(rng, t, p[j]);
      double truth[kN];
      random_params(rng, t, truth);
      for (int i = 0; i < n; ++i) {
        y[j][i] = vk::proxyl_model(truth, t[i]) + noise(rng);
        yt[i][j] = y[j][i];
      }
      for (int q = 0; q < kN; ++q) pl[q][j] = p[j][q];
    }
    const vk::ProxylLanes lanes{t.data(), yt.data(), n, probe.uniform, probe.dt};
    simd::Pack jtj[kN * kN], jtr[kN];
    const simd::Pack rss = lanes(pl, jtj, jtr);
    for (int j = 0; j < simd::kLanes; ++j) {
      const vk::ProxylProblem scalar = vk::make_proxyl_problem(t.data(), y[j].data(), n);
      double sjtj[kN * kN], sjtr[kN];
      const double srss = scalar(p[j], sjtj, sjtr);
      ASSERT_NEAR(rss[j], srss, 1e-11 * srss) << "round " << round << " lane " << j;
      for (int a = 0; a < kN; ++a) {
        // Cauchy-Schwarz bounds |(J^T J)_ab| and |(J^T r)_a|: the scale of each entry
        const double ga = std::sqrt(sjtj[a * kN + a]);
        EXPECT_NEAR(jtr[a][j], sjtr[a], 1e-10 * ga * std::sqrt(srss) + 1e-300) << "J^T r " << a;
        for (int b = 0; b < kN; ++b) {
          const double scale = ga * std::sqrt(sjtj[b * kN + b]);
          EXPECT_NEAR(jtj[a * kN + b][j], sjtj[a * kN + b], 1e-10 * scale + 1e-300) << "J^T J " << a << "," << b;
          EXPECT_EQ(jtj[a * kN + b][j], jtj[b * kN + a][j]);
        }
      }
    }
  }
}

}  // namespace

TEST(KineticsLanes, EqualsTheScalarProblemOnAUniformGrid) {
  std::vector<double> t(60);
  for (int i = 0; i < 60; ++i) t[i] = 0.5 + 1.0 * i;  // minutes
  compare_with_scalar(t, true, 300);
}

TEST(KineticsLanes, EqualsTheScalarProblemOnANonUniformGrid) {
  std::vector<double> t;
  double ti = 0.0;
  for (int i = 0; i < 45; ++i) t.push_back(ti += (i < 20 ? 0.25 : 1.5));
  compare_with_scalar(t, false, 300);
}

TEST(KineticsLanes, ALaneDoesNotDependOnItsNeighbours) {
  std::vector<double> t(40);
  for (int i = 0; i < 40; ++i) t[i] = 2.0 * i;
  const int n = 40;
  std::mt19937_64 rng(7);
  double p0[kN], truth[kN];
  random_params(rng, t, p0);
  random_params(rng, t, truth);
  std::vector<double> y0(n);
  for (int i = 0; i < n; ++i) y0[i] = vk::proxyl_model(truth, t[i]);
  double ref_rss = 0.0;
  double ref_jtj[kN * kN], ref_jtr[kN];
  for (int trial = 0; trial < 3 * simd::kLanes; ++trial) {
    const int lane = trial % simd::kLanes;
    std::vector<simd::Pack> yt(n);
    simd::Pack pl[kN];
    for (int j = 0; j < simd::kLanes; ++j) {
      double other[kN];
      random_params(rng, t, other);  // different neighbours every trial
      for (int q = 0; q < kN; ++q) pl[q][j] = j == lane ? p0[q] : other[q];
      for (int i = 0; i < n; ++i) yt[i][j] = j == lane ? y0[i] : vk::proxyl_model(other, t[i]);
    }
    const vk::ProxylLanes lanes{t.data(), yt.data(), n, true, 2.0};
    simd::Pack jtj[kN * kN], jtr[kN];
    const simd::Pack rss = lanes(pl, jtj, jtr);
    if (trial == 0) {
      ref_rss = rss[lane];
      for (int a = 0; a < kN * kN; ++a) ref_jtj[a] = jtj[a][lane];
      for (int a = 0; a < kN; ++a) ref_jtr[a] = jtr[a][lane];
      continue;
    }
    EXPECT_EQ(std::memcmp(&ref_rss, &rss[lane], 8), 0) << "trial " << trial;
    for (int a = 0; a < kN * kN; ++a) EXPECT_EQ(ref_jtj[a], jtj[a][lane]) << a;
    for (int a = 0; a < kN; ++a) EXPECT_EQ(ref_jtr[a], jtr[a][lane]) << a;
  }
}
TEST(KineticsLanes, CurveRangeEqualsTheScalarModelRange) {
  // proxyl_range_lanes (points in lanes, simd::exp) against detail::model_range (proxyl_model
  // per point, std::exp) on uniform and non-uniform axes of 8 to 61 points (tails shorter than a
  // register), with t0 / tmax on sample times: equal to the exponentials' rounding.
  std::mt19937_64 rng(7);
  for (int n : {8, 9, 15, 16, 17, 60, 61}) {
    for (bool uniform : {true, false}) {
      std::vector<double> t(n);
      for (int i = 0; i < n; ++i) t[i] = uniform ? 70.0 * i / 60.0 : 0.9 * i + 0.02 * i * i;
      for (int rep = 0; rep < 300; ++rep) {
        double p[kN];
        random_params(rng, t, p);
        const double ref = vk::detail::model_range(p, t.data(), n);
        const double got = vk::proxyl_range_lanes(p, t.data(), n);
        const double scale = std::fabs(p[param::A0]) + std::fabs(p[param::A1]) + std::fabs(p[param::A2]);
        ASSERT_NEAR(got, ref, 1e-13 * scale) << "n " << n << " rep " << rep;
      }
    }
  }
}
#else
TEST(KineticsLanes, NotCompiledForThisTarget) {
  // A portable build (no AVX) has no lanes; the kinetics fit uses its scalar path there.
  EXPECT_EQ(VOXFLOW_SIMD_LANES, 0);
}
#endif
