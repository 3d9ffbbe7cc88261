#include "src/core/plane_gather.hpp"

#include <string>

#include "src/core/error.hpp"

namespace voxflow {

std::vector<float> gather_plane(const Volume3D& vol, std::int64_t z, const Comm& comm) {
  const auto& L = vol.layout;
  if (z < 0 || z >= L.grid.nz()) throw InternalError("gather_plane: plane " + std::to_string(z) + " outside volume");
  const int owner = owner_of_plane(z, L.grid.nz(), comm.size());
  const std::int64_t P = L.plane_size();
  std::vector<float> plane;
  if (comm.rank() == owner) {
    auto h = Kokkos::create_mirror_view(vol.data);
    Kokkos::deep_copy(h, vol.data);
    plane.resize(static_cast<size_t>(P));
    const std::int64_t base = L.index(0, 0, L.slab.to_local(z));
    for (std::int64_t v = 0; v < P; ++v) plane[static_cast<size_t>(v)] = h(base + v);
  }
  if (owner != 0) {
    if (comm.rank() == owner) {
      MPI_Send(plane.data(), static_cast<int>(P), MPI_FLOAT, 0, 7301, comm.comm);
      plane.clear();
    } else if (comm.is_root()) {
      plane.resize(static_cast<size_t>(P));
      MPI_Recv(plane.data(), static_cast<int>(P), MPI_FLOAT, owner, 7301, comm.comm, MPI_STATUS_IGNORE);
    }
  }
  return plane;
}

}  // namespace voxflow
