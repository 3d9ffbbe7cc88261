#pragma once
// Wall-clock timing of a stage (steady clock), for the timing_s of summaries and benchmarks.
#include <chrono>

namespace voxflow {

/// Seconds since construction or the last restart().
class Stopwatch {
 public:
  Stopwatch() : t0_(std::chrono::steady_clock::now()) {}
  void restart() { t0_ = std::chrono::steady_clock::now(); }
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

 private:
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace voxflow
