#pragma once
// A testing aid: VOXFLOW_TEST_ITEM_DELAY_MS=<milliseconds> makes the chunked voxel-map loop
// (src/pipelines/voxel_map_run.cpp) sleep that long per work item after each chunk, so a test sets
// how long a run lasts (e.g. the SLURM requeue test: a small phantom that outlasts a time-limit
// warning) instead of sizing the input to the machine's speed and load. It changes timing only: the
// same kernel computes the same items, so the maps are bit-identical to an unpaced run. Inert when
// the variable is unset or empty; not for production (README "Testing aid: VOXFLOW_TEST_ITEM_DELAY_MS").
#include <cstdint>

namespace voxflow {

/// Seconds to sleep per work item: VOXFLOW_TEST_ITEM_DELAY_MS / 1000, 0 when unset or empty.
/// Throws UsageError (exit 2) when it is set but not a decimal number of milliseconds in [0, 10000].
double test_item_delay_s();

/// Sleeps items x delay_s seconds in slices of at most 50 ms; returns early once a cancel signal
/// (SIGINT/SIGTERM/SIGUSR1, src/core/cancellation.hpp) has arrived, so pacing never delays a
/// checkpoint or a cancel by more than one slice. Does nothing when items <= 0 or delay_s <= 0.
void test_pace(std::int64_t items, double delay_s);

}  // namespace voxflow
