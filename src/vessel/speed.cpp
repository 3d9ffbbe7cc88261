#include "src/vessel/speed.hpp"

#include <cmath>

#include "src/core/error.hpp"
#include "src/core/kokkos_compat.hpp"

namespace voxflow::vessel {

Volume3D speed_from_vesselness(const Volume3D& V, const SpeedOptions& o, const Comm& comm, const Volume3D* mask) {
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
          const double x = v(n + off);
          double sp = 0.0;
          if (power) {
            const double r = x * inv;
            sp = eps + (r > 0.0 ? kmath::exp(p * kmath::log(r)) : 0.0);
          } else {
            sp = kmath::exp(alpha * x);
          }
          if (has_mask && mk(n + moff) == 0.0f) sp = 0.0;
          s(n) = static_cast<float>(sp);
        });
  Kokkos::fence();
  return out;
}

}  // namespace voxflow::vessel
