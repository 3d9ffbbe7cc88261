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
};

/// Runs f() on every rank and makes a failure on one rank a failure on all: if any rank threw,
/// every rank throws (the thrower rethrows its own error, others an error naming the rank that
/// failed, with the same exit code). Use around each stage that can fail on one rank only
/// (reading a slab, validating a local value), so no rank is left waiting in a collective.
template <class F>
void collective_check(const Comm& comm, F&& f);

/// Abort all ranks (MPI_Abort) with the given exit code after printing msg on this rank.
[[noreturn]] void abort_all(const std::string& msg, int exit_code);

}  // namespace voxflow

#include "src/core/collective_check.ipp"
