#pragma once
// The xy-planes a rank needs for its cross-sections, brought from the ranks that own them
// (the slab decomposition keeps only the rank's own planes; an oblique cross-section reaches
// planes of its neighbours).
#include <cstdint>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::vessel {

/// Global planes [z_lo, z_hi] of a volume on the host, float32, x fastest. Empty when z_lo > z_hi.
struct PlaneBlock {
  Grid grid;
  std::int64_t z_lo = 0, z_hi = -1;
  std::vector<float> values;  // (z_hi - z_lo + 1) * nx * ny
  bool has(std::int64_t z) const { return z >= z_lo && z <= z_hi; }
  float at(std::int64_t i, std::int64_t j, std::int64_t z) const {
    return values[static_cast<size_t>(i + grid.dims[0] * (j + grid.dims[1] * (z - z_lo)))];
  }
};

/// Collective. Each rank asks for its own range [z_lo, z_hi] (clamped to [0, nz); z_lo > z_hi
/// asks for nothing) and receives those planes from their owners (MPI_Allgather of the requests,
/// then MPI_Alltoallv of the planes). Memory: the requested planes.
PlaneBlock fetch_plane_block(const Volume3D& vol, std::int64_t z_lo, std::int64_t z_hi, const Comm& comm);

}  // namespace voxflow::vessel
