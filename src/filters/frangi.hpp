#pragma once
// Multi-scale Frangi vesselness of a distributed volume (Frangi, Niessen, Vincken, Viergever,
// "Multiscale vessel enhancement filtering", MICCAI 1998, eqs. 10-15), computed as
// skimage.filters.frangi of scikit-image 0.19 (Debian 12's python3-skimage) with
// black_ridges=False (bright vessels by default) and mode='reflect' computes it:
//   per scale sigma (voxels): Hessian of hessian.hpp (Gaussian-smoothed image, np.gradient twice,
//   times sigma^2); eigenvalues sorted by absolute value |l1| <= |l2| <= |l3|;
//   Ra^2 = (l2 / l3)^2, Rb^2 = l1^2 / |l2 l3|, S^2 = l1^2 + l2^2 + l3^2 (a zero denominator is
//   replaced by 1e-10, as skimage's _divide_nonzero);
//   V = (1 - exp(-Ra^2 / (2 alpha^2))) exp(-Rb^2 / (2 beta^2)) (1 - exp(-S^2 / (2 c^2)));
//   V = 0 where max(l2, l3) > 0 (bright tubes need l2, l3 <= 0; dark: the Hessian is negated,
//   as skimage inverts the image);
//   vesselness = max over scales; best_sigma = the first scale reaching that maximum.
// Unlike skimage, an integer image is not rescaled to [-1, 1] first: c acts on the image's own
// units (HU for CT), and no (Z, Y, X, 3, 3) array is built: each voxel's 3x3 state lives in
// registers of one Kokkos kernel per scale.
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/kokkos_compat.hpp"
#include "src/core/mpi_context.hpp"
#include "src/filters/hessian.hpp"

namespace voxflow::filters {

struct FrangiOptions {
  std::vector<double> sigmas_vox{1.0, 2.0, 3.0};  // scales in voxels (seed: 1, 2, 3)
  double alpha = 0.5;                             // plate sensitivity (seed: 0.5)
  double beta = 0.5;                              // blob sensitivity (seed: 0.5)
  double c = 15.0;                                // structure sensitivity in image units (seed: 15)
  bool c_auto = false;      // c = half the maximum Hessian Frobenius norm of each scale (Frangi 1998)
  bool bright_vessels = true;  // skimage black_ridges=False
  double truncate = 4.0;       // Gaussian support in sigmas (scipy/skimage default)
};

struct FrangiResult {
  Volume3D vesselness;   // [0, 1), dimensionless; owned planes, halo 0
  Volume3D best_sigma;   // sigma (voxels) of the scale with the largest response; 0 where V == 0
  std::vector<double> c_used;  // c of each scale (the option, or the automatic value)
};

/// Frangi response of one voxel from its sigma^2-normalised Hessian h = {Hxx, Hxy, Hxz, Hyy, Hyz,
/// Hzz} (image units), as described above; sign = +1 for bright vessels, -1 for dark ones;
/// two_a2 = 2 alpha^2, two_b2 = 2 beta^2, two_c2 = 2 c^2. Dimensionless, in [0, 1).
/// A positive trace (of sign * H) means max(l2, l3) > 0 (with |l1| <= |l2| <= |l3| and
/// l2, l3 <= 0 the trace is <= -|l3|), and so do two positive eigenvalues (read from the signs of
/// the characteristic polynomial's coefficients): those voxels skip the eigenvalues and return 0.
KOKKOS_INLINE_FUNCTION double frangi_response(const double hessian[6], double sign, double two_a2, double two_b2,
                                              double two_c2) {
  double h[6];
  for (int e = 0; e < 6; ++e) h[e] = hessian[e] * sign;
  if (h[0] + h[3] + h[5] > 0.0) return 0.0;
  // With trace <= 0 the characteristic polynomial l^3 - tr l^2 + c1 l - det has coefficient signs
  // (+, +, c1, -det): two sign changes, so two positive eigenvalues (Descartes' rule of signs, exact
  // for real roots), when c1 < 0 and det < 0. One of the two largest in magnitude is then > 0 and
  // V = 0 (within rounding of eigenvalues at 0, where V is 0 or vanishing): no eigenvalues needed.
  const double c1 = h[0] * h[3] + h[0] * h[5] + h[3] * h[5] - h[1] * h[1] - h[2] * h[2] - h[4] * h[4];
  if (c1 < 0.0) {
    const double det = h[0] * (h[3] * h[5] - h[4] * h[4]) - h[1] * (h[1] * h[5] - h[4] * h[2]) +
                       h[2] * (h[1] * h[4] - h[3] * h[2]);
    if (det < 0.0) return 0.0;
  }
  double ev[3];
  symmetric_eigenvalues_3x3(h[0], h[1], h[2], h[3], h[4], h[5], ev);
  // eigenvalues sorted by absolute value, ascending (skimage's _sortbyabs; stable insertion sort)
  for (int a = 1; a < 3; ++a) {
    const double x = ev[a];
    int b = a - 1;
    while (b >= 0 && kmath::fabs(ev[b]) > kmath::fabs(x)) {
      ev[b + 1] = ev[b];
      --b;
    }
    ev[b + 1] = x;
  }
  const double l0 = ev[0], l1 = ev[1], l2 = ev[2];
  if ((l1 > l2 ? l1 : l2) > 0.0) return 0.0;
  // a zero denominator is replaced by 1e-10, as skimage's _divide_nonzero
  const double ra = l1 / (l2 == 0.0 ? 1e-10 : l2);
  const double raw = kmath::sqrt(kmath::fabs(l1 * l2));
  const double rb = l0 / (raw == 0.0 ? 1e-10 : raw);
  const double s2 = l0 * l0 + l1 * l1 + l2 * l2;
  return (1.0 - kmath::exp(-(ra * ra) / two_a2)) * kmath::exp(-(rb * rb) / two_b2) * (1.0 - kmath::exp(-s2 / two_c2));
}

/// The maximum over scales, one scale at a time: the first scale sets vesselness v and best sigma
/// s (0 where v = 0); a later one replaces them where its response vf is larger.
KOKKOS_INLINE_FUNCTION void keep_best_scale(float& v, float& s, float vf, float sigma, bool first) {
  if (first) {
    v = vf;
    s = vf > 0.0f ? sigma : 0.0f;
  } else if (vf > v) {
    v = vf;
    s = sigma;
  }
}

/// Checks the options (as frangi_vesselness); throws InputError.
void validate_frangi_options(const FrangiOptions& options);

/// Vesselness of `image` (owned planes read; any halo). Collective over comm (Gaussian and
/// Hessian halo exchanges, and one MPI_Allreduce per scale for c_auto). Results are bitwise
/// identical for any number of ranks: each voxel's arithmetic does not depend on the
/// decomposition. A tube of radius r (voxels) with a Gaussian-like profile responds most at
/// sigma ~ r / sqrt(2) (Sato et al. 1998; tests/test_mpi_frangi.cpp measures it).
/// Throws InputError for an empty or non-positive/non-finite sigma list, alpha, beta or c <= 0
/// (c unless c_auto); InternalError for MPI failures.
FrangiResult frangi_vesselness(const Volume3D& image, const FrangiOptions& options, const Comm& comm);

/// Radius estimate (mm) of a tube from the Frangi scale that responds most:
/// r = sqrt(2) * sigma_vox * spacing_mm (the inverse of sigma ~ r / sqrt(2) above).
double radius_from_sigma_mm(double sigma_vox, double spacing_mm);

}  // namespace voxflow::filters
