#pragma once
// Masked (normalised) Gaussian smoothing of activity images: no activity bleeds into the
// background, and a constant inside the mask stays constant (TIA_SPEC.md §7, PyTIA denoise).
#include <array>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::filters {

/// In place, for every time point t of `act` (owned voxels only; halo planes untouched):
///   m = (mask != 0);  num = G(m ? A_t : 0);  den = G(m)   (G = GaussianFilter, scipy
///   gaussian_filter(mode='reflect', truncate) with sigma_vox per axis, float32 results)
///   A_t = m ? (den > 0 ? num / den : 0) : A_t        (the division in float32, like numpy)
/// i.e. numpy: where(m, where(den > 0, G(A*m) / G(m), 0), A). Values outside the mask are
/// kept and never enter the sums (a NaN outside the mask does not spread).
/// sigma_vox = sigma_mm / spacing_mm per axis (see sigma_mm_to_vox); all zero -> no change.
/// Memory: independent of nt — besides `act`, four float32 3D volumes of the slab (mask,
/// den, the time point being filtered, the filter's x-pass buffer) plus one with a halo of
/// r_z = int(4 sigma_z + 0.5) planes each side (the filter's z source): about
/// (5 + 2 r_z / nz_slab) x the slab's voxels x 4 bytes. den is computed once for all t.
/// Results are bitwise identical for any number of ranks. Collective over comm.
/// Throws InputError when the mask's grid dims differ from the activity's, InternalError when
/// its slab differs; InputError for a negative / non-finite sigma.
void masked_gaussian(Volume4D& act, const Volume3D& mask, std::array<double, 3> sigma_vox, const Comm& comm,
                     double truncate = 4.0);

/// The same for one 3D volume (e.g. one time point at a time).
void masked_gaussian(Volume3D& act, const Volume3D& mask, std::array<double, 3> sigma_vox, const Comm& comm,
                     double truncate = 4.0);

}  // namespace voxflow::filters
