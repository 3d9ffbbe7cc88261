#pragma once
// The TIA body mask (mask.mode otsu): Otsu on the summed image AND a floor relative to its
// maximum. Built on the generic Otsu of src/filters; specific to TIA, so it lives here.
#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::tia {

/// TIA body mask (TIA_SPEC.md §7, mask.mode otsu): for the summed image S (Bq/ml summed over
/// time points), mask = (S > otsu_threshold(S)) and (double(S) >= min_fraction_of_max * max S),
/// max over the finite owned voxels of all ranks. Non-finite S -> 0.
/// Returns a Volume3D on the same grid and slab as `sum`, halo 0, holding 1.0f inside and 0.0f
/// outside (units ""). Collective over comm.
/// Throws InputError for min_fraction_of_max outside [0, 1] or non-finite, or when no voxel of
/// S is finite.
Volume3D body_mask(const Volume3D& sum, double min_fraction_of_max, const Comm& comm);

}  // namespace voxflow::tia
