#include "src/vessel/speed.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "src/core/error.hpp"
#include "src/core/kokkos_compat.hpp"

namespace voxflow::vessel {

double reference_vesselness(const Volume3D& V, const std::vector<std::array<std::int64_t, 3>>& clicks, int half_width,
                            const Comm& comm) {
  const SlabLayout& L = V.layout;
  const Grid& g = L.grid;
  auto h = Kokkos::create_mirror_view(V.data);
  Kokkos::deep_copy(h, V.data);
  double m = 0.0;
  for (const auto& c : clicks) {
    std::int64_t lo[3], hi[3];
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::max<std::int64_t>(0, c[static_cast<size_t>(a)] - half_width);
      hi[a] = std::min<std::int64_t>(g.dims[static_cast<size_t>(a)], c[static_cast<size_t>(a)] + half_width + 1);
    }
    lo[2] = std::max(lo[2], L.slab.z0);
    hi[2] = std::min(hi[2], L.slab.z_end());
    for (std::int64_t k = lo[2]; k < hi[2]; ++k)
      for (std::int64_t j = lo[1]; j < hi[1]; ++j)
        for (std::int64_t i = lo[0]; i < hi[0]; ++i) m = std::max(m, static_cast<double>(h(L.index(i, j, k - L.slab.z0))));
  }
  m = comm.max(m);
  if (!(m > 0.0))
    throw InputError("speed: the vesselness is 0 within " + std::to_string(half_width) +
                     " voxels of both clicks: no tubular structure there at the chosen scales");
  return m;
}

Volume3D speed_from_vesselness(const Volume3D& V, const SpeedOptions& o, const Comm& comm, const Volume3D* mask,
                               double v_reference) {
  const SlabLayout& L = V.layout;
  if (o.form == SpeedForm::power && (!(o.epsilon > 0.0) || !(o.power > 0.0) || !std::isfinite(o.power)))
    throw InputError("speed: epsilon and the power must be > 0");
  if (o.form == SpeedForm::exponential && (!(o.alpha >= 0.0) || !std::isfinite(o.alpha)))
    throw InputError("speed: alpha must be >= 0");
  if (mask && (mask->layout.grid.dims != L.grid.dims || mask->layout.slab.z0 != L.slab.z0 ||
               mask->layout.slab.nz != L.slab.nz))
    throw InputError("speed: the mask is not on the image grid (" + mask->layout.grid.describe() + " vs " +
                     L.grid.describe() + ")");
  const std::int64_t nv = L.owned_voxels(), off = L.halo * L.plane_size();
  Kokkos::View<float*> v = V.data;
  double vmax = 0.0;
  if (nv > 0)
    Kokkos::parallel_reduce(
        "speed_vmax", Kokkos::RangePolicy<>(0, nv),
        KOKKOS_LAMBDA(std::int64_t n, double& m) {
          const double x = v(n + off);
          if (x > m) m = x;
        },
        Kokkos::Max<double>(vmax));
  vmax = comm.max(vmax);
  if (v_reference > 0.0) vmax = v_reference;
  if (o.form == SpeedForm::power && !(vmax > 0.0))
    throw InputError("speed: the vesselness is 0 everywhere: no tubular structure at the chosen scales");
  Volume3D out(L.grid, L.slab, 0, "speed");
  Kokkos::View<float*> s = out.data;
  const bool has_mask = mask != nullptr;
  Kokkos::View<float*> mk = has_mask ? mask->data : Kokkos::View<float*>();
  const std::int64_t moff = has_mask ? mask->layout.halo * L.plane_size() : 0;
  const bool power = o.form == SpeedForm::power;
  const double eps = o.epsilon, p = o.power, alpha = o.alpha, inv = vmax > 0.0 ? 1.0 / vmax : 0.0;
  if (nv > 0)
    Kokkos::parallel_for(
        "speed", Kokkos::RangePolicy<>(0, nv), KOKKOS_LAMBDA(std::int64_t n) {
          double sp = speed_value(v(n + off), power, eps, p, alpha, inv);
          if (has_mask && mk(n + moff) == 0.0f) sp = 0.0;
          s(n) = static_cast<float>(sp);
        });
  Kokkos::fence();
  return out;
}

}  // namespace voxflow::vessel
