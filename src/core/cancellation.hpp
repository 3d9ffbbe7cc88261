#pragma once
// Cooperative cancellation: SIGINT (Ctrl+C), SIGTERM and SIGUSR1 (what SLURM and mpirun send
// before ending a job) set a flag; all ranks agree on it at the next chunk boundary
// (DESIGN.md "Long runs").
namespace voxflow {

/// Install handlers for SIGINT, SIGTERM and SIGUSR1 that only record the signal (async-signal
/// safe). A second SIGINT restores the default action, so a stuck run can still be killed.
void install_cancel_handlers();

/// The signal that asked this process to stop, or 0.
int cancel_signal();

/// Name of a signal for messages ("SIGINT").
const char* signal_name(int sig);

/// For tests: pretend a signal arrived (0 clears).
void set_cancel_signal_for_testing(int sig);

}  // namespace voxflow
