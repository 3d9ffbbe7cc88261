#pragma once
// Halo exchange of xy-planes between z-neighbour ranks (MPI_Sendrecv), any width.
#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow {

/// Fill the halo planes of every rank with the owned planes of its z-neighbours, so that
/// local plane k in [-halo, nz + halo) holds global plane z0 + k wherever that plane exists.
/// The halo may be wider than a neighbour's slab (planes are then gathered from the ranks
/// further away); planes outside the global volume are left untouched. Collective over comm.
/// Throws InternalError when an MPI call fails.
void exchange_halo(Volume3D& vol, const Comm& comm);
/// Same for a 4D volume: every time point of each halo voxel.
void exchange_halo(Volume4D& vol, const Comm& comm);

}  // namespace voxflow
