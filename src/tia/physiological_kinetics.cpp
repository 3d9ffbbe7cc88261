// Bi-exponential uptake-washout curves and the issue-16 bias population.
#include "src/tia/physiological_kinetics.hpp"

#include <cmath>

#include "src/core/splitmix64.hpp"

namespace voxflow::tia {

BiexpKinetics BiexpKinetics::from_half_times(double a_peak, double uptake_half_time_h, double biological_half_life_h,
                                             double lambda_phys) {
  BiexpKinetics k;
  k.lambda_u = lambda_phys + std::log(2.0) / (uptake_half_time_h * 3600.0);
  k.lambda_w = lambda_phys + std::log(2.0) / (biological_half_life_h * 3600.0);
  k.c = 1.0;
  k.c = a_peak / k.value(k.t_peak());
  return k;
}

double BiexpKinetics::value(double t) const {
  if (!(t > 0.0)) return 0.0;
  return c * (std::exp(-lambda_w * t) - std::exp(-lambda_u * t));
}

double BiexpKinetics::tia() const { return c * (lambda_u - lambda_w) / (lambda_w * lambda_u); }

double BiexpKinetics::t_peak() const { return std::log(lambda_u / lambda_w) / (lambda_u - lambda_w); }

BiexpKinetics biexp_population_curve(std::uint64_t seed, std::int64_t i, double lambda_phys) {
  const std::uint64_t base = splitmix64(splitmix64(seed ^ 0x6269657870ull) ^ static_cast<std::uint64_t>(i));
  const double u1 = static_cast<double>(splitmix64(base ^ 1ull) >> 11) * 0x1.0p-53;
  const double u2 = static_cast<double>(splitmix64(base ^ 2ull) >> 11) * 0x1.0p-53;
  const double t_up = std::exp(std::log(0.5) + u1 * (std::log(20.0) - std::log(0.5)));
  const double t_bio = std::exp(std::log(20.0) + u2 * (std::log(300.0) - std::log(20.0)));
  return BiexpKinetics::from_half_times(1e5, t_up, t_bio, lambda_phys);
}

}  // namespace voxflow::tia
