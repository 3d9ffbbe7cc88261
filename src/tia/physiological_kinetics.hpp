#pragma once
// Physiological (bi-exponential uptake-washout) time-activity curves with their exact TIA, and
// the population of such curves the issue-16 bias figures are measured on (docs/tia_models.md
// "Bias on physiological kinetics"; used by `voxflow phantom --tia --kinetics physiological`,
// tests/test_tia_exponential_models.cpp and bench/bench_tia_bias.cpp).
#include <cstdint>
#include <vector>

namespace voxflow::tia {

/// A(t) = C (e^(-lambda_w t) - e^(-lambda_u t)) (Bq/ml or Bq, t in s): one-compartment uptake at
/// rate k_u and biological washout k_b, both multiplied by the physical decay e^(-lambda_phys t),
/// so lambda_w = lambda_phys + k_b and lambda_u = lambda_phys + k_u (both >= lambda_phys).
struct BiexpKinetics {
  double c = 0.0;         // amplitude
  double lambda_w = 0.0;  // washout rate, 1/s
  double lambda_u = 0.0;  // uptake rate, 1/s (> lambda_w)

  /// From half-times in hours: k_u = ln 2 / uptake_half_time, k_b = ln 2 / biological_half_life,
  /// and C chosen so that the curve's maximum is a_peak.
  static BiexpKinetics from_half_times(double a_peak, double uptake_half_time_h, double biological_half_life_h,
                                       double lambda_phys);
  /// A(t); 0 for t <= 0.
  double value(double t_s) const;
  /// Exact integral over [0, inf): C (lambda_u - lambda_w) / (lambda_w lambda_u).
  double tia() const;
  /// Time of the maximum, ln(lambda_u / lambda_w) / (lambda_u - lambda_w) (s).
  double t_peak() const;
};

/// Curve i of the bias population (issue 16): uptake half-time log-uniform in [0.5, 20] h,
/// biological half-life log-uniform in [20, 300] h, peak 1e5 (Bq per voxel); the uniform
/// deviates are splitmix64 hashes of (seed, i), so the population is fixed by its seed.
BiexpKinetics biexp_population_curve(std::uint64_t seed, std::int64_t i, double lambda_phys);

}  // namespace voxflow::tia
