#pragma once
// The extended nitroxide (3-carbamoyl-PROXYL) MRI kinetic model of the seed design
// (seeds/000: "Pixel-Level Parameter Maps", full 8-parameter extended model):
//
//   I(t) = A0 + A1 (1 - exp(-kb u)) exp(-kd u) + A2 (1 - exp(-knt v)),
//   u = max(t - t0, 0),  v = max(t - tmax, 0),   t in minutes, rates in 1/min.
//
// A0 is the pre-contrast baseline, A1 the amplitude of the bolus term (uptake kb, decay kd,
// starting at t0), A2 the amplitude of the slow "non-tissue" term (rate knt, starting at tmax).
// Everything here is header-only, allocation-free and KOKKOS_INLINE_FUNCTION, so it runs inside
// Kokkos kernels on the Serial, OpenMP and CUDA back-ends.
#include <Kokkos_Core.hpp>

#include "src/core/kokkos_compat.hpp"

namespace voxflow::kinetics {

/// Number of model parameters; every parameter array in voxflow::kinetics has this length.
constexpr int kNumParams = 8;

/// Index of each parameter in a parameter array. The order is fixed everywhere (maps, files,
/// tests, the Python baseline): A0, A1, A2, kb, kd, knt, t0, tmax.
namespace param {
enum Index : int { A0 = 0, A1 = 1, A2 = 2, kb = 3, kd = 4, knt = 5, t0 = 6, tmax = 7 };
}  // namespace param

/// Parameter names in index order, as used for map file names ("kb" -> kb_map...).
inline constexpr const char* kParamNames[kNumParams] = {"A0", "A1", "A2", "kb",
                                                        "kd", "knt", "t0", "tmax"};

/// Units of each parameter (signal units "a.u." for amplitudes, t in minutes).
inline constexpr const char* kParamUnits[kNumParams] = {"a.u.",  "a.u.",  "a.u.", "1/min",
                                                        "1/min", "1/min", "min",  "min"};

/// Model value I(t) for parameters p[kNumParams] (order of param::Index) at time t (minutes).
/// No error conditions: non-finite inputs give non-finite outputs.
KOKKOS_INLINE_FUNCTION double proxyl_model(const double* p, double t) {
  const double u = t - p[param::t0];
  const double v = t - p[param::tmax];
  double bolus = 0.0;
  if (u > 0.0) {
    bolus = (1.0 - voxflow::kmath::exp(-p[param::kb] * u)) * voxflow::kmath::exp(-p[param::kd] * u);
  }
  double slow = 0.0;
  if (v > 0.0) slow = 1.0 - voxflow::kmath::exp(-p[param::knt] * v);
  return p[param::A0] + p[param::A1] * bolus + p[param::A2] * slow;
}

/// Model value at time t (minutes) and its analytic gradient with respect to the parameters,
/// written to jac[kNumParams] (order of param::Index). Three exponentials per call, reused for
/// the gradient. At the kinks (t == t0, t == tmax) the derivative with respect to t0 / tmax is
/// the one-sided derivative from the side where the term is off (0); it is continuous in every
/// other parameter.
///   dI/dA0 = 1, dI/dA1 = (1-eb) ed, dI/dA2 = 1-en,
///   dI/dkb = A1 u eb ed, dI/dkd = -A1 u (1-eb) ed, dI/dknt = A2 v en,
///   dI/dt0 = -A1 (kb eb ed - kd (1-eb) ed)   (u > 0),   dI/dtmax = -A2 knt en   (v > 0),
/// with eb = exp(-kb u), ed = exp(-kd u), en = exp(-knt v).
KOKKOS_INLINE_FUNCTION double proxyl_model_jac(const double* p, double t, double* jac) {
  const double a1 = p[param::A1];
  const double a2 = p[param::A2];
  const double u = t - p[param::t0];
  const double v = t - p[param::tmax];
  double bolus = 0.0, d_kb = 0.0, d_kd = 0.0, d_t0 = 0.0;
  if (u > 0.0) {
    const double kb = p[param::kb];
    const double kd = p[param::kd];
    const double eb = voxflow::kmath::exp(-kb * u);
    const double ed = voxflow::kmath::exp(-kd * u);
    const double ebed = eb * ed;
    bolus = ed - ebed;
    d_kb = a1 * u * ebed;
    d_kd = -a1 * u * bolus;
    d_t0 = -a1 * (kb * ebed - kd * bolus);
  }
  double slow = 0.0, d_knt = 0.0, d_tmax = 0.0;
  if (v > 0.0) {
    const double knt = p[param::knt];
    const double en = voxflow::kmath::exp(-knt * v);
    slow = 1.0 - en;
    d_knt = a2 * v * en;
    d_tmax = -a2 * knt * en;
  }
  jac[param::A0] = 1.0;
  jac[param::A1] = bolus;
  jac[param::A2] = slow;
  jac[param::kb] = d_kb;
  jac[param::kd] = d_kd;
  jac[param::knt] = d_knt;
  jac[param::t0] = d_t0;
  jac[param::tmax] = d_tmax;
  return p[param::A0] + a1 * bolus + a2 * slow;
}

}  // namespace voxflow::kinetics
