// The built-in PROXYL kinetics phantom (see phantom.hpp for geometry and parameters).
#include "src/core/splitmix64.hpp"
#include "src/kinetics/phantom.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "src/core/error.hpp"

namespace voxflow::kinetics {

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// Region parameters in param::Index order: A0, A1, A2, kb, kd, knt, t0, tmax.
constexpr double kRegionParams[kNumRegions][kNumParams] = {
    {200.0, 40.0, -10.0, 0.08, 0.02, 0.005, 5.0, 40.0},     // background
    {800.0, 300.0, -150.0, 0.25, 0.03, 0.08, 5.0, 32.0},    // muscle
    {1000.0, 500.0, -200.0, 0.30, 0.04, 0.08, 5.0, 28.0},   // tumour
};

struct Ellipsoid {
  double cx, cy, cz, rx, ry, rz;
};
constexpr Ellipsoid kTumours[2] = {{0.36, 0.44, 0.50, 0.085, 0.085, 0.30},
                                   {0.64, 0.58, 0.60, 0.065, 0.065, 0.25}};
constexpr double kBodyCx = 0.5, kBodyCy = 0.5, kBodyRx = 0.42, kBodyRy = 0.34;

void check_voxel(const PhantomSpec& spec, int i, int j, int k) {
  if (i < 0 || i >= spec.nx || j < 0 || j >= spec.ny || k < 0 || k >= spec.nz) {
    throw InputError("phantom: voxel (" + std::to_string(i) + ", " + std::to_string(j) + ", " +
                     std::to_string(k) + ") is outside the " + std::to_string(spec.nx) + " x " +
                     std::to_string(spec.ny) + " x " + std::to_string(spec.nz) + " grid");
  }
}


// Uniform in [0, 1) with 53 random bits.
double to_unit(std::uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }

}  // namespace

void phantom_region_params(int region, double* p) {
  if (region < 0 || region >= kNumRegions) {
    throw InputError("phantom: unknown region label " + std::to_string(region));
  }
  std::copy(kRegionParams[region], kRegionParams[region] + kNumParams, p);
}

int phantom_region(const PhantomSpec& spec, int i, int j, int k) {
  check_voxel(spec, i, j, k);
  const double x = (i + 0.5) / spec.nx;
  const double y = (j + 0.5) / spec.ny;
  const double z = (k + 0.5) / spec.nz;
  for (const Ellipsoid& e : kTumours) {
    const double dx = (x - e.cx) / e.rx, dy = (y - e.cy) / e.ry, dz = (z - e.cz) / e.rz;
    if (dx * dx + dy * dy + dz * dz <= 1.0) return kRegionTumour;
  }
  const double bx = (x - kBodyCx) / kBodyRx, by = (y - kBodyCy) / kBodyRy;
  if (bx * bx + by * by <= 1.0) return kRegionMuscle;
  return kRegionBackground;
}

void phantom_variation(const PhantomSpec& spec, int i, int j, int k, double* out) {
  check_voxel(spec, i, j, k);
  const double x = (i + 0.5) / spec.nx;
  const double y = (j + 0.5) / spec.ny;
  const double z = (k + 0.5) / spec.nz;
  out[0] = 0.1 * std::sin(kTwoPi * (x + 0.3 * z)) * std::cos(kTwoPi * (y - 0.2));
  out[1] = 0.1 * std::cos(kTwoPi * (0.8 * x + 0.25)) * std::sin(kTwoPi * (y + 0.15 * z + 0.1));
  out[2] = 0.1 * std::sin(kTwoPi * (0.7 * x + 0.5 * y + 0.3 * z + 0.2));
}

void phantom_truth(const PhantomSpec& spec, int i, int j, int k, double* p) {
  phantom_region_params(phantom_region(spec, i, j, k), p);
  double f[3];
  phantom_variation(spec, i, j, k, f);
  p[param::kb] *= 1.0 + f[0];
  p[param::kd] *= 1.0 + f[1];
  p[param::A1] *= 1.0 + f[2];
}

double phantom_time_min(const PhantomSpec& spec, int t) {
  return t * spec.frame_interval_s / 60.0;
}

double phantom_noise(std::uint64_t seed, int i, int j, int k, int t) {
  std::uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ static_cast<std::uint64_t>(static_cast<std::uint32_t>(i)));
  h = splitmix64(h ^ static_cast<std::uint64_t>(static_cast<std::uint32_t>(j)));
  h = splitmix64(h ^ static_cast<std::uint64_t>(static_cast<std::uint32_t>(k)));
  h = splitmix64(h ^ static_cast<std::uint64_t>(static_cast<std::uint32_t>(t)));
  const double u1 = to_unit(splitmix64(h));                         // [0, 1)
  const double u2 = to_unit(splitmix64(h ^ 0xD1B54A32D192ED03ULL));  // [0, 1)
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(kTwoPi * u2);
}

double phantom_signal(const PhantomSpec& spec, int i, int j, int k, int t) {
  if (t < 0 || t >= spec.nt) {
    throw InputError("phantom: frame " + std::to_string(t) + " is outside 0.." +
                     std::to_string(spec.nt - 1));
  }
  double p[kNumParams];
  phantom_truth(spec, i, j, k, p);
  const double v = proxyl_model(p, phantom_time_min(spec, t)) +
                   spec.noise_sigma * phantom_noise(spec.seed, i, j, k, t);
  return v > 0.0 ? v : 0.0;
}

}  // namespace voxflow::kinetics
