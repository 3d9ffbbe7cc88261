#pragma once
// The built-in PROXYL kinetics phantom: a 4D series (x, y, z, t) whose every voxel follows the
// extended model (proxyl_model.hpp) with known parameters, plus Gaussian noise. Used by
// `voxflow phantom`, the kinetics tests and bench/bench_kinetics_fit.cpp.
//
// Geometry (coordinates normalised to the grid, x = (i + 0.5) / nx etc.):
//   background  everything outside the body
//   muscle      elliptical body, centre (0.5, 0.5), semi-axes 0.42 (x) and 0.34 (y), all slices
//   tumour      two ellipsoids inside the body ("roughly spherical, a few slices"):
//               centre (0.36, 0.44, 0.50), radii (0.085, 0.085, 0.30)   -> 5 of 9 slices
//               centre (0.64, 0.58, 0.60), radii (0.065, 0.065, 0.25)   -> 5 of 9 slices
// Region parameters (A0, A1, A2, kb, kd, knt, t0, tmax; a.u., 1/min, min):
//   background  200   40  -10  0.08  0.02  0.005  5  40
//   muscle      800  300 -150  0.25  0.03  0.08   5  32
//   tumour     1000  500 -200  0.30  0.04  0.08   5  28
// The body regions are chosen identifiable at the default noise (sigma 15): Cramer-Rao
// relative standard errors of kb, kd, knt about 0.31/0.24/0.22 (muscle) and 0.21/0.15/0.16
// (tumour), so that accuracy against truth measures the fit. (The first draft's muscle
// 800/200/-50/0.12/0.06/0.01 had 1.6/0.7/15.8: kb, kd, knt not measurable, and the best
// least-squares fit lay further from the truth than a fit stuck near its start values.)
// The background is a low-signal region whose kinetics are not identifiable at this noise
// (relative standard errors > 6); its fitted kb/kd/knt are noise.
// kb, kd and A1 vary smoothly by at most +-10 % inside every region (products of sines of the
// normalised coordinates, phantom_variation()). Time frames are t * frame_interval_s / 60
// minutes. Noise: N(0, noise_sigma^2) from a counter-based generator keyed on
// (seed, i, j, k, t) (splitmix64 + Box-Muller), so any rank produces any voxel's value alone;
// the signal is clamped at 0 (the writer rounds it to uint16).
#include <cstdint>

#include "src/kinetics/proxyl_model.hpp"

namespace voxflow::kinetics {

/// Size, timing, noise and seed of the phantom. Defaults: 128 x 128 x 9 voxels, 60 frames
/// every 70 s, noise sigma 15 a.u.
struct PhantomSpec {
  int nx = 128, ny = 128, nz = 9, nt = 60;
  double frame_interval_s = 70;
  double noise_sigma = 15;
  std::uint64_t seed = 20261123;
};

/// Region labels returned by phantom_region().
constexpr int kRegionBackground = 0;
constexpr int kRegionMuscle = 1;
constexpr int kRegionTumour = 2;
constexpr int kNumRegions = 3;
/// Region names by label.
inline constexpr const char* kRegionNames[kNumRegions] = {"background", "muscle", "tumour"};

/// Base (unvaried) parameters of a region label (0..2), written to p[kNumParams].
/// Throws voxflow::InputError for an unknown label.
void phantom_region_params(int region, double* p);

/// Region label (kRegionBackground / kRegionMuscle / kRegionTumour) of voxel (i, j, k).
/// Throws voxflow::InputError when (i, j, k) is outside the spec's grid.
int phantom_region(const PhantomSpec& spec, int i, int j, int k);

/// Relative variation factors (each in [-0.1, 0.1]) of kb, kd and A1 at voxel (i, j, k):
/// out[0] for kb, out[1] for kd, out[2] for A1. The voxel's value is base * (1 + factor).
void phantom_variation(const PhantomSpec& spec, int i, int j, int k, double* out);

/// True parameters of voxel (i, j, k), written to p[kNumParams] (order of param::Index).
/// Throws voxflow::InputError when (i, j, k) is outside the grid.
void phantom_truth(const PhantomSpec& spec, int i, int j, int k, double* p);

/// Time of frame t in minutes: t * frame_interval_s / 60.
double phantom_time_min(const PhantomSpec& spec, int t);

/// Standard normal deviate keyed on (seed, i, j, k, t): splitmix64 hashing + Box-Muller.
/// Deterministic and independent of call order.
double phantom_noise(std::uint64_t seed, int i, int j, int k, int t);

/// Noisy signal of voxel (i, j, k) at frame t: max(0, model(truth, time) + sigma * noise).
/// Throws voxflow::InputError when (i, j, k, t) is outside the spec's grid.
double phantom_signal(const PhantomSpec& spec, int i, int j, int k, int t);

}  // namespace voxflow::kinetics
