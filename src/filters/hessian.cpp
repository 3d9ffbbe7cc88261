#include "src/filters/hessian.hpp"

#include <cmath>
#include <string>

#include "src/core/error.hpp"
#include "src/core/halo_exchange.hpp"

namespace voxflow::filters {

ScaleSpaceHessian::ScaleSpaceHessian(const SlabLayout& layout, double truncate)
    : layout_(layout), truncate_(truncate), smoothed_(layout.grid, layout.slab, 2, "hessian_smoothed") {
  layout_.halo = 0;
}

HessianStencil ScaleSpaceHessian::smooth(const Volume3D& image, double sigma_vox, const Comm& comm) {
  if (!std::isfinite(sigma_vox) || !(sigma_vox > 0.0))
    throw InputError("hessian: sigma must be finite and > 0 voxels, got " + std::to_string(sigma_vox));
  GaussianFilter* g = nullptr;
  for (auto& f : filters_)
    if (f.first == sigma_vox) g = f.second.get();
  if (!g) {
    filters_.emplace_back(sigma_vox,
                          std::make_unique<GaussianFilter>(layout_, std::array<double, 3>{sigma_vox, sigma_vox, sigma_vox},
                                                           truncate_));
    g = filters_.back().second.get();
  }
  g->apply(image, smoothed_, comm);  // checks image's grid and slab
  exchange_halo(smoothed_, comm);
  HessianStencil st;
  st.smoothed = smoothed_.data;
  st.nx = layout_.grid.nx();
  st.ny = layout_.grid.ny();
  st.nz_global = layout_.slab.nz_global;
  st.z0 = layout_.slab.z0;
  st.halo = smoothed_.layout.halo;
  st.scale = sigma_vox * sigma_vox;
  return st;
}

std::array<Volume3D, 6> hessian_matrix(const Volume3D& image, double sigma_vox, const Comm& comm) {
  ScaleSpaceHessian ssh(image.layout);
  const HessianStencil st = ssh.smooth(image, sigma_vox, comm);
  std::array<Volume3D, 6> out;
  for (auto& v : out) v = Volume3D(image.layout.grid, image.layout.slab, 0, "hessian");
  Kokkos::View<float*> h0 = out[0].data, h1 = out[1].data, h2 = out[2].data, h3 = out[3].data, h4 = out[4].data,
                       h5 = out[5].data;
  const std::int64_t nx = st.nx, ny = st.ny, P = nx * ny, nv = P * image.layout.slab.nz, z0 = st.z0;
  if (nv > 0)
    Kokkos::parallel_for(
        "hessian_matrix", Kokkos::RangePolicy<>(0, nv), KOKKOS_LAMBDA(std::int64_t v) {
          const std::int64_t i = v % nx, j = (v / nx) % ny, k = v / P;
          double h[6];
          st(i, j, z0 + k, h);
          h0(v) = static_cast<float>(h[0]);
          h1(v) = static_cast<float>(h[1]);
          h2(v) = static_cast<float>(h[2]);
          h3(v) = static_cast<float>(h[3]);
          h4(v) = static_cast<float>(h[4]);
          h5(v) = static_cast<float>(h[5]);
        });
  Kokkos::fence();
  return out;
}

}  // namespace voxflow::filters
