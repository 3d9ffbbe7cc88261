#include "src/filters/frangi.hpp"

#include <cmath>
#include <string>

#include "src/core/error.hpp"
#include "src/core/kokkos_compat.hpp"
#include "src/filters/hessian.hpp"

namespace voxflow::filters {

// a named namespace, not an anonymous one: CUDA's extended lambdas need an enclosing function
// with external linkage
namespace frangi_detail {

/// Max over owned voxels of the Frobenius norm of the (sigma^2-normalised) Hessian.
double max_hessian_norm(const HessianStencil& st, std::int64_t nz_local, bool negate, const Comm& comm) {
  const std::int64_t nx = st.nx, ny = st.ny, P = nx * ny, nv = P * nz_local, z0 = st.z0;
  double m = 0.0;
  (void)negate;  // the norm does not depend on the sign
  if (nv > 0)
    Kokkos::parallel_reduce(
        "frangi_max_norm", Kokkos::RangePolicy<>(0, nv),
        KOKKOS_LAMBDA(std::int64_t v, double& acc) {
          const std::int64_t i = v % nx, j = (v / nx) % ny, k = v / P;
          double h[6];
          st(i, j, z0 + k, h);
          const double n2 = h[0] * h[0] + h[3] * h[3] + h[5] * h[5] + 2.0 * (h[1] * h[1] + h[2] * h[2] + h[4] * h[4]);
          if (n2 > acc) acc = n2;
        },
        Kokkos::Max<double>(m));
  return std::sqrt(comm.max(m));
}

}  // namespace frangi_detail

using frangi_detail::max_hessian_norm;

double radius_from_sigma_mm(double sigma_vox, double spacing_mm) { return std::sqrt(2.0) * sigma_vox * spacing_mm; }

void validate_frangi_options(const FrangiOptions& o) {
  if (o.sigmas_vox.empty()) throw InputError("frangi: at least one scale (sigma) is needed");
  for (double s : o.sigmas_vox)
    if (!std::isfinite(s) || !(s > 0.0))
      throw InputError("frangi: scales must be finite and > 0 voxels, got " + std::to_string(s));
  if (!std::isfinite(o.alpha) || !(o.alpha > 0.0)) throw InputError("frangi: alpha must be > 0");
  if (!std::isfinite(o.beta) || !(o.beta > 0.0)) throw InputError("frangi: beta must be > 0");
  if (!o.c_auto && (!std::isfinite(o.c) || !(o.c > 0.0))) throw InputError("frangi: c must be > 0");
}

FrangiResult frangi_vesselness(const Volume3D& image, const FrangiOptions& o, const Comm& comm) {
  validate_frangi_options(o);

  const SlabLayout& L = image.layout;
  FrangiResult r;
  r.vesselness = Volume3D(L.grid, L.slab, 0, "vesselness");
  r.best_sigma = Volume3D(L.grid, L.slab, 0, "frangi_best_sigma");
  ScaleSpaceHessian ssh(L, o.truncate);
  Kokkos::View<float*> vout = r.vesselness.data, sout = r.best_sigma.data;
  const std::int64_t nx = L.grid.nx(), ny = L.grid.ny(), P = nx * ny, nzl = L.slab.nz, nv = P * nzl, z0 = L.slab.z0;
  const double two_a2 = 2.0 * o.alpha * o.alpha, two_b2 = 2.0 * o.beta * o.beta;
  const double sign = o.bright_vessels ? 1.0 : -1.0;

  for (size_t n = 0; n < o.sigmas_vox.size(); ++n) {
    const double sigma = o.sigmas_vox[n];
    const HessianStencil st = ssh.smooth(image, sigma, comm);
    double c = o.c;
    if (o.c_auto) {
      c = 0.5 * max_hessian_norm(st, nzl, !o.bright_vessels, comm);
      if (!(c > 0.0)) c = 1e-10;  // a constant image: S = 0 and V = 0 everywhere
    }
    r.c_used.push_back(c);
    const double two_c2 = 2.0 * c * c;
    const bool first = n == 0;
    const float sigma_f = static_cast<float>(sigma);
    if (nv == 0) continue;
    // one x-row per iteration: no index division per voxel
    Kokkos::parallel_for(
        "frangi_scale", Kokkos::RangePolicy<>(0, ny * nzl), KOKKOS_LAMBDA(std::int64_t row) {
          const std::int64_t j = row % ny, k = row / ny;
          constexpr int kLanes = 8;
          std::int64_t i = 0;
          while (i < nx) {
            if (st.interior_run(i, kLanes, j, z0 + k)) {  // the Hessians of kLanes voxels at once
              double hl[6][kLanes];
              st.interior_lanes<kLanes>(i, j, z0 + k, hl);
              for (int l = 0; l < kLanes; ++l) {
                const double h[6] = {hl[0][l], hl[1][l], hl[2][l], hl[3][l], hl[4][l], hl[5][l]};
                const std::int64_t v = row * nx + i + l;
                keep_best_scale(vout(v), sout(v), static_cast<float>(frangi_response(h, sign, two_a2, two_b2, two_c2)),
                                sigma_f, first);
              }
              i += kLanes;
              continue;
            }
            const std::int64_t v = row * nx + i;
            double h[6];
            st(i, j, z0 + k, h);
            const double val = frangi_response(h, sign, two_a2, two_b2, two_c2);
            keep_best_scale(vout(v), sout(v), static_cast<float>(val), sigma_f, first);
            ++i;
          }
        });
  }
  Kokkos::fence();
  r.vesselness.units = "";
  r.best_sigma.units = "voxel";
  return r;
}

}  // namespace voxflow::filters
