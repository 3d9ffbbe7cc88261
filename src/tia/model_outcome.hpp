#pragma once
// Outcome codes of one model fit (before the status of the curve is decided, TIA spec §3).
#include <Kokkos_Core.hpp>

namespace voxflow::tia {

/// What one model fit gave: ok, failed (too few points, singular system, non-finite values:
/// status 3 when no fallback is left), or non-physical parameters (alpha <= 0, a non-positive
/// rate, a negative or infinite integral: status 5 when no fallback is left).
enum ModelOutcome : int { kModelOk = 0, kModelFailed = 1, kModelNonPhysical = 2 };

}  // namespace voxflow::tia
