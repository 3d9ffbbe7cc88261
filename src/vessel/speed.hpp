#pragma once
// Speed (inverse cost) map of the fast marching from Frangi vesselness (issue 11, step 3).
#include "src/core/distributed_volume.hpp"
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

/// Speed map (dimensionless; the arrival time is then in mm) from `vesselness` (owned planes,
/// values in [0, 1)), zero wherever `mask` (same grid and slab, optional) is 0. V_max is the
/// global maximum (MPI_Allreduce). Kokkos kernel. Collective.
/// Throws InputError for epsilon <= 0, power <= 0, alpha < 0, a power-form map whose V_max is 0
/// (no tubular structure at these scales), or a mask on another grid/slab.
Volume3D speed_from_vesselness(const Volume3D& vesselness, const SpeedOptions& options, const Comm& comm,
                               const Volume3D* mask = nullptr);

}  // namespace voxflow::vessel
