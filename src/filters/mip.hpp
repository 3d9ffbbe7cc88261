#pragma once
// Maximum-intensity projection (MIP) of a distributed volume along z: the picture radiologists
// read a CTA vessel from (issue 11's "PNG of a maximum-intensity projection with the centerline").
#include <cstdint>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::filters {

/// max over global planes z in [z_lo, z_hi) (clipped to the volume) of vol(i, j, z), per (i, j):
/// nx * ny values, x fastest, on rank 0 (empty elsewhere); NaN voxels are ignored and a column
/// without a finite value gives NaN. Each rank projects its own planes (Kokkos kernel), then one
/// MPI_Reduce(MPI_MAX) of nx * ny floats. Collective. Throws InternalError for an MPI failure.
std::vector<float> axial_mip(const Volume3D& vol, std::int64_t z_lo, std::int64_t z_hi, const Comm& comm);

}  // namespace voxflow::filters
