// Per-curve TIA kernels (src/tia/): noise floor, classification, gamma variate (linearised WLS,
// lambda_phys constraint, bounded refinement), exponential tail (both integrals), hybrid
// trapezoid + physical tail, R^2 rules, automatic model choice and fallbacks, the residual
// bootstrap (splitmix64 keys), region mode, and use inside a Kokkos kernel. Expected values are
// computed independently (closed forms, std::tgamma, Eigen solves, hand-computed sums).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "src/tia/bootstrap.hpp"
#include "src/tia/curve_classification.hpp"
#include "src/tia/exponential_tail.hpp"
#include "src/tia/gamma_refine.hpp"
#include "src/tia/gamma_variate.hpp"
#include "src/tia/goodness_of_fit.hpp"
#include "src/tia/hybrid_trapezoid.hpp"
#include "src/tia/noise_floor.hpp"
#include "src/tia/region_tia.hpp"
#include "src/tia/voxel_tia.hpp"

namespace vt = voxflow::tia;

namespace {

constexpr double kHour = 3600.0;
const double kLambdaLu = std::log(2.0) / 574300.8;  // Lu-177, 6.647 d

vt::TiaFitOptions default_options() {
  vt::TiaFitOptions o;
  o.lambda_phys = kLambdaLu;
  return o;
}

double gamma_curve(double k, double alpha, double beta, double t) {
  return k * std::pow(t, alpha) * std::exp(-beta * t);
}

double rel_err(double got, double want) { return std::fabs(got - want) / std::fabs(want); }

}  // namespace

// ---------------------------------------------------------------- noise floor / valid points

TEST(TiaNoiseFloor, RelativeAbsoluteOff) {
  vt::TiaFitOptions o = default_options();
  const double a[5] = {0.0, -5.0, 100.0, 50.0, 0.5};
  bool v[5];
  o.floor_mode = vt::NoiseFloorMode::Relative;
  o.floor_relative = 0.01;
  EXPECT_DOUBLE_EQ(vt::noise_floor(a, 5, o), 1.0);
  EXPECT_EQ(vt::valid_points(a, 5, o, v), 2);
  EXPECT_FALSE(v[0]);
  EXPECT_FALSE(v[1]);
  EXPECT_TRUE(v[2]);
  EXPECT_TRUE(v[3]);
  EXPECT_FALSE(v[4]);
  o.floor_mode = vt::NoiseFloorMode::Off;
  EXPECT_EQ(vt::noise_floor(a, 5, o), 0.0);
  EXPECT_EQ(vt::valid_points(a, 5, o, v), 3);  // zero and negative values are never valid
  EXPECT_TRUE(v[4]);
  o.floor_mode = vt::NoiseFloorMode::Absolute;
  o.floor_absolute_bq = 50.0;  // a_i >= floor is valid
  EXPECT_EQ(vt::valid_points(a, 5, o, v), 2);
  EXPECT_TRUE(v[3]);
  const double with_nan[3] = {std::nan(""), 10.0, 20.0};
  o.floor_mode = vt::NoiseFloorMode::Relative;
  EXPECT_DOUBLE_EQ(vt::noise_floor(with_nan, 3, o), 0.2);
  EXPECT_EQ(vt::valid_points(with_nan, 3, o, v), 2);
  EXPECT_FALSE(v[0]);
}

TEST(TiaNoiseFloor, StatusesAllBelowAndOneValid) {
  const vt::TiaFitOptions o = default_options();
  const double t[3] = {4 * kHour, 24 * kHour, 48 * kHour};
  vt::TacResult r;
  const double zeros[3] = {0.0, 0.0, -1.0};
  vt::fit_tac(t, zeros, 3, o, r);
  EXPECT_EQ(r.status, vt::kStatusAllBelowFloor);
  EXPECT_EQ(r.model, vt::kModelNone);
  EXPECT_EQ(r.n_valid, 0);
  EXPECT_TRUE(std::isnan(r.tia));
  EXPECT_TRUE(std::isnan(r.r2));
  EXPECT_TRUE(std::isnan(r.tpeak));
  const double one[3] = {0.0, 1000.0, 5.0};  // 5 < 1% of 1000
  vt::fit_tac(t, one, 3, o, r);
  EXPECT_EQ(r.status, vt::kStatusInsufficientPoints);
  EXPECT_EQ(r.model, vt::kModelNone);
  EXPECT_EQ(r.n_valid, 1);
  EXPECT_TRUE(std::isnan(r.tia));
  EXPECT_TRUE(std::isnan(r.prediction[1]));
  vt::fit_tac_with_model(t, one, 3, o, vt::kModelHybrid, r);
  EXPECT_EQ(r.status, vt::kStatusInsufficientPoints);
}

TEST(TiaNoiseFloor, ExcludedPointsDoNotInfluenceTheFit) {
  // a point of value 0, a negative one and one below 1% of the max: the fit equals the fit of
  // the two remaining points alone (falling exponential through two points: exact).
  const vt::TiaFitOptions o = default_options();
  const double t[5] = {1 * kHour, 4 * kHour, 24 * kHour, 48 * kHour, 168 * kHour};
  const double a[5] = {0.0, 1000.0, -3.0, 400.0, 2.0};
  vt::TacResult r;
  vt::fit_tac(t, a, 5, o, r);
  ASSERT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.n_valid, 2);
  EXPECT_EQ(r.curve_class, vt::kClassFalling);
  EXPECT_EQ(r.model, vt::kModelExponential);
  const double lam = std::log(1000.0 / 400.0) / (44 * kHour);
  EXPECT_LT(rel_err(r.tia, 0.5 * 1000.0 * 4 * kHour + 1000.0 / lam), 1e-12);
  const double t2[2] = {4 * kHour, 48 * kHour};
  const double a2[2] = {1000.0, 400.0};
  vt::TacResult r2;
  vt::fit_tac(t2, a2, 2, o, r2);
  EXPECT_DOUBLE_EQ(r.tia, r2.tia);
  EXPECT_TRUE(std::isnan(r.r2));  // 2 valid points
}

// ---------------------------------------------------------------- classification

TEST(TiaClassification, Classes) {
  auto cls = [](std::vector<double> a) {
    bool v[vt::kTiaMaxTimePoints];
    for (size_t i = 0; i < a.size(); ++i) v[i] = a[i] > 0.0;
    return vt::classify_curve(a.data(), v, static_cast<int>(a.size()), 0.02);
  };
  EXPECT_EQ(cls({100, 80, 60, 40}), vt::kClassFalling);
  EXPECT_EQ(cls({100, 99, 98.5, 50}), vt::kClassFalling);  // small steps within eps
  EXPECT_EQ(cls({10, 20, 30, 40}), vt::kClassRising);
  EXPECT_EQ(cls({10, 40, 39, 60}), vt::kClassRising);
  EXPECT_EQ(cls({10, 50, 30}), vt::kClassHump);
  EXPECT_EQ(cls({56, 59, 17, 15}), vt::kClassHump);
  EXPECT_EQ(cls({50, 100, 99}), vt::kClassAmbiguous);           // last within eps of the peak
  EXPECT_EQ(cls({100, 101, 100.5, 100.2}), vt::kClassAmbiguous);  // flat within eps
  EXPECT_EQ(cls({100, 100, 100}), vt::kClassAmbiguous);         // exactly flat
  EXPECT_EQ(cls({100, 50, 60, 70, 80}), vt::kClassAmbiguous);   // peak first, s > 0
  EXPECT_EQ(cls({10, 20, 15, 30}), vt::kClassRising);
  EXPECT_EQ(cls({30, 20, 25, 10}), vt::kClassFalling);
  // first maximum on ties: {100, 100, 50}: p = v_0, s = -1 -> falling
  EXPECT_EQ(cls({100, 100, 50}), vt::kClassFalling);
  // N = 2
  EXPECT_EQ(cls({100, 50}), vt::kClassFalling);
  EXPECT_EQ(cls({50, 100}), vt::kClassRising);
  EXPECT_EQ(cls({100, 99}), vt::kClassAmbiguous);
  EXPECT_EQ(cls({99, 100}), vt::kClassAmbiguous);
  // invalid points are skipped: {100, -, 50} is falling over its valid points
  EXPECT_EQ(cls({100, 0, 50}), vt::kClassFalling);
  EXPECT_EQ(cls({0, 100, 0}), vt::kClassNone);  // fewer than 2 valid points
  // epsilon is relative to the peak: a 3% step counts with eps 0.02, not with eps 0.05
  const double a[3] = {100, 103, 106};
  const bool v[3] = {true, true, true};
  EXPECT_EQ(vt::classify_curve(a, v, 3, 0.02), vt::kClassRising);
  EXPECT_EQ(vt::classify_curve(a, v, 3, 0.05), vt::kClassAmbiguous);
}

TEST(TiaClassification, TwoPointCurvesAreFitted) {
  const vt::TiaFitOptions o = default_options();
  const double t[2] = {24 * kHour, 72 * kHour};
  vt::TacResult r;
  const double falling[2] = {800.0, 300.0};
  vt::fit_tac(t, falling, 2, o, r);
  EXPECT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.model, vt::kModelExponential);
  EXPECT_DOUBLE_EQ(r.tpeak, 24 * kHour);
  const double rising[2] = {300.0, 800.0};
  vt::fit_tac(t, rising, 2, o, r);
  EXPECT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.curve_class, vt::kClassRising);
  EXPECT_EQ(r.model, vt::kModelHybrid);
  const double want = 0.5 * 300 * 24 * kHour + 0.5 * (300 + 800) * 48 * kHour + 800 / kLambdaLu;
  EXPECT_LT(rel_err(r.tia, want), 1e-14);
  EXPECT_TRUE(std::isnan(r.tpeak));
  EXPECT_TRUE(std::isnan(r.r2));
}

// ---------------------------------------------------------------- gamma variate

TEST(TiaGamma, RecoversPeakTimeAndTiaFromNoiselessSamples) {
  struct Case {
    double k, alpha, beta;
  };
  const Case cases[] = {{50.0, 1.5, std::log(2.0) / (20 * kHour)},
                        {1e-3, 3.0, 1.0 / (8 * kHour)},
                        {2e4, 0.7, std::log(2.0) / (50 * kHour)},
                        {7.0, 2.2, 2.5 * kLambdaLu}};
  const std::vector<std::vector<double>> grids = {{0.3, 1.2, 3.0},
                                                  {0.2, 0.8, 1.5, 4.0},
                                                  {0.1, 0.5, 1.1, 2.0, 5.0},
                                                  {0.1, 0.4, 0.9, 1.6, 3.0, 6.0}};
  vt::TiaFitOptions o = default_options();
  o.floor_mode = vt::NoiseFloorMode::Off;
  for (const Case& c : cases) {
    const double tp = c.alpha / c.beta;
    const double tia = c.k * std::tgamma(c.alpha + 1.0) / std::pow(c.beta, c.alpha + 1.0);
    for (const auto& g : grids) {
      const int n = static_cast<int>(g.size());
      double t[vt::kTiaMaxTimePoints], a[vt::kTiaMaxTimePoints];
      for (int i = 0; i < n; ++i) {
        t[i] = g[i] * tp;
        a[i] = gamma_curve(c.k, c.alpha, c.beta, t[i]);
      }
      vt::TacResult r;
      vt::fit_tac(t, a, n, o, r);
      SCOPED_TRACE(testing::Message() << "alpha " << c.alpha << " n " << n);
      ASSERT_EQ(r.status, vt::kStatusOk);
      EXPECT_EQ(r.curve_class, vt::kClassHump);
      EXPECT_EQ(r.model, vt::kModelGamma);
      EXPECT_LT(rel_err(r.tpeak, tp), 1e-9);
      EXPECT_LT(rel_err(r.tia, tia), 1e-9);
      EXPECT_NEAR(r.r2, 1.0, 1e-12);
      for (int i = 0; i < n; ++i) EXPECT_LT(rel_err(r.prediction[i], a[i]), 1e-9);
    }
  }
}

TEST(TiaGamma, DefaultFloorKeepsGroundTruth) {
  // Lu-177-like kidney curve sampled at 4, 24, 48, 168 h with the default relative floor
  const double k = 5e3, alpha = 1.2, beta = std::log(2.0) / (30 * kHour);
  const double t[4] = {4 * kHour, 24 * kHour, 48 * kHour, 168 * kHour};
  double a[4];
  for (int i = 0; i < 4; ++i) a[i] = gamma_curve(k, alpha, beta, t[i]);
  vt::TacResult r;
  vt::fit_tac(t, a, 4, default_options(), r);
  ASSERT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.n_valid, 4);
  EXPECT_EQ(r.model, vt::kModelGamma);
  EXPECT_LT(rel_err(r.tpeak, alpha / beta), 1e-9);
  EXPECT_LT(rel_err(r.tia, k * std::tgamma(alpha + 1) / std::pow(beta, alpha + 1)), 1e-9);
}

namespace {

// Independent WLS in the original (unscaled) parametrisation with Eigen's QR of sqrt(W) X.
Eigen::VectorXd eigen_wls(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                          const Eigen::VectorXd& w) {
  const Eigen::VectorXd sw = w.array().sqrt();
  const Eigen::MatrixXd xs = sw.asDiagonal() * x;
  const Eigen::VectorXd ys = sw.asDiagonal() * y;
  return xs.colPivHouseholderQr().solve(ys);
}

}  // namespace

TEST(TiaGamma, LinearisedWlsMatchesEigen) {
  // noisy hump, unconstrained: the 3x3 WLS equals an independent QR solve
  const double t[5] = {2 * kHour, 10 * kHour, 24 * kHour, 60 * kHour, 140 * kHour};
  const double a[5] = {210.0, 820.0, 905.0, 480.0, 95.0};
  vt::TiaFitOptions o = default_options();
  bool v[5] = {true, true, true, true, true};
  vt::GammaParams p;
  ASSERT_EQ(vt::gamma_fit_linearized(t, a, v, 5, o, p), vt::kModelOk);
  Eigen::MatrixXd x(5, 3);
  Eigen::VectorXd y(5), w(5);
  for (int i = 0; i < 5; ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = std::log(t[i]);
    x(i, 2) = -t[i];
    y(i) = std::log(a[i]);
    w(i) = a[i];
  }
  const Eigen::VectorXd th = eigen_wls(x, y, w);
  EXPECT_FALSE(p.clamped);
  EXPECT_LT(rel_err(p.ln_k, th(0)), 1e-9);
  EXPECT_LT(rel_err(p.alpha, th(1)), 1e-9);
  EXPECT_LT(rel_err(p.beta, th(2)), 1e-9);
  EXPECT_GT(p.beta, kLambdaLu);
}

TEST(TiaGamma, LambdaPhysConstraintAndExact2x2Refit) {
  // slow clearance (beta_true = 0.4 lambda_phys): the 3x3 WLS gives beta < lambda_phys, so beta
  // is set to lambda_phys and (ln K, alpha) refit by 2x2 WLS on ln a + lambda t.
  const double k = 30.0, alpha = 0.9, beta_true = 0.4 * kLambdaLu;
  const double tp = alpha / beta_true;
  const double t[4] = {0.05 * tp, 0.3 * tp, 0.8 * tp, 1.6 * tp};
  double a[4];
  for (int i = 0; i < 4; ++i) a[i] = gamma_curve(k, alpha, beta_true, t[i]);
  const bool v[4] = {true, true, true, true};
  vt::TiaFitOptions o = default_options();
  o.floor_mode = vt::NoiseFloorMode::Off;
  // without the constraint the noiseless truth is recovered
  o.enforce_lambda_phys = false;
  vt::GammaParams p;
  ASSERT_EQ(vt::gamma_fit_linearized(t, a, v, 4, o, p), vt::kModelOk);
  EXPECT_LT(rel_err(p.beta, beta_true), 1e-8);
  EXPECT_FALSE(p.clamped);
  // with it
  o.enforce_lambda_phys = true;
  ASSERT_EQ(vt::gamma_fit_linearized(t, a, v, 4, o, p), vt::kModelOk);
  EXPECT_TRUE(p.clamped);
  EXPECT_EQ(p.beta, kLambdaLu);
  Eigen::MatrixXd x(4, 2);
  Eigen::VectorXd y(4), w(4);
  for (int i = 0; i < 4; ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = std::log(t[i]);
    y(i) = std::log(a[i]) + kLambdaLu * t[i];
    w(i) = a[i];
  }
  const Eigen::VectorXd th = eigen_wls(x, y, w);
  EXPECT_LT(rel_err(p.ln_k, th(0)), 1e-10);
  EXPECT_LT(rel_err(p.alpha, th(1)), 1e-10);
  // fit_tac reports t_peak = alpha / lambda_phys and the closed-form TIA of those parameters
  vt::TacResult r;
  vt::fit_tac(t, a, 4, o, r);
  ASSERT_EQ(r.status, vt::kStatusOk);
  ASSERT_EQ(r.model, vt::kModelGamma);
  EXPECT_LT(rel_err(r.tpeak, th(1) / kLambdaLu), 1e-10);
  const double tia =
      std::exp(th(0)) * std::tgamma(th(1) + 1.0) / std::pow(kLambdaLu, th(1) + 1.0);
  EXPECT_LT(rel_err(r.tia, tia), 1e-9);
  EXPECT_LT(r.tia, k * std::tgamma(alpha + 1) / std::pow(beta_true, alpha + 1));
}

TEST(TiaGamma, TooFewPointsFails) {
  const double t[2] = {kHour, 2 * kHour};
  const double a[2] = {1.0, 2.0};
  const bool v[2] = {true, true};
  vt::GammaParams p;
  EXPECT_EQ(vt::gamma_fit_linearized(t, a, v, 2, default_options(), p), vt::kModelFailed);
  vt::TacResult r;
  vt::fit_tac_with_model(t, a, 2, default_options(), vt::kModelGamma, r);
  EXPECT_EQ(r.status, vt::kStatusFitFailed);
  EXPECT_EQ(r.model, vt::kModelNone);
  EXPECT_TRUE(std::isnan(r.tia));
}

// ---------------------------------------------------------------- gamma refinement

TEST(TiaGammaRefine, ImprovesSseOnNoisyCurveAndReachesAStationaryPoint) {
  const double k = 40.0, alpha = 1.8, beta = std::log(2.0) / (25 * kHour);
  const double t[6] = {2 * kHour, 8 * kHour, 20 * kHour, 45 * kHour, 90 * kHour, 160 * kHour};
  const double noise[6] = {0.08, -0.06, 0.05, -0.09, 0.12, -0.1};
  double a[6];
  for (int i = 0; i < 6; ++i) a[i] = gamma_curve(k, alpha, beta, t[i]) * (1.0 + noise[i]);
  const bool v[6] = {true, true, true, true, true, true};
  const vt::TiaFitOptions o = default_options();
  vt::GammaParams lin;
  ASSERT_EQ(vt::gamma_fit_linearized(t, a, v, 6, o, lin), vt::kModelOk);
  vt::GammaParams ref = lin;
  ASSERT_TRUE(vt::gamma_refine(t, a, v, 6, o, ref));
  const double sse_lin = vt::gamma_sse(lin, t, a, v, 6);
  const double sse_ref = vt::gamma_sse(ref, t, a, v, 6);
  EXPECT_LT(sse_ref, 0.99 * sse_lin);
  EXPECT_GE(ref.beta, kLambdaLu);
  EXPECT_GT(ref.alpha, 0.0);
  // interior local minimum: no relative perturbation of 1e-5 of one parameter lowers the SSE
  // by more than rounding
  for (int q = 0; q < 3; ++q) {
    for (double s : {-1e-5, 1e-5}) {
      vt::GammaParams pp = ref;
      double* field = q == 0 ? &pp.ln_k : (q == 1 ? &pp.alpha : &pp.beta);
      *field += s * std::fabs(*field);
      EXPECT_GE(vt::gamma_sse(pp, t, a, v, 6), sse_ref * (1.0 - 1e-9));
    }
  }
  // fit_tac with refine: the R^2 (same valid points) can only improve
  vt::TacResult r0, r1;
  vt::fit_tac(t, a, 6, o, r0);
  vt::TiaFitOptions orf = o;
  orf.refine_gamma = true;
  vt::fit_tac(t, a, 6, orf, r1);
  ASSERT_EQ(r0.model, vt::kModelGamma);
  ASSERT_EQ(r1.model, vt::kModelGamma);
  EXPECT_GT(r1.r2, r0.r2);
  EXPECT_LT(rel_err(r1.tia, vt::gamma_tia(ref)), 1e-14);
  EXPECT_LT(rel_err(r1.tpeak, ref.alpha / ref.beta), 1e-14);
}

TEST(TiaGammaRefine, NeverWorsensAndKeepsBounds) {
  std::mt19937_64 rng(12345);
  std::normal_distribution<double> nd(0.0, 0.15);
  std::uniform_real_distribution<double> ua(0.3, 4.0), uh(5.0, 200.0);
  const double t[5] = {4 * kHour, 24 * kHour, 48 * kHour, 96 * kHour, 168 * kHour};
  const bool v[5] = {true, true, true, true, true};
  const vt::TiaFitOptions o = default_options();
  int improved = 0, tried = 0;
  for (int c = 0; c < 300; ++c) {
    const double alpha = ua(rng), beta = std::log(2.0) / (uh(rng) * kHour);
    double a[5];
    for (int i = 0; i < 5; ++i) {
      a[i] = gamma_curve(100.0, alpha, beta, t[i]) * std::exp(nd(rng));
    }
    vt::GammaParams lin;
    if (vt::gamma_fit_linearized(t, a, v, 5, o, lin) != vt::kModelOk) continue;
    ++tried;
    vt::GammaParams ref = lin;
    const bool changed = vt::gamma_refine(t, a, v, 5, o, ref);
    const double sse_lin = vt::gamma_sse(lin, t, a, v, 5);
    const double sse_ref = vt::gamma_sse(ref, t, a, v, 5);
    if (changed) {
      ++improved;
      EXPECT_LT(sse_ref, sse_lin);
      EXPECT_GE(ref.beta, kLambdaLu);
      EXPECT_GT(ref.alpha, 0.0);
    } else {
      EXPECT_EQ(sse_ref, sse_lin);
      EXPECT_EQ(ref.alpha, lin.alpha);
    }
  }
  EXPECT_GT(tried, 250);
  EXPECT_GT(improved, tried / 2);  // noisy curves: the linearised fit is not the LS minimum
}

// ---------------------------------------------------------------- exponential tail

TEST(TiaExponential, DesignAndFittedFromZeroExact) {
  const double a0 = 1500.0, lam = 2e-5;  // lam > lambda_phys: no clamp
  const double t[4] = {4 * kHour, 24 * kHour, 48 * kHour, 96 * kHour};
  double a[4];
  for (int i = 0; i < 4; ++i) a[i] = a0 * std::exp(-lam * t[i]);
  vt::TiaFitOptions o = default_options();
  vt::TacResult r;
  vt::fit_tac(t, a, 4, o, r);
  ASSERT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.curve_class, vt::kClassFalling);
  EXPECT_EQ(r.model, vt::kModelExponential);
  EXPECT_LT(rel_err(r.tia, 0.5 * a[0] * t[0] + a[0] / lam), 1e-10);
  EXPECT_EQ(r.tpeak, t[0]);
  EXPECT_NEAR(r.r2, 1.0, 1e-12);
  for (int i = 0; i < 4; ++i) EXPECT_LT(rel_err(r.prediction[i], a[i]), 1e-10);
  o.falling_integral = vt::FallingIntegral::FittedFromZero;
  vt::fit_tac(t, a, 4, o, r);
  ASSERT_EQ(r.status, vt::kStatusOk);
  EXPECT_LT(rel_err(r.tia, a0 / lam), 1e-10);
  for (int i = 0; i < 4; ++i) EXPECT_LT(rel_err(r.prediction[i], a[i]), 1e-10);
  EXPECT_EQ(r.tpeak, t[0]);
}

TEST(TiaExponential, LambdaClampBothVariants) {
  const double a0 = 800.0, lam = 0.3 * kLambdaLu;  // slower than physical decay
  const double t[3] = {24 * kHour, 72 * kHour, 144 * kHour};
  double a[3];
  for (int i = 0; i < 3; ++i) a[i] = a0 * std::exp(-lam * t[i]) * (i == 1 ? 1.01 : 1.0);
  const bool v[3] = {true, true, true};
  vt::TiaFitOptions o = default_options();
  vt::ExpTailParams p;
  ASSERT_EQ(vt::exp_tail_fit(t, a, v, 3, o, p), vt::kModelOk);
  EXPECT_TRUE(p.clamped);
  EXPECT_EQ(p.lambda_eff, kLambdaLu);
  EXPECT_LT(p.lambda_fit, kLambdaLu);
  double sw = 0.0, swy = 0.0;
  for (int i = 0; i < 3; ++i) {
    sw += a[i];
    swy += a[i] * (std::log(a[i]) + kLambdaLu * t[i]);
  }
  const double c = swy / sw;
  EXPECT_LT(rel_err(p.c, c), 1e-13);
  vt::TacResult r;
  vt::fit_tac(t, a, 3, o, r);
  ASSERT_EQ(r.model, vt::kModelExponential);
  EXPECT_LT(rel_err(r.tia, 0.5 * a[0] * t[0] + a[0] / kLambdaLu), 1e-13);
  EXPECT_LT(rel_err(r.prediction[2], a[0] * std::exp(-kLambdaLu * (t[2] - t[0]))), 1e-13);
  o.falling_integral = vt::FallingIntegral::FittedFromZero;
  vt::fit_tac(t, a, 3, o, r);
  ASSERT_EQ(r.model, vt::kModelExponential);
  EXPECT_LT(rel_err(r.tia, std::exp(c) / kLambdaLu), 1e-12);
  EXPECT_LT(rel_err(r.prediction[1], std::exp(c - kLambdaLu * t[1])), 1e-12);
  // not enforced: the fitted rate is used
  o.enforce_lambda_phys = false;
  ASSERT_EQ(vt::exp_tail_fit(t, a, v, 3, o, p), vt::kModelOk);
  EXPECT_FALSE(p.clamped);
  EXPECT_EQ(p.lambda_eff, p.lambda_fit);
  EXPECT_LT(p.lambda_eff, kLambdaLu);
}

TEST(TiaExponential, TailStartsAtPeakAndTriangleBeforeIt) {
  // fixed model on a hump: the tail is fitted from the peak on, prediction is linear before
  const double t[4] = {2 * kHour, 10 * kHour, 30 * kHour, 70 * kHour};
  const double lam = 1e-5;
  const double a[4] = {100.0, 900.0, 900.0 * std::exp(-lam * 20 * kHour),
                       900.0 * std::exp(-lam * 60 * kHour)};
  vt::TacResult r;
  vt::fit_tac_with_model(t, a, 4, default_options(), vt::kModelExponential, r);
  ASSERT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.curve_class, vt::kClassNone);
  EXPECT_EQ(r.tpeak, 10 * kHour);
  EXPECT_LT(rel_err(r.tia, 0.5 * 900.0 * 10 * kHour + 900.0 / lam), 1e-10);
  EXPECT_LT(rel_err(r.prediction[0], 900.0 * 0.2), 1e-14);
  EXPECT_LT(rel_err(r.prediction[3], a[3]), 1e-10);
  // the peak as the last valid point: a one-point tail fails (status 3, no fallback)
  const double rising[3] = {10.0, 20.0, 30.0};
  vt::fit_tac_with_model(t, rising, 3, default_options(), vt::kModelExponential, r);
  EXPECT_EQ(r.status, vt::kStatusFitFailed);
}

TEST(TiaExponential, NonPhysicalRateWithoutConstraint) {
  // peak first but the tail rises again: lambda_fit < 0
  const double t[4] = {1 * kHour, 2 * kHour, 3 * kHour, 10 * kHour};
  const double a[4] = {100.0, 50.0, 40.0, 99.0};
  const bool v[4] = {true, true, true, true};
  vt::TiaFitOptions o = default_options();
  o.enforce_lambda_phys = false;
  vt::ExpTailParams p;
  EXPECT_EQ(vt::exp_tail_fit(t, a, v, 4, o, p), vt::kModelNonPhysical);
  EXPECT_LT(p.lambda_fit, 0.0);
  vt::TacResult r;
  vt::fit_tac_with_model(t, a, 4, o, vt::kModelExponential, r);
  EXPECT_EQ(r.status, vt::kStatusNonPhysical);
  EXPECT_EQ(r.model, vt::kModelNone);
  // voxel mode: falling class, exponential fails -> hybrid fallback, status 1
  vt::fit_tac(t, a, 4, o, r);
  EXPECT_EQ(r.curve_class, vt::kClassFalling);
  EXPECT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.model, vt::kModelHybrid);
  EXPECT_LT(rel_err(r.tia, vt::hybrid_tia(t, a, v, 4, o)), 1e-15);
  // with the constraint the exponential succeeds with lambda_phys
  o.enforce_lambda_phys = true;
  vt::fit_tac(t, a, 4, o, r);
  EXPECT_EQ(r.model, vt::kModelExponential);
  EXPECT_LT(rel_err(r.tia, 0.5 * 100.0 * kHour + 100.0 / kLambdaLu), 1e-14);
}

// ---------------------------------------------------------------- hybrid

TEST(TiaHybrid, TrapezoidPlusPhysicalTailHandComputed) {
  const double t[3] = {3600.0, 7200.0, 14400.0};
  const double a[3] = {100.0, 300.0, 200.0};
  vt::TiaFitOptions o = default_options();
  o.lambda_phys = 1e-4;
  vt::TacResult r;
  vt::fit_tac_with_model(t, a, 3, o, vt::kModelHybrid, r);
  ASSERT_EQ(r.status, vt::kStatusOk);
  // (0,0)-(3600,100): 180000; (3600,100)-(7200,300): 720000; (7200,300)-(14400,200): 1800000;
  // tail 200 / 1e-4 = 2000000
  EXPECT_DOUBLE_EQ(r.tia, 4700000.0);
  EXPECT_TRUE(std::isnan(r.tpeak));
  o.include_t0 = false;
  vt::fit_tac_with_model(t, a, 3, o, vt::kModelHybrid, r);
  EXPECT_DOUBLE_EQ(r.tia, 4520000.0);
  // leave-one-out prediction: interior point from its neighbours, ends their own values
  EXPECT_DOUBLE_EQ(r.prediction[0], 100.0);
  EXPECT_DOUBLE_EQ(r.prediction[1], 100.0 + (3600.0 / 10800.0) * 100.0);
  EXPECT_DOUBLE_EQ(r.prediction[2], 200.0);
  // R^2: mean 200, SS_tot = 20000, SS_res = (300 - 133.333..)^2
  const double res = 300.0 - (100.0 + 100.0 / 3.0);
  EXPECT_NEAR(r.r2, 1.0 - res * res / 20000.0, 1e-13);
}

TEST(TiaHybrid, RisingCurveAutoAndPeakAtLast) {
  const double t[3] = {3600.0, 7200.0, 14400.0};
  const double a[3] = {100.0, 200.0, 300.0};
  vt::TiaFitOptions o = default_options();
  o.lambda_phys = 1e-4;
  vt::TacResult r;
  vt::fit_tac(t, a, 3, o, r);
  ASSERT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.curve_class, vt::kClassRising);
  EXPECT_EQ(r.model, vt::kModelHybrid);
  EXPECT_DOUBLE_EQ(r.tia, 180000.0 + 540000.0 + 1800000.0 + 3000000.0);
  EXPECT_TRUE(std::isnan(r.tpeak));
  const double res = 200.0 - (100.0 + 200.0 / 3.0);
  EXPECT_NEAR(r.r2, 1.0 - res * res / 20000.0, 1e-13);
  o.rising_mode = vt::RisingMode::PeakAtLast;
  vt::fit_tac(t, a, 3, o, r);
  EXPECT_EQ(r.tpeak, 14400.0);
  // ambiguous curves use the hybrid but keep t_peak NaN even with peak_at_last
  const double amb[3] = {100.0, 300.0, 299.0};
  vt::fit_tac(t, amb, 3, o, r);
  EXPECT_EQ(r.curve_class, vt::kClassAmbiguous);
  EXPECT_EQ(r.model, vt::kModelHybrid);
  EXPECT_TRUE(std::isnan(r.tpeak));
}

TEST(TiaHybrid, PredictionAtExcludedTimes) {
  const double t[6] = {1.0, 2.0, 4.0, 5.0, 8.0, 9.0};
  const double a[6] = {0.0, 10.0, 30.0, 0.0, 60.0, 0.0};
  const bool v[6] = {false, true, true, false, true, false};
  double p[6];
  vt::hybrid_predict(t, a, v, 6, p);
  EXPECT_DOUBLE_EQ(p[0], 10.0);                          // before the first: constant
  EXPECT_DOUBLE_EQ(p[1], 10.0);                          // first valid: itself
  EXPECT_DOUBLE_EQ(p[2], 10.0 + (2.0 / 6.0) * 50.0);     // interior: leave-one-out
  EXPECT_DOUBLE_EQ(p[3], 30.0 + (1.0 / 4.0) * 30.0);     // excluded: between neighbours
  EXPECT_DOUBLE_EQ(p[4], 60.0);                          // last valid: itself
  EXPECT_DOUBLE_EQ(p[5], 60.0);                          // after the last: constant
  vt::TiaFitOptions o = default_options();
  o.lambda_phys = 0.5;
  o.include_t0 = true;
  // (0,0)-(2,10): 10; (2,10)-(4,30): 40; (4,30)-(8,60): 180; tail 60 / 0.5 = 120
  EXPECT_DOUBLE_EQ(vt::hybrid_tia(t, a, v, 6, o), 350.0);
}

TEST(TiaHybrid, NonFiniteTiaIsNonPhysical) {
  const double t[3] = {3600.0, 7200.0, 14400.0};
  const double a[3] = {1e308, 1.5e308, 1.7e308};  // the trapezoid overflows
  vt::TacResult r;
  vt::fit_tac(t, a, 3, default_options(), r);
  EXPECT_EQ(r.status, vt::kStatusNonPhysical);
  EXPECT_EQ(r.model, vt::kModelNone);
  EXPECT_TRUE(std::isnan(r.tia));
}

// ---------------------------------------------------------------- fallbacks

TEST(TiaFallback, GammaNonPhysicalFallsBackToHybrid) {
  // a hump whose linearised WLS gives alpha < 0 (beta > lambda_phys: no clamp)
  const double t[4] = {4 * kHour, 24 * kHour, 48 * kHour, 168 * kHour};
  const double a[4] = {56.0, 59.0, 17.0, 15.0};
  const bool v[4] = {true, true, true, true};
  const vt::TiaFitOptions o = default_options();
  vt::GammaParams p;
  EXPECT_EQ(vt::gamma_fit_linearized(t, a, v, 4, o, p), vt::kModelNonPhysical);
  EXPECT_LT(p.alpha, 0.0);
  EXPECT_FALSE(p.clamped);
  vt::TacResult r;
  vt::fit_tac(t, a, 4, o, r);
  EXPECT_EQ(r.curve_class, vt::kClassHump);
  EXPECT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.model, vt::kModelHybrid);
  const double want = 0.5 * 56 * 4 * kHour + 0.5 * (56 + 59) * 20 * kHour +
                      0.5 * (59 + 17) * 24 * kHour + 0.5 * (17 + 15) * 120 * kHour +
                      15.0 / kLambdaLu;
  EXPECT_LT(rel_err(r.tia, want), 1e-14);
  // fixed model gamma: no fallback -> non-physical
  vt::fit_tac_with_model(t, a, 4, o, vt::kModelGamma, r);
  EXPECT_EQ(r.status, vt::kStatusNonPhysical);
  vt::fit_tac_with_model(t, a, 4, o, vt::kModelNone, r);
  EXPECT_EQ(r.status, vt::kStatusFitFailed);
}

TEST(TiaFallback, GammaOverflowFallsBackAndHybridOverflowIsStatus5) {
  // a hump so large that the gamma integral overflows: hybrid overflows too -> status 5
  const double t[3] = {kHour, 10 * kHour, 100 * kHour};
  const double a[3] = {1e300, 1e307, 1e299};
  vt::TiaFitOptions o = default_options();
  o.floor_mode = vt::NoiseFloorMode::Off;
  const bool v[3] = {true, true, true};
  vt::GammaParams p;
  EXPECT_EQ(vt::gamma_fit_linearized(t, a, v, 3, o, p), vt::kModelFailed);  // TIA overflows
  vt::TacResult r;
  vt::fit_tac(t, a, 3, o, r);
  EXPECT_EQ(r.curve_class, vt::kClassHump);
  EXPECT_EQ(r.status, vt::kStatusNonPhysical);
}

TEST(TiaFallback, OversizedInputIsFitFailed) {
  double t[vt::kTiaMaxTimePoints + 1], a[vt::kTiaMaxTimePoints + 1];
  for (int i = 0; i <= vt::kTiaMaxTimePoints; ++i) {
    t[i] = (i + 1) * kHour;
    a[i] = 100.0;
  }
  vt::TacResult r;
  vt::fit_tac(t, a, vt::kTiaMaxTimePoints + 1, default_options(), r);
  EXPECT_EQ(r.status, vt::kStatusFitFailed);
  EXPECT_EQ(r.n_valid, 0);
}

// ---------------------------------------------------------------- R^2

TEST(TiaRSquared, NanRulesAndValue) {
  const double a[4] = {1.0, 2.0, 3.0, 4.0};
  const double p[4] = {1.5, 2.0, 2.5, 4.0};
  const bool all[4] = {true, true, true, true};
  const bool two[4] = {true, false, false, true};
  // mean 2.5, SS_tot = 5, SS_res = 0.25 + 0.25
  EXPECT_DOUBLE_EQ(vt::r_squared(a, p, all, 4), 0.9);
  EXPECT_TRUE(std::isnan(vt::r_squared(a, p, two, 4)));
  const double flat[4] = {3.0, 3.0, 3.0, 3.0};
  EXPECT_TRUE(std::isnan(vt::r_squared(flat, p, all, 4)));
  const bool three[4] = {true, true, false, true};
  // valid {1, 2, 4}: mean 7/3, SS_tot = 42/9, SS_res = 0.25
  EXPECT_NEAR(vt::r_squared(a, p, three, 4), 1.0 - 0.25 / (42.0 / 9.0), 1e-15);
  // flat curve through fit_tac: hybrid, R^2 NaN
  const double t[3] = {kHour, 2 * kHour, 3 * kHour};
  vt::TacResult r;
  vt::fit_tac(t, flat, 3, default_options(), r);
  EXPECT_EQ(r.status, vt::kStatusOk);
  EXPECT_EQ(r.model, vt::kModelHybrid);
  EXPECT_TRUE(std::isnan(r.r2));
}

// ---------------------------------------------------------------- bootstrap

TEST(TiaBootstrap, Splitmix64ReferenceValues) {
  // Vigna's splitmix64.c: state += 0x9E3779B97F4A7C15 then mix; the first four outputs of the
  // generator seeded with 0 are published reference values. splitmix64(x) is next() with
  // state x, so the k-th output is splitmix64(k * 0x9E3779B97F4A7C15).
  const std::uint64_t golden = 0x9E3779B97F4A7C15ULL;
  EXPECT_EQ(voxflow::splitmix64(0), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(voxflow::splitmix64(golden), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(voxflow::splitmix64(2 * golden), 0x06C45D188009454FULL);
  EXPECT_EQ(voxflow::splitmix64(3 * golden), 0xF88BB8A8724C81ECULL);
  EXPECT_EQ(vt::bootstrap_key(7, 123456, 3, 2),
            voxflow::splitmix64(voxflow::splitmix64(voxflow::splitmix64(7) ^ 123456ULL) ^ ((3ULL << 8) | 2ULL)));
  EXPECT_EQ(vt::region_voxel_id(5), 0x8000000000000005ULL);
}

namespace {

// gamma hump sampled at 5 times with a fixed relative noise pattern scaled by `level`
void noisy_gamma(double level, double* t, double* a) {
  const double hrs[5] = {4, 24, 48, 96, 168};
  const double e[5] = {0.6, -1.0, 0.8, 0.3, -0.7};
  for (int i = 0; i < 5; ++i) {
    t[i] = hrs[i] * kHour;
    a[i] = gamma_curve(100.0, 1.3, std::log(2.0) / 40.0, hrs[i]) *
           (1.0 + level * e[i]);
  }
}

}  // namespace

TEST(TiaBootstrap, ReproducibleBySeedAndVoxel) {
  double t[5], a[5];
  noisy_gamma(0.05, t, a);
  const vt::TiaFitOptions o = default_options();
  vt::TacResult base;
  vt::fit_tac(t, a, 5, o, base);
  ASSERT_EQ(base.status, vt::kStatusOk);
  ASSERT_EQ(base.model, vt::kModelGamma);
  const double s1 = vt::bootstrap_sigma(t, a, 5, o, base, 50, 0, 42, true);
  const double s2 = vt::bootstrap_sigma(t, a, 5, o, base, 50, 0, 42, true);
  const double s3 = vt::bootstrap_sigma(t, a, 5, o, base, 50, 1, 42, true);
  const double s4 = vt::bootstrap_sigma(t, a, 5, o, base, 50, 0, 43, true);
  ASSERT_TRUE(std::isfinite(s1));
  EXPECT_GT(s1, 0.0);
  EXPECT_EQ(s1, s2);
  EXPECT_NE(s1, s3);
  EXPECT_NE(s1, s4);
  // sigma is a small fraction of the TIA for 5% noise
  EXPECT_LT(s1 / base.tia, 0.2);
  // not-ok baseline, fewer than 2 replicates -> NaN
  vt::TacResult bad = base;
  bad.status = vt::kStatusFitFailed;
  EXPECT_TRUE(std::isnan(vt::bootstrap_sigma(t, a, 5, o, bad, 50, 0, 42, true)));
  EXPECT_TRUE(std::isnan(vt::bootstrap_sigma(t, a, 5, o, base, 1, 0, 42, true)));
}

TEST(TiaBootstrap, NoiselessGammaHasZeroSigma) {
  double t[5], a[5];
  noisy_gamma(0.0, t, a);
  const vt::TiaFitOptions o = default_options();
  vt::TacResult base;
  vt::fit_tac(t, a, 5, o, base);
  ASSERT_EQ(base.model, vt::kModelGamma);
  for (bool reclassify : {true, false}) {
    const double s = vt::bootstrap_sigma(t, a, 5, o, base, 50, 3, 9, reclassify);
    ASSERT_TRUE(std::isfinite(s));
    EXPECT_LT(s / base.tia, 1e-9);
  }
}

TEST(TiaBootstrap, SigmaScalesWithNoise) {
  // gamma with reclassification: roughly proportional to the noise level
  const vt::TiaFitOptions o = default_options();
  double t[5], a1[5], a2[5];
  noisy_gamma(0.02, t, a1);
  noisy_gamma(0.04, t, a2);
  vt::TacResult b1, b2;
  vt::fit_tac(t, a1, 5, o, b1);
  vt::fit_tac(t, a2, 5, o, b2);
  const double s1 = vt::bootstrap_sigma(t, a1, 5, o, b1, 200, 0, 1, true);
  const double s2 = vt::bootstrap_sigma(t, a2, 5, o, b2, 200, 0, 1, true);
  EXPECT_GT(s2 / s1, 1.6);
  EXPECT_LT(s2 / s1, 2.4);
  // hybrid with a fixed model on a linear rising curve + k * noise: TIA* is linear in the data
  // and the baseline residuals are k times those of the noise, so sigma is exactly k-linear.
  const double tt[5] = {kHour, 3 * kHour, 6 * kHour, 10 * kHour, 15 * kHour};
  const double e[5] = {1.0, -2.0, 1.5, -0.5, 0.7};
  double sig[3];
  for (int k = 1; k <= 3; ++k) {
    double a[5];
    for (int i = 0; i < 5; ++i) a[i] = 1000.0 + 50.0 * tt[i] / kHour + k * e[i];
    vt::TacResult b;
    vt::fit_tac_with_model(tt, a, 5, o, vt::kModelHybrid, b);
    ASSERT_EQ(b.status, vt::kStatusOk);
    sig[k - 1] = vt::bootstrap_sigma(tt, a, 5, o, b, 50, 11, 77, false);
  }
  EXPECT_GT(sig[0], 0.0);
  EXPECT_LT(rel_err(sig[1], 2.0 * sig[0]), 1e-6);
  EXPECT_LT(rel_err(sig[2], 3.0 * sig[0]), 1e-6);
}

TEST(TiaBootstrap, MatchesIndependentResamplingOfHybrid) {
  // re-implements spec §6 for a hybrid fixed-model curve with an excluded point and compares
  const double t[5] = {kHour, 3 * kHour, 6 * kHour, 10 * kHour, 15 * kHour};
  const double a[5] = {400.0, 0.0, 900.0, 700.0, 820.0};
  vt::TiaFitOptions o = default_options();
  o.floor_mode = vt::NoiseFloorMode::Off;
  vt::TacResult base;
  vt::fit_tac_with_model(t, a, 5, o, vt::kModelHybrid, base);
  ASSERT_EQ(base.status, vt::kStatusOk);
  ASSERT_EQ(base.n_valid, 4);
  // baseline prediction (leave-one-out; t=3h excluded -> between 1h and 6h)
  const double pred[5] = {400.0, 400.0 + 0.4 * 500.0, 400.0 + (5.0 / 9.0) * 300.0,
                          900.0 + (4.0 / 9.0) * -80.0, 820.0};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(base.prediction[i], pred[i], 1e-12);
  const int valid_idx[4] = {0, 2, 3, 4};
  double r[4];
  for (int k = 0; k < 4; ++k) r[k] = a[valid_idx[k]] - pred[valid_idx[k]];
  auto sm = [](std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  };
  const std::uint64_t seed = 5, vox = 1000;
  const int nrep = 40;
  std::vector<double> tias;
  for (int b = 0; b < nrep; ++b) {
    double s[5];
    bool v[5];
    for (int i = 0; i < 5; ++i) {
      const std::uint64_t key = sm(sm(sm(seed) ^ vox) ^ ((static_cast<std::uint64_t>(b) << 8) | i));
      s[i] = std::max(pred[i] + r[key % 4], 0.0);
      v[i] = s[i] > 0.0;
    }
    double area = 0.0, tp = 0.0, ap = 0.0, last = 0.0;
    for (int i = 0; i < 5; ++i) {
      if (!v[i]) continue;
      area += 0.5 * (ap + s[i]) * (t[i] - tp);
      tp = t[i];
      ap = s[i];
      last = s[i];
    }
    tias.push_back(area + last / kLambdaLu);
  }
  double mean = 0.0;
  for (double x : tias) mean += x;
  mean /= nrep;
  double var = 0.0;
  for (double x : tias) var += (x - mean) * (x - mean);
  const double want = std::sqrt(var / nrep);
  const double got = vt::bootstrap_sigma(t, a, 5, o, base, nrep, seed, vox, false);
  EXPECT_GT(want, 0.0);
  EXPECT_LT(rel_err(got, want), 1e-9);
}

// ------------------------------------------------- replicate fit (status + TIA only)

TEST(TiaReplicateFit, Solve2x2ClosedFormMatchesEigenAndKeepsPivotRule) {
  std::mt19937 gen(12);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int k = 0; k < 200; ++k) {
    Eigen::Matrix2d m;
    m << u(gen), u(gen), u(gen), u(gen);
    const Eigen::Matrix2d g = m * m.transpose() + 1e-3 * Eigen::Matrix2d::Identity();
    const double gr[4] = {g(0, 0), g(0, 1), g(1, 0), g(1, 1)};
    const double b[2] = {u(gen), u(gen)};
    double x[2];
    ASSERT_TRUE(vt::solve_spd<2>(gr, b, x));
    const Eigen::Vector2d want = g.ldlt().solve(Eigen::Vector2d(b[0], b[1]));
    EXPECT_NEAR(x[0], want(0), 1e-9 * (1.0 + std::fabs(want(0))));
    EXPECT_NEAR(x[1], want(1), 1e-9 * (1.0 + std::fabs(want(1))));
  }
  const double b[2] = {1.0, 2.0};
  double x[2] = {-7.0, -7.0};
  const double exact_singular[4] = {1.0, 1.0, 1.0, 1.0};
  EXPECT_FALSE(vt::solve_spd<2>(exact_singular, b, x));
  const double tiny_pivot[4] = {1.0, 1.0, 1.0, 1.0 + 1e-13};  // d1 ~ 1e-13 <= 1e-12 * 1
  EXPECT_FALSE(vt::solve_spd<2>(tiny_pivot, b, x));
  const double neg_diag[4] = {-1.0, 0.0, 0.0, 1.0};
  EXPECT_FALSE(vt::solve_spd<2>(neg_diag, b, x));
  const double inf_entry[4] = {INFINITY, 0.0, 0.0, 1.0};
  EXPECT_FALSE(vt::solve_spd<2>(inf_entry, b, x));
  EXPECT_EQ(x[0], -7.0);  // untouched on failure
  EXPECT_EQ(x[1], -7.0);
  const double ok_pivot[4] = {1.0, 1.0, 1.0, 1.0 + 1e-10};  // d1 ~ 1e-10 > 1e-12
  EXPECT_TRUE(vt::solve_spd<2>(ok_pivot, b, x));
  EXPECT_NEAR(x[1], 1e10, 1e4);  // (b1 - b0) / d1
}

TEST(TiaReplicateFit, TimeLogTableRows) {
  const double t[4] = {3.0 * kHour, 20.0 * kHour, 50.0 * kHour, 170.0 * kHour};
  vt::TimeLogTable tab;
  EXPECT_EQ(tab.rows, 0u);
  const double* row = vt::time_log_row(t, 4, 2, tab);
  EXPECT_EQ(tab.rows, 4u);
  EXPECT_EQ(row, tab.ln_ratio + 2 * vt::kTiaMaxTimePoints);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(tab.ratio[2 * vt::kTiaMaxTimePoints + i], t[i] / t[2]);
    EXPECT_EQ(row[i], std::log(t[i] / t[2]));
  }
  EXPECT_EQ(tab.ln_t[2], std::log(t[2]));
  EXPECT_EQ(row[2], 0.0);
  vt::time_log_row(t, 4, 3, tab);
  EXPECT_EQ(tab.rows, 12u);
  EXPECT_EQ(tab.ln_ratio[3 * vt::kTiaMaxTimePoints + 0], std::log(t[0] / t[3]));
}

namespace {

/// Random curve of one of several shapes (hump, falling, rising, flat, random with zeros and
/// negative values, huge values) at increasing times t[0..n).
void random_curve(std::mt19937& gen, int n, double* t, double* a) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  t[0] = (0.5 + 5.0 * u(gen)) * kHour;
  for (int i = 1; i < n; ++i) t[i] = t[i - 1] + (1.0 + 60.0 * u(gen)) * kHour;
  const int shape = static_cast<int>(u(gen) * 7.0);
  const double noise = 0.3 * u(gen);
  const double scale = std::pow(10.0, 1.0 + 5.0 * u(gen));
  const double tpk = t[0] + (t[n - 1] - t[0]) * u(gen);
  const double alpha = 0.2 + 3.0 * u(gen);
  const double lam = kLambdaLu * (0.3 + 10.0 * u(gen));
  for (int i = 0; i < n; ++i) {
    double v;
    switch (shape) {
      case 0: v = std::pow(t[i] / tpk, alpha) * std::exp(-alpha * (t[i] / tpk - 1.0)); break;
      case 1: v = std::exp(-lam * (t[i] - t[0])); break;
      case 2: v = 0.1 + t[i] / t[n - 1]; break;
      case 3: v = 1.0; break;
      case 4: v = u(gen) * 1.3 - 0.3; break;
      case 5: v = u(gen) < 0.7 ? 0.0 : u(gen); break;
      default: v = (u(gen) < 0.5 ? 1e300 : 1.0) * u(gen); break;
    }
    a[i] = scale * v * (1.0 + noise * (2.0 * u(gen) - 1.0));
  }
}

}  // namespace

TEST(TiaReplicateFit, StatusAndTiaBitwiseEqualToFullFits) {
  // fit_tac_tia must give exactly fit_tac's (reclassify) / fit_tac_with_model's status and TIA
  std::mt19937 gen(2024);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int status_seen[6] = {0, 0, 0, 0, 0, 0};
  int model_seen[4] = {0, 0, 0, 0};
  int clamped_gamma = 0;
  for (int k = 0; k < 6000; ++k) {
    vt::TiaFitOptions o = default_options();
    const int variant = k % 6;
    if (variant == 1) o.refine_gamma = true;
    if (variant == 2) o.falling_integral = vt::FallingIntegral::FittedFromZero;
    if (variant == 3) o.enforce_lambda_phys = false;
    if (variant == 4) {
      o.floor_mode = vt::NoiseFloorMode::Absolute;
      o.floor_absolute_bq = 50.0;
      o.include_t0 = false;
    }
    if (variant == 5) o.floor_mode = vt::NoiseFloorMode::Off;
    const int n = (k % 97 == 0) ? vt::kTiaMaxTimePoints + 1 : 2 + static_cast<int>(u(gen) * 15.0);
    double t[vt::kTiaMaxTimePoints + 1], a[vt::kTiaMaxTimePoints + 1];
    random_curve(gen, n, t, a);
    vt::TimeLogTable logs;
    vt::TacResult full;
    vt::fit_tac(t, a, n, o, full);
    double tia = -1.0;
    const std::uint8_t st = vt::fit_tac_tia(t, a, n, o, true, vt::kModelNone, logs, tia);
    ASSERT_EQ(st, full.status) << "curve " << k;
    if (st == vt::kStatusOk) {
      ASSERT_EQ(tia, full.tia) << "curve " << k;
      ++model_seen[full.model];
    } else {
      EXPECT_TRUE(std::isnan(tia));
    }
    ++status_seen[st];
    for (std::uint8_t model = 0; model <= vt::kModelHybrid; ++model) {
      vt::TacResult fm;
      vt::fit_tac_with_model(t, a, n, o, model, fm, full.curve_class);
      const std::uint8_t sm = vt::fit_tac_tia(t, a, n, o, false, model, logs, tia);  // logs reused
      ASSERT_EQ(sm, fm.status) << "curve " << k << " model " << int(model);
      if (sm == vt::kStatusOk) {
        ASSERT_EQ(tia, fm.tia) << "curve " << k << " model " << int(model);
      } else {
        EXPECT_TRUE(std::isnan(tia));
      }
      ++status_seen[sm];
      if (model == vt::kModelGamma && sm == vt::kStatusOk && o.enforce_lambda_phys &&
          !o.refine_gamma) {
        bool v[vt::kTiaMaxTimePoints];
        vt::valid_points(a, n, o, v);
        vt::GammaParams p;
        vt::gamma_fit_linearized(t, a, v, n, o, p);
        clamped_gamma += p.clamped ? 1 : 0;
      }
    }
  }
  // every status and model (and the clamped gamma refit) was exercised
  for (int s = 1; s <= 5; ++s) EXPECT_GT(status_seen[s], 0) << "status " << s;
  for (int m = 1; m <= 3; ++m) EXPECT_GT(model_seen[m], 0) << "model " << m;
  EXPECT_GT(clamped_gamma, 0);
}

TEST(TiaReplicateFit, BootstrapEqualsReplicatesThroughFullFits) {
  // bootstrap_sigma (which uses fit_tac_tia) equals spec §6 computed with fit_tac /
  // fit_tac_with_model per replicate, bitwise
  std::mt19937 gen(77);
  int compared = 0;
  for (int k = 0; k < 300; ++k) {
    vt::TiaFitOptions o = default_options();
    if (k % 3 == 1) o.refine_gamma = true;
    const int n = 3 + k % 6;
    double t[vt::kTiaMaxTimePoints], a[vt::kTiaMaxTimePoints];
    random_curve(gen, n, t, a);
    vt::TacResult base;
    vt::fit_tac(t, a, n, o, base);
    if (base.status != vt::kStatusOk) continue;
    for (bool reclassify : {true, false}) {
      const std::uint64_t seed = 3, vox = 1000 + k;
      const int nrep = 30;
      double resid[vt::kTiaMaxTimePoints];
      int m = 0;
      for (int i = 0; i < n; ++i) {
        if (base.valid[i]) resid[m++] = a[i] - base.prediction[i];
      }
      int count = 0;
      double mean = 0.0, m2 = 0.0;
      for (int b = 0; b < nrep; ++b) {
        double s[vt::kTiaMaxTimePoints];
        for (int i = 0; i < n; ++i) {
          const std::uint64_t key = vt::bootstrap_key(seed, vox, b, i);
          s[i] = std::max(base.prediction[i] + resid[key % m], 0.0);
        }
        vt::TacResult r;
        if (reclassify) {
          vt::fit_tac(t, s, n, o, r);
        } else {
          vt::fit_tac_with_model(t, s, n, o, base.model, r, base.curve_class);
        }
        if (r.status != vt::kStatusOk) continue;
        ++count;
        const double d = r.tia - mean;
        mean += d / count;
        m2 += d * (r.tia - mean);
      }
      const double got = vt::bootstrap_sigma(t, a, n, o, base, nrep, seed, vox, reclassify);
      if (count < 2) {
        EXPECT_TRUE(std::isnan(got));
      } else {
        ASSERT_EQ(got, std::sqrt(m2 / count)) << "curve " << k;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 200);
}

// ---------------------------------------------------------------- region mode

namespace {

struct RegionCase {
  double t[5];
  double mean_a[5];
};

RegionCase region_case() {
  RegionCase c;
  const double hrs[5] = {4, 24, 48, 96, 168};
  const double e[5] = {0.03, -0.02, 0.01, 0.02, -0.03};
  for (int i = 0; i < 5; ++i) {
    c.t[i] = hrs[i] * kHour;
    c.mean_a[i] = gamma_curve(80.0, 1.1, std::log(2.0) / 35.0, hrs[i]) * (1.0 + e[i]);
  }
  return c;
}

}  // namespace

TEST(TiaRegion, AmplitudeScalingExact) {
  const RegionCase c = region_case();
  const vt::TiaFitOptions o = default_options();
  const std::uint8_t models[1] = {vt::kModelGamma};
  vt::RegionFit reg;
  vt::fit_region_tac(c.t, c.mean_a, 5, o, models, 1, reg);
  ASSERT_EQ(reg.fit.status, vt::kStatusOk);
  ASSERT_EQ(reg.fit.model, vt::kModelGamma);
  EXPECT_EQ(reg.fit.curve_class, vt::kClassNone);
  // t_ref: valid sample with the largest prediction
  int want_ref = 0;
  for (int i = 1; i < 5; ++i) {
    if (reg.fit.prediction[i] > reg.fit.prediction[want_ref]) want_ref = i;
  }
  EXPECT_EQ(reg.ref_index, want_ref);
  EXPECT_EQ(reg.ref_index, 2);  // peak near 1.1 * 35 h / ln 2 = 55.5 h -> the 48 h sample
  EXPECT_EQ(reg.a_ref, reg.fit.prediction[reg.ref_index]);
  EXPECT_EQ(reg.tia_ref, reg.fit.tia);
  EXPECT_TRUE(std::isnan(reg.sigma_tia_ref));
  reg.sigma_tia_ref = vt::region_bootstrap_sigma(c.t, c.mean_a, 5, o, reg, 50, 0, 3);
  ASSERT_TRUE(std::isfinite(reg.sigma_tia_ref));
  EXPECT_GT(reg.sigma_tia_ref, 0.0);
  EXPECT_EQ(reg.sigma_tia_ref,
            vt::bootstrap_sigma(c.t, c.mean_a, 5, o, reg.fit, 50, 0,
                                (std::uint64_t{1} << 63) + 3, false));
  // voxel = 3 x the region curve at t_ref (other points arbitrary): TIA = 3 TIA_ref
  double av[5];
  for (int i = 0; i < 5; ++i) av[i] = 3.0 * c.mean_a[i];
  av[reg.ref_index] = 3.0 * reg.a_ref;
  vt::TacResult r;
  double scale = 0.0;
  vt::apply_region_to_voxel(c.t, av, 5, o, reg, false, r, scale);
  ASSERT_EQ(r.status, vt::kStatusOk);
  EXPECT_DOUBLE_EQ(scale, 3.0);
  EXPECT_DOUBLE_EQ(r.tia, 3.0 * reg.tia_ref);
  EXPECT_EQ(r.model, vt::kModelGamma);
  EXPECT_EQ(r.tpeak, reg.fit.tpeak);
  EXPECT_EQ(r.r2, reg.fit.r2);
  EXPECT_DOUBLE_EQ(scale * reg.sigma_tia_ref, 3.0 * reg.sigma_tia_ref);
  // the region TAC itself scaled by 3 has 3 x the TIA and 3 x the bootstrap sigma
  double a3[5];
  for (int i = 0; i < 5; ++i) a3[i] = 3.0 * c.mean_a[i];
  vt::RegionFit reg3;
  vt::fit_region_tac(c.t, a3, 5, o, models, 1, reg3);
  ASSERT_EQ(reg3.fit.status, vt::kStatusOk);
  EXPECT_LT(rel_err(reg3.tia_ref, 3.0 * reg.tia_ref), 1e-12);
  const double s3 = vt::region_bootstrap_sigma(c.t, a3, 5, o, reg3, 50, 0, 3);
  EXPECT_LT(rel_err(s3, 3.0 * reg.sigma_tia_ref), 1e-8);
}

TEST(TiaRegion, VoxelMissingAtTrefAndVoxelLevelR2) {
  const RegionCase c = region_case();
  const vt::TiaFitOptions o = default_options();
  const std::uint8_t models[1] = {vt::kModelGamma};
  vt::RegionFit reg;
  vt::fit_region_tac(c.t, c.mean_a, 5, o, models, 1, reg);
  ASSERT_EQ(reg.fit.status, vt::kStatusOk);
  const int ref = reg.ref_index;
  double av[5];
  const double e[5] = {0.1, -0.05, 0.08, -0.1, 0.05};
  for (int i = 0; i < 5; ++i) av[i] = 2.0 * c.mean_a[i] * (1.0 + e[i]);
  vt::TacResult r;
  double scale;
  vt::apply_region_to_voxel(c.t, av, 5, o, reg, true, r, scale);
  ASSERT_EQ(r.status, vt::kStatusOk);
  EXPECT_DOUBLE_EQ(scale, av[ref] / reg.a_ref);
  // voxel-level R^2 of scale * Ahat_region against the voxel's points
  double mean = 0.0;
  for (int i = 0; i < 5; ++i) mean += av[i] / 5.0;
  double sst = 0.0, ssr = 0.0;
  for (int i = 0; i < 5; ++i) {
    sst += (av[i] - mean) * (av[i] - mean);
    const double d = av[i] - scale * reg.fit.prediction[i];
    ssr += d * d;
  }
  EXPECT_NEAR(r.r2, 1.0 - ssr / sst, 1e-12);
  EXPECT_NE(r.r2, reg.fit.r2);
  vt::apply_region_to_voxel(c.t, av, 5, o, reg, false, r, scale);
  EXPECT_EQ(r.r2, reg.fit.r2);
  // missing (zero, then below the voxel's own 1% floor) at t_ref -> status 2
  for (double v : {0.0, 1e-3 * av[(ref + 1) % 5]}) {
    double am[5];
    for (int i = 0; i < 5; ++i) am[i] = av[i];
    am[ref] = v;
    vt::apply_region_to_voxel(c.t, am, 5, o, reg, true, r, scale);
    EXPECT_EQ(r.status, vt::kStatusInsufficientPoints);
    EXPECT_TRUE(std::isnan(r.tia));
    EXPECT_TRUE(std::isnan(r.r2));
    EXPECT_TRUE(std::isnan(scale));
    EXPECT_EQ(r.model, vt::kModelNone);
  }
}

TEST(TiaRegion, ModelOrderAndFailure) {
  // 2 points: gamma (default) fails, hybrid (next allowed) is used
  const double t[2] = {24 * kHour, 72 * kHour};
  const double a[2] = {300.0, 500.0};
  const vt::TiaFitOptions o = default_options();
  const std::uint8_t models[2] = {vt::kModelGamma, vt::kModelHybrid};
  vt::RegionFit reg;
  vt::fit_region_tac(t, a, 2, o, models, 2, reg);
  ASSERT_EQ(reg.fit.status, vt::kStatusOk);
  EXPECT_EQ(reg.fit.model, vt::kModelHybrid);
  EXPECT_EQ(reg.ref_index, 1);
  EXPECT_EQ(reg.a_ref, 500.0);
  // rising region with peak_at_last: class passed on
  vt::TiaFitOptions opl = o;
  opl.rising_mode = vt::RisingMode::PeakAtLast;
  vt::fit_region_tac(t, a, 2, opl, models + 1, 1, reg, vt::kClassRising);
  EXPECT_EQ(reg.fit.tpeak, 72 * kHour);
  // gamma only: region fails, voxels carry the region's status
  vt::fit_region_tac(t, a, 2, o, models, 1, reg);
  EXPECT_EQ(reg.fit.status, vt::kStatusFitFailed);
  EXPECT_EQ(reg.ref_index, -1);
  EXPECT_TRUE(std::isnan(reg.tia_ref));
  vt::TacResult r;
  double scale;
  vt::apply_region_to_voxel(t, a, 2, o, reg, false, r, scale);
  EXPECT_EQ(r.status, vt::kStatusFitFailed);
  EXPECT_TRUE(std::isnan(r.tia));
  EXPECT_TRUE(std::isnan(vt::region_bootstrap_sigma(t, a, 2, o, reg, 50, 0, 1)));
}

// ---------------------------------------------------------------- inside a Kokkos kernel

TEST(TiaKernel, FitAndBootstrapInsideParallelFor) {
  constexpr int kN = 4;
  const int nvox = 64;
  Kokkos::View<double**, Kokkos::HostSpace> ha("a", nvox, kN);
  Kokkos::View<double*, Kokkos::HostSpace> ht("t", kN);
  const double hrs[kN] = {4, 24, 48, 168};
  for (int i = 0; i < kN; ++i) ht(i) = hrs[i] * kHour;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int v = 0; v < nvox; ++v) {
    const double alpha = 0.2 + 3.0 * u(rng), th = 5.0 + 100.0 * u(rng);
    const int kind = v % 4;  // hump / falling / rising / noise
    for (int i = 0; i < kN; ++i) {
      double x;
      if (kind == 0) {
        x = gamma_curve(50.0, alpha, std::log(2.0) / (th * kHour), hrs[i]);
      } else if (kind == 1) {
        x = 1000.0 * std::exp(-std::log(2.0) / (th * kHour) * ht(i));
      } else if (kind == 2) {
        x = 100.0 + 10.0 * hrs[i];
      } else {
        x = 100.0 * u(rng) - 10.0;
      }
      ha(v, i) = std::max(x * (1.0 + 0.05 * (u(rng) - 0.5)), 0.0);
    }
  }
  using Exec = Kokkos::DefaultExecutionSpace;
  auto da = Kokkos::create_mirror_view_and_copy(Exec::memory_space(), ha);
  auto dt = Kokkos::create_mirror_view_and_copy(Exec::memory_space(), ht);
  Kokkos::View<double*, Exec::memory_space> dtia("tia", nvox), dsig("sig", nvox);
  Kokkos::View<int*, Exec::memory_space> dstat("status", nvox), dmodel("model", nvox);
  vt::TiaFitOptions o = default_options();
  o.refine_gamma = true;
  Kokkos::parallel_for(
      "tia_kernel_test", Kokkos::RangePolicy<Exec>(0, nvox), KOKKOS_LAMBDA(const int v) {
        double t[kN], a[kN];
        for (int i = 0; i < kN; ++i) {
          t[i] = dt(i);
          a[i] = da(v, i);
        }
        vt::TacResult r;
        vt::fit_tac(t, a, kN, o, r);
        dtia(v) = r.tia;
        dstat(v) = r.status;
        dmodel(v) = r.model;
        dsig(v) = vt::bootstrap_sigma(t, a, kN, o, r, 20, 0, static_cast<std::uint64_t>(v), true);
      });
  Kokkos::fence();
  auto htia = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dtia);
  auto hsig = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dsig);
  auto hstat = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dstat);
  auto hmodel = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dmodel);
  int n_ok = 0, models_seen[4] = {0, 0, 0, 0};
  for (int v = 0; v < nvox; ++v) {
    double a[kN];
    for (int i = 0; i < kN; ++i) a[i] = ha(v, i);
    vt::TacResult r;
    vt::fit_tac(ht.data(), a, kN, o, r);
    EXPECT_EQ(hstat(v), r.status);
    EXPECT_EQ(hmodel(v), r.model);
    if (r.status == vt::kStatusOk) {
      ++n_ok;
      ++models_seen[r.model];
      EXPECT_DOUBLE_EQ(htia(v), r.tia);
      EXPECT_DOUBLE_EQ(hsig(v), vt::bootstrap_sigma(ht.data(), a, kN, o, r, 20, 0, v, true));
    } else {
      EXPECT_TRUE(std::isnan(htia(v)));
      EXPECT_TRUE(std::isnan(hsig(v)));
    }
  }
  EXPECT_GE(n_ok, 48);
  EXPECT_GT(models_seen[vt::kModelGamma], 0);
  EXPECT_GT(models_seen[vt::kModelExponential], 0);
  EXPECT_GT(models_seen[vt::kModelHybrid], 0);
}
