#pragma once
// MPI + Kokkos lifetime and the small collectives every command uses.
#include <mpi.h>

#include <string>

namespace voxflow {

/// Owns MPI_Init/Finalize and Kokkos::initialize/finalize for the process (RAII).
/// Threads per rank come from KOKKOS_NUM_THREADS (DESIGN.md portability notes).
class Runtime {
 public:
  Runtime(int& argc, char**& argv);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
};

/// The id of this run: 16 hex digits made by rank 0 at start-up (time, pid, random device) and
/// broadcast by Runtime, so every rank names its temporary files the same way and two runs never
/// share a temporary name (io/atomic_file.hpp). Without a Runtime (library use): "p<pid>".
const std::string& run_id();

/// Thin view of a communicator (MPI_COMM_WORLD by default).
struct Comm {
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank() const;
  int size() const;
  bool is_root() const { return rank() == 0; }
  void barrier() const;
  /// true on every rank when flag is true on any rank (MPI_LOR allreduce)
  bool any(bool flag) const;
  /// true on every rank when flag is true on all ranks
  bool all(bool flag) const;
  double sum(double v) const;
  long long sum(long long v) const;
  double max(double v) const;
  double min(double v) const;
  /// broadcast a string from root
  std::string broadcast(const std::string& s, int root = 0) const;
  /// every rank's s concatenated in rank order, on root ("" on the other ranks)
  std::string gather_concat(const std::string& s, int root = 0) const;
};

/// Runs f() on every rank and makes a failure on one rank a failure on all: if any rank threw,
/// every rank throws (the thrower rethrows its own error, others an error naming the rank that
/// failed, with the same exit code). Use around each stage that can fail on one rank only
/// (reading a slab, validating a local value), so no rank is left waiting in a collective.
template <class F>
void collective_check(const Comm& comm, F&& f);

/// Runs f() around calls that are collective themselves (parallel HDF5, MPI exchanges), where an
/// agreement would deadlock: a rank that failed would wait in the agreement while the others wait
/// in the collective. When f throws on some rank, that rank waits at most `timeout_s` for every
/// rank to report a failure too (agree_on_failure_within); when all did, it behaves as
/// collective_check (the lowest failing rank rethrows, the others throw PeerFailure); otherwise it
/// prints its one line "voxflow: error: ..." and ends the job with MPI_Abort and the error's exit
/// code. Ranks on which f succeeds return at once.
template <class F>
void collective_or_abort(const Comm& comm, F&& f);

/// Seconds a failing rank waits for the other ranks to report their failure before it ends the
/// job with MPI_Abort (the ranks that failed the same way, e.g. a bad option, arrive at once).
constexpr double kFailureAgreementTimeoutS = 1.5;

/// The failure agreement that cannot hang: every rank that failed calls it with (failed = true,
/// exit_code); ranks that only learned of a failure (PeerFailure) call it with failed = false.
/// It completes only when every rank of `comm` called it within `timeout_s` (a non-blocking
/// MPI_Iallreduce on a communicator reserved for failures, so it never matches a collective of
/// the normal flow). Returns true and sets (lowest failing rank, its exit code) when it completed;
/// returns false when some rank did not come (it is elsewhere, perhaps inside a collective): the
/// caller must then MPI_Abort. For communicators other than MPI_COMM_WORLD (or a copy of it) it
/// returns false at once.
bool agree_on_failure_within(const Comm& comm, bool failed, int exit_code, double timeout_s, int& lowest_rank,
                             int& agreed_code);

/// Prints "voxflow: error: <what>" on this rank (unless `what` is empty) and ends every rank with
/// MPI_Abort(exit_code) (the launcher reports the code; Open MPI's mpirun adds its own notice).
[[noreturn]] void fail_all_ranks(const std::string& what, int exit_code);

/// Abort all ranks (MPI_Abort) with the given exit code after printing msg on this rank.
[[noreturn]] void abort_all(const std::string& msg, int exit_code);

}  // namespace voxflow

#include "src/core/collective_check.ipp"
