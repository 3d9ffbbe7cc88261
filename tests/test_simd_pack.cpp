// src/core/simd_pack.hpp: the lane-wise helpers and the vectorised exp against std::exp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "src/core/simd_pack.hpp"

#if VOXFLOW_SIMD_LANES
namespace simd = voxflow::simd;

namespace {

// Distance in units in the last place between two finite doubles of one sign.
double ulp_distance(double a, double b) {
  if (a == b) return 0.0;
  std::int64_t ia, ib;
  std::memcpy(&ia, &a, 8);
  std::memcpy(&ib, &b, 8);
  return std::fabs(static_cast<double>(ia - ib));
}

// Max ulp error of simd::exp over xs, kLanes at a time.
double max_exp_ulp(const std::vector<double>& xs, double* worst_x) {
  double worst = 0.0;
  for (size_t i = 0; i + simd::kLanes <= xs.size(); i += simd::kLanes) {
    simd::Pack x;
    for (int j = 0; j < simd::kLanes; ++j) x[j] = xs[i + j];
    const simd::Pack y = simd::exp(x);
    for (int j = 0; j < simd::kLanes; ++j) {
      const double d = ulp_distance(y[j], std::exp(x[j]));
      if (d > worst) {
        worst = d;
        *worst_x = x[j];
      }
    }
  }
  return worst;
}

}  // namespace

TEST(SimdPack, ExpWithinOneUlpOfStdExp) {
  std::mt19937_64 rng(11);
  std::vector<double> xs;
  std::uniform_real_distribution<double> wide(-745.0, 709.7), narrow(-60.0, 5.0), tiny(-1e-3, 1e-3);
  for (int i = 0; i < 400000; ++i) xs.push_back(wide(rng));
  for (int i = 0; i < 400000; ++i) xs.push_back(narrow(rng));
  for (int i = 0; i < 80000; ++i) xs.push_back(tiny(rng));
  // around the reduction's breakpoints (multiples of ln2 / 2) and exact integers
  for (int k = -200; k <= 200; ++k) {
    const double c = 0.5 * k * 0.6931471805599453;
    for (double d : {-1e-12, 0.0, 1e-12}) xs.push_back(c + d);
    xs.push_back(static_cast<double>(k));
  }
  while (xs.size() % simd::kLanes) xs.push_back(0.0);
  double worst_x = 0.0;
  const double worst = max_exp_ulp(xs, &worst_x);
  EXPECT_LE(worst, 1.0) << "at x = " << worst_x;
}

TEST(SimdPack, ExpSpecialValuesAndSubnormals) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double xs[] = {0.0, -0.0, 1.0, -1.0, 709.78, 709.79, 710.0, 1e300, inf, -inf, -745.2, -746.0,
                       -1e300, nan, -708.5, -720.0, -740.0, -744.4};
  for (double x : xs) {
    const simd::Pack y = simd::exp(simd::broadcast(x));
    const double ref = std::exp(x);
    for (int j = 0; j < simd::kLanes; ++j) {
      if (std::isnan(ref)) {
        EXPECT_TRUE(std::isnan(y[j])) << x;
      } else if (ref == 0.0 || std::isinf(ref)) {
        EXPECT_EQ(y[j], ref) << x;
      } else if (ref < std::numeric_limits<double>::min()) {
        // subnormal results: one rounding, within one unit of the smallest subnormal
        EXPECT_LE(std::fabs(y[j] - ref), 4.9406564584124654e-324) << x;
      } else {
        EXPECT_LE(ulp_distance(y[j], ref), 1.0) << x;
      }
    }
  }
  EXPECT_EQ(simd::exp(simd::broadcast(0.0))[0], 1.0);
}

TEST(SimdPack, LaneWiseHelpers) {
  simd::Pack a, b;
  for (int j = 0; j < simd::kLanes; ++j) {
    a[j] = j % 2 ? -1.5 * j : 2.0 * j;
    b[j] = 1.0;
  }
  const simd::Mask m = a > b;
  const simd::Pack s = simd::select(m, a, b), mn = simd::min(a, b), mx = simd::max(a, b), ab = simd::abs(a);
  const simd::Pack sq = simd::sqrt(ab);
  for (int j = 0; j < simd::kLanes; ++j) {
    EXPECT_EQ(m[j] != 0, a[j] > b[j]);
    EXPECT_EQ(s[j], a[j] > b[j] ? a[j] : b[j]);
    EXPECT_EQ(mn[j], std::min(a[j], b[j]));
    EXPECT_EQ(mx[j], std::max(a[j], b[j]));
    EXPECT_EQ(ab[j], std::fabs(a[j]));
    EXPECT_EQ(sq[j], std::sqrt(std::fabs(a[j])));
  }
  EXPECT_TRUE(simd::any(m));
  EXPECT_FALSE(simd::all(m));
  EXPECT_TRUE(simd::all(b == b));
  EXPECT_FALSE(simd::any(b != b));
  simd::Pack f = simd::broadcast(1.0);
  f[0] = std::numeric_limits<double>::infinity();
  f[simd::kLanes - 1] = std::numeric_limits<double>::quiet_NaN();
  const simd::Mask fin = simd::isfinite(f);
  EXPECT_EQ(fin[0], 0);
  EXPECT_EQ(fin[simd::kLanes - 1], 0);
  EXPECT_NE(fin[1], 0);
}
#else
TEST(SimdPack, NotCompiledForThisTarget) {
  // A portable build (no AVX) has no lanes; the kinetics fit uses its scalar path there.
  EXPECT_EQ(VOXFLOW_SIMD_LANES, 0);
}
#endif
