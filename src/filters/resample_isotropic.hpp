#pragma once
// Isotropic resampling of a distributed volume (issue 11, step 1: "optional isotropic resampling
// (trilinear) on slabs"): the seed's scipy.ndimage.zoom(order=1) step, with the new grid anchored
// at voxel 0 so that the affine stays exact.
#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::filters {

/// The isotropic grid of spacing s (mm) covering `g`: dims n'_a = floor((n_a - 1) sp_a / s + 1e-9) + 1,
/// affine A' = A diag(s / sp_a) (voxel 0 at the same world point, the same axes), spacing (s, s, s).
/// Throws InputError for s <= 0 or not finite.
Grid isotropic_grid(const Grid& g, double spacing_mm);

/// Trilinear interpolation of `in` (owned planes read) at the voxels of `out_grid` (from
/// isotropic_grid(in grid, s)): output voxel (i, j, k) takes the input at continuous index
/// (i s / sp_x, j s / sp_y, k s / sp_z). Each rank receives the input planes its output slab
/// needs from their owners (MPI point-to-point after an MPI_Allgather of the ranges), so no rank
/// holds the whole input. Result on make_slab(out nz, rank, ranks), halo 0, units kept.
/// Collective; bitwise independent of the number of ranks.
Volume3D resample_trilinear(const Volume3D& in, const Grid& out_grid, const Comm& comm);

}  // namespace voxflow::filters
