#pragma once
// Bring one xy-plane of a distributed volume to rank 0 (for pictures and small summaries).
#include <cstdint>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow {

/// Collective. Rank 0 receives global plane z of `vol` (nx * ny values, x fastest); other ranks
/// get an empty vector. Throws InternalError for z outside [0, nz).
std::vector<float> gather_plane(const Volume3D& vol, std::int64_t z, const Comm& comm);

}  // namespace voxflow
