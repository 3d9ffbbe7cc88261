#include "src/filters/mip.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/core/error.hpp"

namespace voxflow::filters {

std::vector<float> axial_mip(const Volume3D& vol, std::int64_t z_lo, std::int64_t z_hi, const Comm& comm) {
  const SlabLayout& L = vol.layout;
  const std::int64_t P = L.plane_size(), lo = std::max(z_lo, L.slab.z0), hi = std::min(z_hi, L.slab.z_end());
  Kokkos::View<float*> proj("mip", static_cast<size_t>(P));
  const Kokkos::View<float*> data = vol.data;
  const std::int64_t k0 = lo - L.slab.z0, nk = std::max<std::int64_t>(0, hi - lo), off = L.halo * P;
  const float lowest = -std::numeric_limits<float>::infinity();
  Kokkos::parallel_for(
      "axial_mip", Kokkos::RangePolicy<>(0, P), KOKKOS_LAMBDA(std::int64_t p) {
        float m = lowest;
        for (std::int64_t k = 0; k < nk; ++k) {
          const float x = data(off + (k0 + k) * P + p);
          if (x > m) m = x;  // NaN compares false: ignored
        }
        proj(p) = m;
      });
  Kokkos::fence();
  auto h = Kokkos::create_mirror_view(proj);
  Kokkos::deep_copy(h, proj);
  std::vector<float> mine(h.data(), h.data() + P), out;
  if (comm.is_root()) out.resize(static_cast<size_t>(P));
  if (MPI_Reduce(mine.data(), comm.is_root() ? out.data() : nullptr, static_cast<int>(P), MPI_FLOAT, MPI_MAX, 0,
                 comm.comm) != MPI_SUCCESS)
    throw InternalError("mip: MPI_Reduce failed");
  for (float& x : out)
    if (x == lowest) x = std::numeric_limits<float>::quiet_NaN();
  return out;
}

}  // namespace voxflow::filters
