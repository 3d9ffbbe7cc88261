#pragma once
// Backtracking of a minimal path on a distributed arrival-time map (Kimmel & Sethian 1998,
// "Computing geodesic paths on manifolds", PNAS 95:8431; the seed's gradient_descent_backtrack):
// from the end voxel, descend -grad T with trilinearly interpolated central-difference
// gradients (sub-voxel), fall back to a discrete steepest-descent step to the 26-neighbour of
// smallest T where the gradient vanishes or does not lower T, stop next to the start voxel.
//
// The arrival time stays distributed: rank 0 runs the descent and asks the owners only for the
// xy-planes the path reaches (a few planes at a time, MPI_Bcast of the request, point-to-point
// planes), so no rank ever holds the whole map.
#include <array>
#include <cstdint>
#include <vector>

#include "src/core/mpi_context.hpp"
#include "src/vessel/fast_marching.hpp"

namespace voxflow::vessel {

using Point3 = std::array<double, 3>;

struct BacktrackOptions {
  double step_vox = 0.25;        // step length in voxels of the smallest spacing
  double stop_distance_vox = 1.0;  // stop within this distance of the start voxel (voxels)
  int fetch_planes = 4;          // planes fetched on each side of the one needed
  std::int64_t max_steps = 0;    // gradient steps before discrete-only descent (0: 40 (nx+ny+nz) / step_vox)
};

struct BacktrackResult {
  std::vector<Point3> path_vox;     // continuous voxel indices (i, j, k), start first, end last
  std::int64_t gradient_steps = 0;  // sub-voxel gradient steps
  std::int64_t discrete_steps = 0;  // steepest-descent steps on the voxel grid
  std::int64_t planes_fetched = 0;  // xy-planes of T brought to rank 0
};

/// Path from start_voxel to end_voxel on the arrival time of `fmm` (whose march started at
/// start_voxel). Collective over comm; every rank returns the same path. The descent strictly
/// lowers the interpolated (gradient step) or voxel (discrete step) arrival time, and becomes
/// discrete-only after max_steps, so it ends in at most max_steps + nx*ny*nz steps.
/// Throws InputError when the end voxel is outside the grid, equals the start, or has infinite
/// arrival time (the front never reached it: a zero-speed wall or beyond the early stop).
BacktrackResult backtrack(const FastMarchingResult& fmm, const VoxelIndex& start_voxel, const VoxelIndex& end_voxel,
                          const BacktrackOptions& options, const Comm& comm);

}  // namespace voxflow::vessel
