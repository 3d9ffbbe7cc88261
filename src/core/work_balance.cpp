// Even redistribution of work items across ranks (MPI_Allgather + MPI_Alltoallv).
#include "src/core/work_balance.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>

#include "src/core/error.hpp"

namespace voxflow {
namespace {

std::int64_t share_start(std::int64_t total, int ranks, int r) {
  const std::int64_t base = total / ranks, rem = total % ranks;
  return r * base + std::min<std::int64_t>(r, rem);
}

std::vector<int> to_int(const std::vector<std::int64_t>& v, int width) {
  std::vector<int> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const std::int64_t x = v[i] * width;
    if (x > INT_MAX) throw InternalError("work balance: a message of " + std::to_string(x) + " values exceeds MPI's int counts");
    out[i] = static_cast<int>(x);
  }
  return out;
}

void exchange_into(const double* rows, std::int64_t n_rows, int width, std::int64_t n_in, double* out, std::int64_t n_out,
                   const std::vector<std::int64_t>& sc, const std::vector<std::int64_t>& sd,
                   const std::vector<std::int64_t>& rc, const std::vector<std::int64_t>& rd, const Comm& comm) {
  if (width < 1 || n_rows != n_in)
    throw InternalError("work balance: " + std::to_string(n_rows) + " rows given where the plan has " + std::to_string(n_in));
  (void)n_out;
  const auto isc = to_int(sc, width), isd = to_int(sd, width), irc = to_int(rc, width), ird = to_int(rd, width);
  if (MPI_Alltoallv(rows, isc.data(), isd.data(), MPI_DOUBLE, out, irc.data(), ird.data(), MPI_DOUBLE, comm.comm) !=
      MPI_SUCCESS)
    throw InternalError("work balance: MPI_Alltoallv failed");
}

std::vector<double> exchange(const std::vector<double>& rows, int width, std::int64_t n_in, std::int64_t n_out,
                             const std::vector<std::int64_t>& sc, const std::vector<std::int64_t>& sd,
                             const std::vector<std::int64_t>& rc, const std::vector<std::int64_t>& rd, const Comm& comm) {
  if (width < 1 || static_cast<std::int64_t>(rows.size()) != n_in * width)
    throw InternalError("work balance: " + std::to_string(rows.size()) + " values do not make " + std::to_string(n_in) +
                        " rows of " + std::to_string(width));
  std::vector<double> out(static_cast<size_t>(n_out * width));
  exchange_into(rows.data(), n_in, width, n_in, out.data(), n_out, sc, sd, rc, rd, comm);
  return out;
}

}  // namespace

WorkBalancePlan plan_work_balance(std::int64_t n_local, const Comm& comm) {
  const int P = comm.size(), me = comm.rank();
  std::vector<long long> counts(static_cast<size_t>(P));
  long long mine = n_local;
  if (MPI_Allgather(&mine, 1, MPI_LONG_LONG, counts.data(), 1, MPI_LONG_LONG, comm.comm) != MPI_SUCCESS)
    throw InternalError("work balance: MPI_Allgather failed");
  std::vector<std::int64_t> start(static_cast<size_t>(P) + 1, 0);
  for (int r = 0; r < P; ++r) start[r + 1] = start[r] + counts[static_cast<size_t>(r)];
  WorkBalancePlan p;
  p.n_local = n_local;
  p.n_global = start[P];
  p.first_balanced = share_start(p.n_global, P, me);
  p.n_balanced = share_start(p.n_global, P, me + 1) - p.first_balanced;
  p.send_counts.assign(P, 0);
  p.send_displs.assign(P, 0);
  p.recv_counts.assign(P, 0);
  p.recv_displs.assign(P, 0);
  // my items [start[me], start[me+1]) overlap rank r's balanced share
  for (int r = 0; r < P; ++r) {
    const std::int64_t lo = std::max(start[me], share_start(p.n_global, P, r));
    const std::int64_t hi = std::min(start[me + 1], share_start(p.n_global, P, r + 1));
    p.send_counts[r] = std::max<std::int64_t>(0, hi - lo);
    p.send_displs[r] = std::max<std::int64_t>(0, lo - start[me]);
    if (p.send_counts[r] == 0) p.send_displs[r] = 0;
    // rank r's items overlap my balanced share
    const std::int64_t lo2 = std::max(start[r], p.first_balanced);
    const std::int64_t hi2 = std::min(start[r + 1], p.first_balanced + p.n_balanced);
    p.recv_counts[r] = std::max<std::int64_t>(0, hi2 - lo2);
    p.recv_displs[r] = p.recv_counts[r] ? lo2 - p.first_balanced : 0;
  }
  return p;
}

std::vector<double> balance_forward(const WorkBalancePlan& p, const std::vector<double>& rows, int width,
                                    const Comm& comm) {
  return exchange(rows, width, p.n_local, p.n_balanced, p.send_counts, p.send_displs, p.recv_counts, p.recv_displs, comm);
}

void balance_forward_into(const WorkBalancePlan& p, const double* rows, std::int64_t n_rows, int width, double* out,
                          const Comm& comm) {
  exchange_into(rows, n_rows, width, p.n_local, out, p.n_balanced, p.send_counts, p.send_displs, p.recv_counts,
                p.recv_displs, comm);
}

std::vector<double> balance_backward(const WorkBalancePlan& p, const std::vector<double>& rows, int width,
                                     const Comm& comm) {
  return exchange(rows, width, p.n_balanced, p.n_local, p.recv_counts, p.recv_displs, p.send_counts, p.send_displs, comm);
}

StayingRows staying_rows(const WorkBalancePlan& p, const Comm& comm) {
  const auto me = static_cast<size_t>(comm.rank());
  StayingRows s;
  if (me >= p.send_counts.size()) throw InternalError("work balance: the plan was made for fewer ranks");
  s.count = p.send_counts[me];  // my items in my own balanced share (== recv_counts[me])
  s.first_local_item = p.send_displs[me];
  s.first_balanced_row = p.recv_displs[me];
  return s;
}

void balance_backward_into(const WorkBalancePlan& p, const double* rows, std::int64_t n_rows, int width, double* out,
                           const Comm& comm, bool skip_staying) {
  if (!skip_staying) {
    exchange_into(rows, n_rows, width, p.n_balanced, out, p.n_local, p.recv_counts, p.recv_displs, p.send_counts,
                  p.send_displs, comm);
    return;
  }
  std::vector<std::int64_t> sc = p.recv_counts, rc = p.send_counts;
  const auto me = static_cast<size_t>(comm.rank());
  sc.at(me) = 0;
  rc.at(me) = 0;
  exchange_into(rows, n_rows, width, p.n_balanced, out, p.n_local, sc, p.recv_displs, rc, p.send_displs, comm);
}

}  // namespace voxflow
