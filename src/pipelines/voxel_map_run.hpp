#pragma once
// The voxel-map run every voxel-wise command shares (kinetics, TIA, and the next ones): the voxels
// to compute are packed into work items, spread evenly over the ranks (the z-slabs balance voxels,
// not masked voxels), computed chunk by chunk by the command's Kokkos kernel with progress,
// cancellation and checkpoints (src/core/chunked_run.hpp), and the results travel back into the
// owners' MapSet. Adding a voxel-wise model means writing its kernel, its map specs and its options;
// this loop is the same for all.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/core/map_set.hpp"
#include "src/core/work_items.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::pipelines {

/// What one voxel-wise command computes.
struct VoxelMapJob {
  std::string label = "fitting";       // progress bar label
  std::vector<std::int64_t> voxels;    // owned voxels (MapSet indices) to compute in this run, in order
  int item_width = 0;                  // values per work item
  /// Fills the work item of owned voxel v: item_width doubles (host; once per voxel, in order).
  std::function<void(std::int64_t v, double* item)> pack;
  /// Computes items [begin, end) of `items` into the same rows of `results` (one column per map of
  /// the MapSet, in its order); a Kokkos kernel whose result for an item depends on that item only,
  /// so the maps do not depend on the rank that computes it.
  std::function<void(const ConstItemView& items, std::int64_t begin, std::int64_t end,
                     const ItemView& results)>
      kernel;
  bool progress = true;
  long long already_done_global = 0;   // progress starts there (a resumed run)
  double checkpoint_interval_s = 0;    // <= 0: no periodic checkpoint
  std::int64_t max_chunk = 0;          // most items per chunk (<= 0: no limit but the rate)
  /// Collective; called on every rank at the same round with the MapSet holding every voxel finished
  /// so far (done = 1). Empty: no checkpoints.
  std::function<void(const MapSet&)> checkpoint;
};

struct VoxelMapOutcome {
  bool cancelled = false;
  int signal = 0;                 // the signal this rank saw (0 if none)
  long long items_global = 0;     // voxels to compute in this run, all ranks
  long long done_global = 0;      // voxels computed in this run, all ranks
  long long checkpoints = 0;
  double balance_s = 0;           // packing and spreading the items
  double compute_s = 0;           // the chunked loop (kernel, reductions, checkpoints)
};

/// Runs `job` and puts every finished voxel's results into `maps` (marked done). Collective over
/// comm: every rank calls it, also one with no voxel. Balance: rank r computes the contiguous share
/// [r C / P, (r + 1) C / P) of the C items in global order (src/core/work_balance.hpp). On
/// cancellation (SIGINT/SIGTERM/SIGUSR1 on any rank) every rank stops at the same chunk, the
/// finished voxels are brought back, and the outcome says cancelled; nothing is written here.
/// Memory: the packed items (C/P x item_width doubles) and results (C/P x maps) per rank.
/// Throws InternalError when the job is incomplete or MPI fails; the kernel's errors pass through.
VoxelMapOutcome run_voxel_maps(const VoxelMapJob& job, MapSet& maps, const Comm& comm);

}  // namespace voxflow::pipelines
