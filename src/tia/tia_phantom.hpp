#pragma once
// The TIA digital phantom (`voxflow phantom --tia`): a SPECT-like Lu-177 multi-time-point
// activity study with organs of known kinetics and the analytic time-integrated activity of
// every voxel (TIA_SPEC.md §9; docs/tia_phantom.md describes organs, kinetics, truth, noise).
// Generated slab by slab: every voxel's value depends only on its global index, so the files
// are identical for any number of ranks.
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::tia {

/// Lu-177 half-life, 6.647 d in seconds.
constexpr double kLu177HalfLifeS = 574300.8;

/// What to generate.
///  dims         voxels (x, y, z); default 128 x 128 x 64
///  spacing_mm   isotropic voxel size; default 4.0 (field of view 512 x 512 x 256 mm)
///  times_h      scan times in hours after injection, strictly increasing, > 0 (2..16 of them)
///  noise        relative Gaussian noise SD (0.05 = 5 %; 0 = noiseless)
///  seed         noise seed (counter-based: the noise of voxel v at time point t is a hash of
///               (seed, v, t), whatever the decomposition)
struct TiaPhantomSpec {
  std::int64_t nx = 128, ny = 128, nz = 64;
  double spacing_mm = 4.0;
  std::vector<double> times_h{4.0, 24.0, 48.0, 168.0};
  double noise = 0.05;
  std::uint64_t seed = 0;
  double half_life_s = kLu177HalfLifeS;
  /// "design": each organ follows the model family the design's classifier gives it (gamma,
  /// exponential, hybrid); "physiological": every organ follows a bi-exponential uptake-washout
  /// curve C (e^(-l_w t) - e^(-l_u t)) (issue 16; docs/tia_phantom.md "Physiological kinetics").
  std::string kinetics = "design";

  /// N x N x N voxels over the same 512 mm field of view in x and y (spacing 512 / N mm), for the
  /// benchmark (--size N). The anatomy in mm is the same as the default phantom's.
  static TiaPhantomSpec cube(std::int64_t n);
  /// Throws UsageError for sizes < 8, non-positive spacing, times not strictly increasing or
  /// <= 0, fewer than 2 or more than 16 times, negative / non-finite noise, kinetics other than
  /// design / physiological.
  void validate() const;
};

/// Organ labels of labels.nii.gz.
enum PhantomLabel : std::uint8_t {
  kLabelAir = 0,
  kLabelBody = 1,          // body background (falling)
  kLabelLiver = 2,         // falling
  kLabelSpleen = 3,        // hump (gamma variate)
  kLabelKidneyLeft = 4,    // hump
  kLabelKidneyRight = 5,   // hump
  kLabelTumourHump = 6,    // tumour 1, in the liver, hump
  kLabelTumourRising = 7,  // tumour 2, still rising at the last scan
  kLabelTumourSmall = 8,   // tumour 3, small, hump
};
constexpr int kPhantomLabels = 9;

/// Kinetic model of an organ's activity density A(t) (Bq/ml, t in s after injection).
enum class PhantomKinetics : std::uint8_t {
  None,     // air: A = 0
  Gamma,    // A = K t^alpha exp(-beta t), beta > lambda_phys
  Falling,  // A = A_pk t / t1 for t < t1, A_pk exp(-lambda (t - t1)) after (t1 = first scan)
  Rising,   // piecewise linear through (0, 0) and (t_i, A_i), A_last exp(-lambda_phys (t - t_last)) after
  Biexp,    // A = C (exp(-lambda t) - exp(-lambda_uptake t)), lambda_uptake > lambda >= lambda_phys
};

/// One region of the phantom and its analytic curve.
struct PhantomOrgan {
  std::uint8_t label = 0;
  std::string name;
  std::string curve_class;  // design class: falling, rising, hump ("none" for air)
  std::string model;        // the model that integrates it exactly: gamma, exp, hybrid ("none")
  PhantomKinetics kinetics = PhantomKinetics::None;
  // geometry: ellipsoid centre and semi-axes in mm (RAS, origin at the field-of-view centre)
  double cx = 0, cy = 0, cz = 0, ax = 0, ay = 0, az = 0;
  // Gamma: K (Bq/ml / s^alpha), alpha, beta (1/s); peak value a_peak at t_peak = alpha / beta
  double K = 0, alpha = 0, beta = 0;
  // Falling: a_peak (Bq/ml) at t_peak = t1 (s), lambda (1/s). Rising: a_peak = A_last at t_peak = t_last
  double a_peak = 0, t_peak = 0, lambda = 0;
  // Biexp: amplitude C (Bq/ml) and uptake rate (1/s); lambda is the washout rate, a_peak / t_peak the maximum
  double c_biexp = 0, lambda_uptake = 0;
  std::vector<double> times_s;  // the scan times (s)
  std::vector<double> samples;  // noiseless density at every scan time (Bq/ml)
  double tia_density = 0;       // integral of A over [0, inf), Bq*s/ml

  /// Noiseless activity density at time t_s (s), Bq/ml.
  double density(double t_s) const;
  bool inside(double x_mm, double y_mm, double z_mm) const;
};

/// The organs of the phantom (index = label), their curves evaluated for spec.times_h and
/// their analytic TIA densities (formulas in docs/tia_phantom.md).
std::vector<PhantomOrgan> tia_phantom_organs(const TiaPhantomSpec& spec);

/// Grid of the phantom: dims, isotropic spacing, affine diag(spacing) with the origin chosen so
/// that the field-of-view centre is at (0, 0, 0) mm: origin = -(n - 1) / 2 * spacing.
Grid tia_phantom_grid(const TiaPhantomSpec& spec);

/// Label of voxel (i, j, k), decided by its centre only (no partial volume): tumours, then
/// kidneys, spleen, liver, body, else air.
std::uint8_t tia_phantom_label(const TiaPhantomSpec& spec, const std::vector<PhantomOrgan>& organs, std::int64_t i,
                               std::int64_t j, std::int64_t k);

/// Standard normal deviate of (seed, global voxel index, time point): Box-Muller on two
/// splitmix64 hashes. Deterministic, independent of the decomposition.
double tia_phantom_gauss(std::uint64_t seed, std::int64_t voxel, int time_point);

/// The expected curve class (falling / rising / hump / ambiguous) of a noiseless curve sampled at
/// `samples`, by the voxel classifier's rules (TIA_SPEC.md §2: epsilon 0.02, relative floor 0.01).
std::string expected_curve_class(const std::vector<double>& samples, double epsilon = 0.02, double floor_rel = 0.01);

}  // namespace voxflow::tia
