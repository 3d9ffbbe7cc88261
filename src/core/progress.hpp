#pragma once
// Whole-job progress drawn by rank 0: a bar on a terminal, plain lines in a batch log.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace voxflow {

/// Progress of `total` work items (voxels) of the whole job. update() is called on rank 0 with
/// the global count done (already reduced over ranks). On a terminal (isatty(stderr)) it redraws
/// one line at most 10 times a second:
///   fitting  [#########-----------]  45.0%  66355/147456 vox  88000 vox/s  elapsed 0:01  ETA 0:01
/// Otherwise it prints the same as a plain line every `log_interval_s` seconds (batch logs).
/// Rate and ETA count only the items done in this run (a resumed run starts at `already_done`).
class ProgressReporter {
 public:
  ProgressReporter(std::string label, std::int64_t total, std::int64_t already_done, bool enabled,
                   double log_interval_s = 5.0, std::FILE* out = stderr);
  void update(std::int64_t done);
  /// final line (newline on a terminal)
  void finish(std::int64_t done);
  /// "1:02:03" or "2:03"
  static std::string format_duration(double seconds);
  /// the line that would be drawn (for tests)
  std::string line(std::int64_t done, double elapsed_s) const;

 private:
  std::string label_;
  std::int64_t total_, start_done_;
  bool enabled_, tty_;
  double interval_s_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point t0_, last_;
  bool drawn_ = false;
};

}  // namespace voxflow
