#include "src/core/test_pacing.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "src/core/cancellation.hpp"
#include "src/core/error.hpp"

namespace voxflow {

double test_item_delay_s() {
  const char* env = std::getenv("VOXFLOW_TEST_ITEM_DELAY_MS");
  if (env == nullptr || *env == '\0') return 0.0;
  const std::string s(env);
  double ms = -1;
  try {
    std::size_t used = 0;
    ms = std::stod(s, &used);
    if (used != s.size()) ms = -1;
  } catch (const std::exception&) {
    ms = -1;
  }
  if (!(ms >= 0 && ms <= 10000))  // also NaN
    throw UsageError("VOXFLOW_TEST_ITEM_DELAY_MS='" + s + "' is not a number of milliseconds in [0, 10000] (a testing aid)");
  return ms / 1000.0;
}

void test_pace(std::int64_t items, double delay_s) {
  if (items <= 0 || !(delay_s > 0)) return;
  using clock = std::chrono::steady_clock;
  const auto end = clock::now() + std::chrono::duration_cast<clock::duration>(
                                      std::chrono::duration<double>(std::min(static_cast<double>(items) * delay_s, 1e7)));  // no overflow
  while (cancel_signal() == 0) {
    const auto now = clock::now();
    if (now >= end) return;
    std::this_thread::sleep_for(std::min<clock::duration>(end - now, std::chrono::milliseconds(50)));
  }
}

}  // namespace voxflow
