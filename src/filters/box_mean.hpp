#pragma once
// Box (moving-average) filter of a distributed 4D series, frame by frame: the kinetics tool's
// sliding-window map fits these averaged curves.
#include "src/core/distributed_volume.hpp"

namespace voxflow::filters {

/// Each owned voxel's curve replaced by the mean over the N x N x N neighbourhood (N = window,
/// odd), clipped at the volume edge (only voxels inside the volume are averaged, as the original
/// tool's sliding window). `series` must carry a halo of at least N/2 planes already exchanged
/// (exchange_halo) when it is split over several ranks. Returns a 4D volume with halo 0 and the
/// input's frame times. Sums in double. Throws InputError for an even or < 1 N, InternalError
/// when the halo is too thin.
Volume4D box_mean(const Volume4D& series, int window);

}  // namespace voxflow::filters
