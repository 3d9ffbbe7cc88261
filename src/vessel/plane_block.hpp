#pragma once
// The part of the volume a rank needs for its cross-sections (a box of voxels), brought from the
// ranks that own its planes (the slab decomposition keeps only the rank's own planes; an oblique
// cross-section reaches planes of its neighbours).
#include <array>
#include <cstdint>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::vessel {

/// Voxels lo[a] <= index[a] <= hi[a] (a = x, y, z; global indices) of a volume on the host,
/// float32, x fastest. Empty when any lo > hi.
struct PlaneBlock {
  Grid grid;
  std::array<std::int64_t, 3> lo{0, 0, 0}, hi{-1, -1, -1};
  std::vector<float> values;
  bool empty() const { return lo[0] > hi[0] || lo[1] > hi[1] || lo[2] > hi[2]; }
  bool has(std::int64_t i, std::int64_t j, std::int64_t z) const {
    return i >= lo[0] && i <= hi[0] && j >= lo[1] && j <= hi[1] && z >= lo[2] && z <= hi[2];
  }
  float at(std::int64_t i, std::int64_t j, std::int64_t z) const {
    const std::int64_t nx = hi[0] - lo[0] + 1, ny = hi[1] - lo[1] + 1;
    return values[static_cast<size_t>((i - lo[0]) + nx * ((j - lo[1]) + ny * (z - lo[2])))];
  }
};

/// Collective. Each rank asks for its own box [lo, hi] (clamped to the grid; an empty box asks
/// for nothing) and receives it from the owners of its planes (MPI_Allgather of the boxes, then
/// MPI_Alltoallv of the cropped planes). Memory: the box.
PlaneBlock fetch_plane_block(const Volume3D& vol, std::array<std::int64_t, 3> lo, std::array<std::int64_t, 3> hi,
                             const Comm& comm);

}  // namespace voxflow::vessel
