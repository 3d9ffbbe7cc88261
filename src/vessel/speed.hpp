#pragma once
// Speed (inverse cost) map of the fast marching from Frangi vesselness (issue 11, step 3).
#include <array>
#include <cstdint>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/kokkos_compat.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::vessel {

enum class SpeedForm {
  power,        // speed = epsilon + (V / V_max)^p: vessel/background contrast ~ 1/epsilon (default)
  exponential,  // the seed's cost exp(-alpha V): speed = exp(alpha V), contrast at most e^alpha
};

struct SpeedOptions {
  SpeedForm form = SpeedForm::power;
  double epsilon = 1e-3;  // power form: background speed
  double power = 2.0;     // power form: exponent p
  double alpha = 1.0;     // exponential form (seed: 1)
};

/// Speed of one voxel of vesselness V (>= 0): power form epsilon + (V inv_reference)^p (V = 0
/// gives epsilon), exponential form exp(alpha V); 0 where masked. inv_reference = 1 / V_ref.
KOKKOS_INLINE_FUNCTION double speed_value(double V, bool power_form, double epsilon, double power, double alpha,
                                          double inv_reference) {
  if (power_form) {
    const double r = V * inv_reference;
    return epsilon + (r > 0.0 ? kmath::exp(power * kmath::log(r)) : 0.0);
  }
  return kmath::exp(alpha * V);
}

/// The reference vesselness V_ref of the power form: the maximum of V within `half_width`
/// voxels (a cube, clipped to the volume) of each click. The clicks lie in the vessel of
/// interest, so V_ref is that vessel's own response: a brighter or larger structure elsewhere
/// does not slow the front down, and V_ref is known before the rest of the volume is computed
/// (lazy_speed.hpp). Collective. Throws InputError where V_ref is 0 (no tubular structure near
/// the clicks at these scales).
double reference_vesselness(const Volume3D& vesselness, const std::vector<std::array<std::int64_t, 3>>& clicks,
                            int half_width, const Comm& comm);

/// Speed map (dimensionless; the arrival time is then in mm) from `vesselness` (owned planes,
/// values in [0, 1)), zero wherever `mask` (same grid and slab, optional) is 0. The power form
/// divides by v_reference when > 0 (reference_vesselness), else by the global maximum V_max
/// (MPI_Allreduce). Kokkos kernel. Collective.
/// Throws InputError for epsilon <= 0, power <= 0, alpha < 0, a power-form map whose V_max is 0
/// (no tubular structure at these scales), or a mask on another grid/slab.
Volume3D speed_from_vesselness(const Volume3D& vesselness, const SpeedOptions& options, const Comm& comm,
                               const Volume3D* mask = nullptr, double v_reference = 0.0);

}  // namespace voxflow::vessel
