#include "src/core/chunked_run.hpp"

#include <algorithm>
#include <chrono>

#include "src/core/cancellation.hpp"
#include "src/core/error.hpp"

namespace voxflow {

ChunkedRunResult run_chunked(const Comm& comm, std::int64_t n_local, std::int64_t already_done_global,
                             ProgressReporter* progress, const ChunkedRunOptions& opt,
                             const std::function<void(std::int64_t, std::int64_t)>& process,
                             const std::function<void()>& checkpoint) {
  using clock = std::chrono::steady_clock;
  ChunkedRunResult r;
  const long long total = comm.sum(static_cast<long long>(n_local));
  const std::int64_t max_chunk = opt.max_chunk > 0 ? opt.max_chunk : (std::int64_t{1} << 22);
  std::int64_t pos = 0, chunk = std::clamp<std::int64_t>(opt.first_chunk, 1, max_chunk);
  auto last_ckpt = clock::now();
  while (true) {
    const std::int64_t end = std::min(n_local, pos + chunk);
    if (pos < end) {
      const auto t0 = clock::now();
      process(pos, end);
      const double dt = std::chrono::duration<double>(clock::now() - t0).count();
      const double per_item = dt / static_cast<double>(end - pos);
      if (per_item > 0)
        chunk = std::clamp<std::int64_t>(static_cast<std::int64_t>(opt.target_chunk_s / per_item), std::min<std::int64_t>(16, max_chunk), max_chunk);
      pos = end;
    }
    long long in[3] = {pos, cancel_signal() != 0 ? 1 : 0, 0};
    if (comm.is_root() && opt.checkpoint_interval_s > 0 &&
        std::chrono::duration<double>(clock::now() - last_ckpt).count() >= opt.checkpoint_interval_s)
      in[2] = 1;
    long long out[3] = {0, 0, 0};
    if (MPI_Allreduce(in, out, 3, MPI_LONG_LONG, MPI_SUM, comm.comm) != MPI_SUCCESS)
      throw InternalError("MPI_Allreduce failed in the chunk loop");
    ++r.chunks;
    r.done_global = out[0];
    if (progress && comm.is_root()) progress->update(already_done_global + out[0]);
    if (out[1] > 0) {
      r.cancelled = true;
      r.signal = cancel_signal();
      return r;
    }
    if (out[0] >= total) break;
    if (out[2] > 0 && checkpoint) {
      checkpoint();
      ++r.checkpoints;
      last_ckpt = clock::now();
    }
  }
  if (progress && comm.is_root()) progress->finish(already_done_global + r.done_global);
  return r;
}

}  // namespace voxflow
