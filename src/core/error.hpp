#pragma once
// voxflow::Error and its subclasses. main() turns each into one line on stderr and an exit
// code: 2 for bad input or usage, 1 for internal faults, 130 when cancelled (Ctrl+C), 75 when a
// batch system's SIGUSR1/SIGTERM stopped the run after its checkpoint (DESIGN.md, docs/design.md).
#include <stdexcept>
#include <string>

namespace voxflow {

/// Base of every error voxflow throws on purpose. exit_code() is what the process returns.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int exit_code = 1)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

/// Bad input data: unreadable/malformed file, wrong shape, inconsistent options. Exit 2.
class InputError : public Error {
 public:
  explicit InputError(const std::string& what) : Error(what, 2) {}
};

/// Bad command line usage (unknown option, missing argument). Exit 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what, 2) {}
};

/// A fault inside voxflow or a library it calls (MPI, HDF5) that is not the input's fault. Exit 1.
class InternalError : public Error {
 public:
  explicit InternalError(const std::string& what) : Error(what, 1) {}
};

/// The user (SIGINT) or the batch system (SIGTERM/SIGUSR1) cancelled the run. Exit 130.
class CancelledError : public Error {
 public:
  explicit CancelledError(const std::string& what) : Error(what, 130) {}
};

/// SIGUSR1 or SIGTERM (a batch system's warning before the time limit, or its stop) ended the run
/// after writing only its checkpoint: "checkpointed, not finished". Exit 75 (EX_TEMPFAIL of
/// sysexits.h), so a job script can requeue the job and --resume it.
class CheckpointedError : public Error {
 public:
  static constexpr int kExitCode = 75;
  explicit CheckpointedError(const std::string& what) : Error(what, kExitCode) {}
};

/// Thrown on the ranks that did not fail themselves when another rank failed (see
/// collective_check): carries that rank's exit code; main() prints nothing for it, since the
/// failing rank printed the one line that explains.
class PeerFailure : public Error {
 public:
  PeerFailure(int failing_rank, int exit_code)
      : Error("rank " + std::to_string(failing_rank) + " failed", exit_code) {}
};

}  // namespace voxflow
