#include "src/filters/box_mean.hpp"

#include <string>

#include "src/core/error.hpp"

namespace voxflow::filters {

Volume4D box_mean(const Volume4D& series, int window) {
  if (window < 1 || window % 2 == 0)
    throw InputError("box mean: the window must be an odd number >= 1 (got " + std::to_string(window) + ")");
  const int r = window / 2;
  const SlabLayout& L = series.layout;
  if (L.halo < r && L.slab.ranks > 1)
    throw InternalError("box_mean: halo " + std::to_string(L.halo) + " < window radius");
  Volume4D out(L.grid, L.slab, 0, "box_mean");
  out.frame_times_s = series.frame_times_s;
  const auto in = series.data;
  auto o = out.data;
  const std::int64_t nx = L.grid.nx(), ny = L.grid.ny(), nz = L.grid.nz(), nt = L.grid.nt;
  const std::int64_t z0 = L.slab.z0, halo = L.halo;
  const std::int64_t P = nx * ny;
  Kokkos::parallel_for(
      "box_mean", Kokkos::RangePolicy<>(0, L.owned_voxels()), KOKKOS_LAMBDA(std::int64_t v) {
        const std::int64_t i = v % nx, j = (v / nx) % ny, k = v / P;
        const std::int64_t zg = z0 + k;
        const std::int64_t i0 = i - r < 0 ? 0 : i - r, i1 = i + r >= nx ? nx - 1 : i + r;
        const std::int64_t j0 = j - r < 0 ? 0 : j - r, j1 = j + r >= ny ? ny - 1 : j + r;
        const std::int64_t zlo = zg - r < 0 ? 0 : zg - r, zhi = zg + r >= nz ? nz - 1 : zg + r;
        const double cnt = static_cast<double>((i1 - i0 + 1) * (j1 - j0 + 1) * (zhi - zlo + 1));
        for (std::int64_t t = 0; t < nt; ++t) {
          double s = 0;
          for (std::int64_t z = zlo; z <= zhi; ++z) {
            const std::int64_t kk = z - z0 + halo;  // storage plane
            for (std::int64_t jj = j0; jj <= j1; ++jj)
              for (std::int64_t ii = i0; ii <= i1; ++ii) s += in(ii + nx * (jj + ny * kk), t);
          }
          o(v, t) = static_cast<float>(s / cnt);
        }
      });
  Kokkos::fence();
  return out;
}

}  // namespace voxflow::filters
