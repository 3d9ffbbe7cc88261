#include "src/core/distributed_volume.hpp"

#include "src/core/error.hpp"

namespace voxflow {

Volume3D::Volume3D(const Grid& grid, const Slab& slab, int halo, const std::string& label) {
  if (halo < 0) throw InternalError("Volume3D: negative halo");
  layout.grid = grid;
  layout.slab = slab;
  layout.halo = halo;
  data = Kokkos::View<float*>(label, static_cast<size_t>(layout.stored_voxels()));
}

Volume4D::Volume4D(const Grid& grid, const Slab& slab, int halo, const std::string& label) {
  if (halo < 0) throw InternalError("Volume4D: negative halo");
  if (grid.nt < 1) throw InternalError("Volume4D: nt < 1");
  layout.grid = grid;
  layout.slab = slab;
  layout.halo = halo;
  data = Kokkos::View<float**>(label, static_cast<size_t>(layout.stored_voxels()),
                               static_cast<size_t>(grid.nt));
}

}  // namespace voxflow
