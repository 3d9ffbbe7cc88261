#pragma once
// Integer labels of a label map (organs, regions) read as float32 like every volume.
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "src/core/distributed_volume.hpp"

namespace voxflow {

/// labels(v) for the owned voxels of `label_map` (any halo): the value rounded to the nearest
/// integer (x + 0.5 truncated), or -1 where it is NaN, negative or >= 2^31 - 1 (not a label).
Kokkos::View<std::int32_t*> decode_labels(const Volume3D& label_map);

}  // namespace voxflow
