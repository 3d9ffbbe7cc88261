#pragma once
// The long-run loop every voxel-wise command uses: work in chunks; between chunks reduce progress
// to rank 0, agree on cancellation, and checkpoint on a timer (DESIGN.md "Long runs").
#include <cstdint>
#include <functional>

#include "src/core/mpi_context.hpp"
#include "src/core/progress.hpp"

namespace voxflow {

struct ChunkedRunOptions {
  /// seconds of work per chunk the loop aims at (chunk size adapts per rank); small enough that a
  /// signal is honoured "within about a second"
  double target_chunk_s = 0.15;
  /// first chunk size in work items, before the rate is known
  std::int64_t first_chunk = 256;
  /// call checkpoint() when this many seconds passed since the last one (<= 0: never)
  double checkpoint_interval_s = 0;
  /// most work items in one chunk (<= 0: 2^22); bounds the memory a caller allocates per chunk
  std::int64_t max_chunk = 0;
};

struct ChunkedRunResult {
  bool cancelled = false;
  int signal = 0;                  // the signal seen on this rank (0 on ranks that saw none)
  std::int64_t done_global = 0;    // items done in this run, all ranks
  std::int64_t chunks = 0;         // loop iterations (collective rounds)
  std::int64_t checkpoints = 0;
};

/// Process local items [0, n_local) in chunks by calling process(begin, end) (half-open, in
/// order, each item once). Collective: every rank loops until all ranks are done; ranks with
/// fewer items join the reductions with empty chunks. After each chunk: one MPI_Allreduce of
/// (items done, cancel requested, checkpoint due); rank 0 updates `progress` (with
/// already_done_global + done). On cancellation (any rank saw SIGINT/SIGTERM/SIGUSR1) the loop
/// stops on every rank at the same round and returns cancelled = true; the caller writes what it
/// has. checkpoint() is called on every rank at the same round (rank 0's clock decides).
ChunkedRunResult run_chunked(const Comm& comm, std::int64_t n_local, std::int64_t already_done_global,
                             ProgressReporter* progress, const ChunkedRunOptions& opt,
                             const std::function<void(std::int64_t, std::int64_t)>& process,
                             const std::function<void()>& checkpoint);

}  // namespace voxflow
