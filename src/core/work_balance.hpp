#pragma once
// Even redistribution of per-voxel work items across ranks. The z-slab decomposition balances
// voxels, not work: when only the voxels inside a mask are fitted (organs in a few slabs), some
// ranks would idle. Items keep their global order (rank 0's items first, then rank 1's, ...);
// rank r receives the contiguous share [r * C / P, (r + 1) * C / P) of the C items, and results
// travel back along the same plan.
#include <cstdint>
#include <vector>

#include "src/core/mpi_context.hpp"

namespace voxflow {

/// Who sends how many items to whom. Counts are in items (rows), per peer rank.
struct WorkBalancePlan {
  std::int64_t n_local = 0;      // items this rank holds before balancing
  std::int64_t n_balanced = 0;   // items this rank holds after balancing
  std::int64_t n_global = 0;
  std::int64_t first_balanced = 0;  // global index of this rank's first balanced item
  std::vector<std::int64_t> send_counts, send_displs, recv_counts, recv_displs;
};

/// Plan for n_local items on this rank (collective: one MPI_Allgather). The first
/// n_global % P ranks get one extra item. Throws InternalError when an MPI call fails.
WorkBalancePlan plan_work_balance(std::int64_t n_local, const Comm& comm);

/// Sends rows of `width` values (row-major, n_local rows) to their balanced owners; returns the
/// n_balanced rows this rank now holds, in global order. Collective (MPI_Alltoallv).
/// Throws InternalError when the size does not match the plan, when a message would exceed
/// 2^31 - 1 values (MPI int counts), or when MPI fails.
std::vector<double> balance_forward(const WorkBalancePlan& plan, const std::vector<double>& rows, int width,
                                    const Comm& comm);

/// balance_forward without allocating: `rows` holds n_rows (= plan.n_local) rows of `width`
/// values, `out` room for plan.n_balanced rows (both row-major host memory, e.g. a LayoutRight
/// host view). Collective. Same errors as balance_forward.
void balance_forward_into(const WorkBalancePlan& plan, const double* rows, std::int64_t n_rows, int width, double* out,
                          const Comm& comm);

/// The reverse: n_balanced rows of results go back to the ranks that held the items, in their
/// original order. Collective (MPI_Alltoallv). Same errors as balance_forward.
std::vector<double> balance_backward(const WorkBalancePlan& plan, const std::vector<double>& rows, int width,
                                     const Comm& comm);

/// The rows that never leave this rank: balanced rows [first_balanced_row, + count) are this
/// rank's own items [first_local_item, + count).
struct StayingRows {
  std::int64_t first_balanced_row = 0, first_local_item = 0, count = 0;
};
StayingRows staying_rows(const WorkBalancePlan& plan, const Comm& comm);

/// balance_backward without allocating: `rows` holds n_rows (= plan.n_balanced) rows of `width`
/// values, `out` room for plan.n_local rows (row-major host memory). Collective. Same errors as
/// balance_forward. skip_staying: the rows that stay on this rank (staying_rows) are neither
/// read from `rows` nor written to `out` (the caller takes them from where they are).
void balance_backward_into(const WorkBalancePlan& plan, const double* rows, std::int64_t n_rows, int width, double* out,
                           const Comm& comm, bool skip_staying = false);

}  // namespace voxflow
