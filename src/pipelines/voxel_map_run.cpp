#include "src/pipelines/voxel_map_run.hpp"

#include <algorithm>
#include <memory>


#include "src/core/chunked_run.hpp"
#include "src/core/error.hpp"
#include "src/core/fault_injection.hpp"
#include "src/core/stopwatch.hpp"
#include "src/core/progress.hpp"
#include "src/core/test_pacing.hpp"
#include "src/core/work_balance.hpp"

namespace voxflow::pipelines {
VoxelMapOutcome run_voxel_maps(const VoxelMapJob& job, MapSet& maps, const Comm& comm) {
  if (job.item_width < 1 || !job.pack || !job.kernel)
    throw InternalError("run_voxel_maps: the job has no item width, packer or kernel");
  VoxelMapOutcome out;
  const Stopwatch t_balance;
  const int w = job.item_width;
  const int m = maps.count();
  const auto n_local = static_cast<std::int64_t>(job.voxels.size());
  const double pace_s = test_item_delay_s();  // testing aid, 0 unless VOXFLOW_TEST_ITEM_DELAY_MS is set

  // ---- pack and spread the work items -----------------------------------------------------------
  fault_point("balance", comm);
  const WorkBalancePlan plan = plan_work_balance(n_local, comm);
  out.items_global = plan.n_global;
  // when every rank already holds its share (one rank, or even slabs without a mask) nothing moves
  const bool moves = comm.any(plan.n_local != plan.n_balanced);
  // fresh memory is first touched once (page faults cost as much as the copy): no zero fill, the
  // items are packed straight into their host buffer when nothing moves
  ItemView items(Kokkos::view_alloc(Kokkos::WithoutInitializing, "voxel_map_items"), static_cast<size_t>(plan.n_balanced),
                 static_cast<size_t>(w));
  auto items_h = Kokkos::create_mirror_view(items);  // the items themselves on the host; LayoutRight rows
  if (!moves) {
    for (std::int64_t i = 0; i < n_local; ++i) job.pack(job.voxels[static_cast<size_t>(i)], &items_h(i, 0));
  } else {
    std::unique_ptr<double[]> rows(new double[static_cast<size_t>(std::max<std::int64_t>(n_local, 1)) * static_cast<size_t>(w)]);
    for (std::int64_t i = 0; i < n_local; ++i) job.pack(job.voxels[static_cast<size_t>(i)], rows.get() + i * w);
    balance_forward_into(plan, rows.get(), n_local, w, items_h.data(), comm);
  }
  Kokkos::deep_copy(items, items_h);  // no copy when the items live on the host
  out.balance_s = t_balance.seconds();

  // ---- compute chunk by chunk; results go back to their owners at checkpoints and at the end ----
  const Stopwatch t_compute;
  // rows are written by the kernel before they are read (bring_back reads finished rows only)
  ItemView results(Kokkos::view_alloc(Kokkos::WithoutInitializing, "voxel_map_results"), static_cast<size_t>(plan.n_balanced),
                   static_cast<size_t>(m));
  std::int64_t done_local = 0;  // items [0, done_local) of this rank are finished
  auto bring_back = [&] {
    auto rh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), results);  // LayoutRight rows
    if (!moves) {  // this rank's results are its own voxels' (items [0, done_local) finished)
      maps.scatter(job.voxels.data(), done_local, rh.data(), m, false);
      return;
    }
    // the rows that stayed on this rank go to the maps from where they are (finished: a prefix)
    const StayingRows stay = staying_rows(plan, comm);
    const std::int64_t stay_done = std::clamp<std::int64_t>(done_local - stay.first_balanced_row, 0, stay.count);
    maps.scatter(job.voxels.data() + stay.first_local_item, stay_done, rh.data() + stay.first_balanced_row * m, m, false);
    // the others travel home with a done mark; fresh buffers without a zero fill, of which only
    // the travelling rows are touched
    const auto w1 = static_cast<size_t>(m + 1);
    std::unique_ptr<double[]> back(new double[static_cast<size_t>(std::max<std::int64_t>(plan.n_balanced, 1)) * w1]);
    for (std::int64_t i = 0; i < plan.n_balanced; ++i) {
      if (i >= stay.first_balanced_row && i < stay.first_balanced_row + stay.count) continue;
      double* r = back.get() + static_cast<size_t>(i) * w1;
      for (int c = 0; c < m; ++c) r[c] = rh(i, c);
      r[m] = i < done_local ? 1.0 : 0.0;
    }
    std::unique_ptr<double[]> home(new double[static_cast<size_t>(std::max<std::int64_t>(n_local, 1)) * w1]);
    balance_backward_into(plan, back.get(), plan.n_balanced, m + 1, home.get(), comm, /*skip_staying=*/true);
    const std::int64_t stay_end = stay.first_local_item + stay.count;
    maps.scatter(job.voxels.data(), stay.first_local_item, home.get(), m + 1, true);
    maps.scatter(job.voxels.data() + stay_end, n_local - stay_end, home.get() + static_cast<size_t>(stay_end) * w1, m + 1, true);
  };

  ProgressReporter progress(job.label, job.already_done_global + plan.n_global, job.already_done_global,
                            job.progress && comm.is_root());
  ChunkedRunOptions copt;
  copt.checkpoint_interval_s = job.checkpoint ? job.checkpoint_interval_s : 0.0;
  copt.max_chunk = job.max_chunk;
  // paced (testing aid): the first chunk, before the rate is known, lasts about one target chunk too
  if (pace_s > 0)
    copt.first_chunk = std::clamp<std::int64_t>(static_cast<std::int64_t>(copt.target_chunk_s / pace_s), 1, copt.first_chunk);
  const ConstItemView citems = items;
  const ChunkedRunResult res = run_chunked(
      comm, plan.n_balanced, job.already_done_global, &progress, copt,
      [&](std::int64_t b, std::int64_t e) {
        fault_point("fit", comm);
        job.kernel(citems, b, e, results);
        Kokkos::fence();
        done_local = e;
        test_pace(e - b, pace_s);  // timing only: the items above are computed as in an unpaced run
      },
      [&] {
        bring_back();
        if (job.checkpoint) job.checkpoint(maps);
      });
  bring_back();
  out.compute_s = t_compute.seconds();
  out.cancelled = res.cancelled;
  out.signal = res.signal;
  out.done_global = res.done_global;
  out.checkpoints = res.checkpoints;
  return out;
}

}  // namespace voxflow::pipelines
