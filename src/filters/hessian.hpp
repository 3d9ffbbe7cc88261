#pragma once
// Scale-space Hessian of a distributed volume: the six second derivatives of the
// Gaussian-smoothed image, sigma^2-normalised, and the closed-form eigenvalues of the 3x3
// symmetric matrix. Discretisation as scikit-image 0.19 (Debian 12's python3-skimage):
//   skimage.feature.hessian_matrix(image, sigma, mode, order='rc'):
//     s = scipy.ndimage.gaussian_filter(image, sigma, mode, truncate=4.0)
//     H_ab = np.gradient(np.gradient(s, axis=a), axis=b)
//   skimage.filters.ridges.compute_hessian_eigenvalues: H *= sigma**2 (Lindeberg's
//   gamma-normalised derivatives, gamma = 1, so responses of different scales compare).
// np.gradient: central difference (f[m+1] - f[m-1]) / 2 inside, one-sided f[1] - f[0] and
// f[n-1] - f[n-2] at the two ends of an axis (edge_order=1). An axis of one voxel has zero
// derivative (numpy refuses it). The Gaussian is voxflow::filters::GaussianFilter (scipy's
// 'reflect' boundary, exact to float32 rounding), so the Hessian is that of a Gaussian
// derivative filter discretised by central differences; units: image units (e.g. HU), since
// sigma is in voxels and each derivative is per voxel.
#include <array>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/kokkos_compat.hpp"
#include "src/core/mpi_context.hpp"
#include "src/filters/gaussian.hpp"

namespace voxflow::filters {

/// Indices and weights of np.gradient (edge_order=1, unit spacing) at position m of an axis of
/// n points: derivative = w[0] * f[idx[0]] + w[1] * f[idx[1]].
KOKKOS_INLINE_FUNCTION void np_gradient_stencil(std::int64_t m, std::int64_t n, std::int64_t idx[2], double w[2]) {
  if (n < 2) {
    idx[0] = idx[1] = m;
    w[0] = w[1] = 0.0;
  } else if (m == 0) {
    idx[0] = 1; idx[1] = 0;
    w[0] = 1.0; w[1] = -1.0;
  } else if (m == n - 1) {
    idx[0] = n - 1; idx[1] = n - 2;
    w[0] = 1.0; w[1] = -1.0;
  } else {
    idx[0] = m + 1; idx[1] = m - 1;
    w[0] = 0.5; w[1] = -0.5;
  }
}

/// Eigenvalues of the symmetric matrix [[a00 a01 a02] [a01 a11 a12] [a02 a12 a22]] in closed
/// form (Smith 1961, "Eigenvalues of a symmetric 3x3 matrix", Commun. ACM 4(4):168; the
/// trigonometric solution of the characteristic cubic), in decreasing order ev[0] >= ev[1] >=
/// ev[2]. Double precision, no allocation; a diagonal matrix is sorted exactly.
KOKKOS_INLINE_FUNCTION void symmetric_eigenvalues_3x3(double a00, double a01, double a02, double a11, double a12,
                                                      double a22, double ev[3]) {
  const double p1 = a01 * a01 + a02 * a02 + a12 * a12;
  if (p1 == 0.0) {
    double e0 = a00, e1 = a11, e2 = a22, t;
    if (e0 < e1) { t = e0; e0 = e1; e1 = t; }
    if (e1 < e2) { t = e1; e1 = e2; e2 = t; }
    if (e0 < e1) { t = e0; e0 = e1; e1 = t; }
    ev[0] = e0; ev[1] = e1; ev[2] = e2;
    return;
  }
  const double q = (a00 + a11 + a22) / 3.0;
  const double b00 = a00 - q, b11 = a11 - q, b22 = a22 - q;
  const double p2 = b00 * b00 + b11 * b11 + b22 * b22 + 2.0 * p1;
  const double p = kmath::sqrt(p2 / 6.0);
  // r = det((A - qI) / p) / 2
  const double det = b00 * (b11 * b22 - a12 * a12) - a01 * (a01 * b22 - a12 * a02) + a02 * (a01 * a12 - b11 * a02);
  double r = det / (2.0 * p * p * p);
  if (r < -1.0) r = -1.0;
  if (r > 1.0) r = 1.0;
  const double phi = kmath::acos(r) / 3.0;  // in [0, pi / 3]
  // cos(phi + 2 pi / 3) = -cos(phi) / 2 - sin(phi) sqrt(3) / 2, sin(phi) = sqrt(1 - cos^2) >= 0:
  // one cosine instead of two (absolute error ~1e-8 p near phi = 0, within the test's 1e-7)
  const double cphi = kmath::cos(phi);
  const double sphi = kmath::sqrt(1.0 - cphi * cphi > 0.0 ? 1.0 - cphi * cphi : 0.0);
  const double e0 = q + 2.0 * p * cphi;
  const double e2 = q + 2.0 * p * (-0.5 * cphi - 0.86602540378443864676 * sphi);
  double e1 = 3.0 * q - e0 - e2;
  // rounding can put e1 a hair outside [e2, e0] for (nearly) repeated eigenvalues
  if (e1 > e0) e1 = e0;
  if (e1 < e2) e1 = e2;
  ev[0] = e0;
  ev[1] = e1;
  ev[2] = e2;
}

/// Device-side reader of the sigma^2-normalised Hessian at an owned voxel of a smoothed volume
/// whose halo (>= 2 planes) holds the neighbours' planes. Copyable into kernels.
struct HessianStencil {
  Kokkos::View<float*> smoothed;  // storage of the smoothed volume (owned + halo)
  std::int64_t nx = 0, ny = 0, nz_global = 0, z0 = 0;
  int halo = 0;
  double scale = 1.0;  // sigma^2

  KOKKOS_INLINE_FUNCTION float at(std::int64_t i, std::int64_t j, std::int64_t zg) const {
    return smoothed(i + nx * (j + ny * (zg - z0 + halo)));
  }
  /// Whether (i .. i + n - 1, j, zg) all lie >= 2 voxels inside the volume (the interior formula).
  KOKKOS_INLINE_FUNCTION bool interior_run(std::int64_t i, std::int64_t n, std::int64_t j, std::int64_t zg) const {
    return i >= 2 && i + n <= nx - 2 && j >= 2 && j < ny - 2 && zg >= 2 && zg < nz_global - 2;
  }
  /// The interior formula of operator() for kLanes consecutive voxels (i + l, j, zg), l < kLanes,
  /// which must satisfy interior_run: h[e][l]. The same operations in the same order per voxel
  /// (so the same bits), laid out so the compiler can run the lanes in SIMD registers.
  template <int kLanes>
  KOKKOS_INLINE_FUNCTION void interior_lanes(std::int64_t i, std::int64_t j, std::int64_t zg,
                                             double h[6][kLanes]) const {
    const std::int64_t sx = 1, sy = nx, sz = nx * ny;
    const float* c = smoothed.data() + (i + nx * (j + ny * (zg - z0 + halo)));
    const double q = 0.25 * scale;
    for (int l = 0; l < kLanes; ++l) {
      const double f0 = c[l];
      h[0][l] = q * (static_cast<double>(c[l + 2 * sx]) - 2.0 * f0 + static_cast<double>(c[l - 2 * sx]));
      h[3][l] = q * (static_cast<double>(c[l + 2 * sy]) - 2.0 * f0 + static_cast<double>(c[l - 2 * sy]));
      h[5][l] = q * (static_cast<double>(c[l + 2 * sz]) - 2.0 * f0 + static_cast<double>(c[l - 2 * sz]));
      h[1][l] = q * ((static_cast<double>(c[l + sx + sy]) - static_cast<double>(c[l - sx + sy])) -
                     (static_cast<double>(c[l + sx - sy]) - static_cast<double>(c[l - sx - sy])));
      h[2][l] = q * ((static_cast<double>(c[l + sx + sz]) - static_cast<double>(c[l - sx + sz])) -
                     (static_cast<double>(c[l + sx - sz]) - static_cast<double>(c[l - sx - sz])));
      h[4][l] = q * ((static_cast<double>(c[l + sy + sz]) - static_cast<double>(c[l - sy + sz])) -
                     (static_cast<double>(c[l + sy - sz]) - static_cast<double>(c[l - sy - sz])));
    }
  }
  /// h = {Hxx, Hxy, Hxz, Hyy, Hyz, Hzz} * sigma^2 at (i, j, global plane zg); axis 0 = x.
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t zg, double h[6]) const {
    if (i >= 2 && i < nx - 2 && j >= 2 && j < ny - 2 && zg >= 2 && zg < nz_global - 2) {
      // interior: every np.gradient is central, D(D f)(m) = (f[m+2] - 2 f[m] + f[m-2]) / 4 and
      // D_b(D_a f) = (f[+a+b] - f[-a+b] - f[+a-b] + f[-a-b]) / 4 (the same values as below,
      // summed in another order; chosen from global coordinates, so rank-independent)
      const std::int64_t sx = 1, sy = nx, sz = nx * ny;
      const std::int64_t c = i + nx * (j + ny * (zg - z0 + halo));
      const double f0 = smoothed(c);
      const double q = 0.25 * scale;
      h[0] = q * (static_cast<double>(smoothed(c + 2 * sx)) - 2.0 * f0 + static_cast<double>(smoothed(c - 2 * sx)));
      h[3] = q * (static_cast<double>(smoothed(c + 2 * sy)) - 2.0 * f0 + static_cast<double>(smoothed(c - 2 * sy)));
      h[5] = q * (static_cast<double>(smoothed(c + 2 * sz)) - 2.0 * f0 + static_cast<double>(smoothed(c - 2 * sz)));
      h[1] = q * ((static_cast<double>(smoothed(c + sx + sy)) - static_cast<double>(smoothed(c - sx + sy))) -
                  (static_cast<double>(smoothed(c + sx - sy)) - static_cast<double>(smoothed(c - sx - sy))));
      h[2] = q * ((static_cast<double>(smoothed(c + sx + sz)) - static_cast<double>(smoothed(c - sx + sz))) -
                  (static_cast<double>(smoothed(c + sx - sz)) - static_cast<double>(smoothed(c - sx - sz))));
      h[4] = q * ((static_cast<double>(smoothed(c + sy + sz)) - static_cast<double>(smoothed(c - sy + sz))) -
                  (static_cast<double>(smoothed(c + sy - sz)) - static_cast<double>(smoothed(c - sy - sz))));
      return;
    }
    const std::int64_t n[3] = {nx, ny, nz_global};
    int e = 0;
    for (int a = 0; a < 3; ++a) {
      for (int b = a; b < 3; ++b) {
        // D_b (D_a s) at p: the outer stencil along b, the inner along a at each outer point
        std::int64_t ib[2], ia[2];
        double wb[2], wa[2];
        const std::int64_t p[3] = {i, j, zg};
        np_gradient_stencil(p[b], n[b], ib, wb);
        double acc = 0.0;
        for (int u = 0; u < 2; ++u) {
          if (wb[u] == 0.0) continue;
          std::int64_t q[3] = {p[0], p[1], p[2]};
          q[b] = ib[u];
          np_gradient_stencil(q[a], n[a], ia, wa);
          double inner = 0.0;
          for (int v = 0; v < 2; ++v) {
            if (wa[v] == 0.0) continue;
            std::int64_t r[3] = {q[0], q[1], q[2]};
            r[a] = ia[v];
            inner += wa[v] * static_cast<double>(at(r[0], r[1], r[2]));
          }
          acc += wb[u] * inner;
        }
        h[e++] = acc * scale;
      }
    }
  }
};

/// The Gaussian-smoothed image at one scale with the two halo planes the Hessian stencil reads.
/// One object serves many scales of one grid and decomposition (set_scale reallocates only the
/// Gaussian's weights).
class ScaleSpaceHessian {
 public:
  /// layout: grid and slab of the images (halo not used). truncate as scipy (default 4).
  explicit ScaleSpaceHessian(const SlabLayout& layout, double truncate = 4.0);

  /// Smooths `image` (owned planes, any halo) with sigma_vox voxels along every axis, fills the
  /// halo planes from the z-neighbours and returns the stencil for kernels. Collective over comm.
  /// Throws InputError for sigma_vox <= 0 or not finite, InternalError for an image of another
  /// grid/slab or an MPI failure.
  HessianStencil smooth(const Volume3D& image, double sigma_vox, const Comm& comm);

  const Volume3D& smoothed() const { return smoothed_; }

 private:
  SlabLayout layout_;
  double truncate_;
  Volume3D smoothed_;  // halo 2
  // one Gaussian per scale, kept: its work volumes are allocated once (block-wise Frangi calls
  // smooth() for every block with the same few scales)
  std::vector<std::pair<double, std::unique_ptr<GaussianFilter>>> filters_;
};

/// The six sigma^2-normalised Hessian volumes {Hxx, Hxy, Hxz, Hyy, Hyz, Hzz} of `image` at
/// sigma_vox (owned planes; halo 0), as skimage 0.19's hessian_matrix(image, sigma,
/// mode='reflect', order='rc') times sigma**2 for an array indexed [x, y, z]. Collective.
/// Throws as ScaleSpaceHessian::smooth.
std::array<Volume3D, 6> hessian_matrix(const Volume3D& image, double sigma_vox, const Comm& comm);

}  // namespace voxflow::filters
