#pragma once
// Per-slice statistics of every map (the original's per-slice CSV): n, mean, std, min, max over
// the finite values of each slice.
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/mpi_context.hpp"
#include "src/core/map_set.hpp"

namespace voxflow::kinetics {

struct SliceStat {
  std::int64_t slice;
  std::string map;
  std::int64_t n;
  double mean, std, min, max;  // NaN when n == 0; std is the population standard deviation
};

/// Collective: statistics of each owned slice, gathered on rank 0 in (slice, map) order (other
/// ranks get an empty vector). Code maps (MapSpec::is_code, e.g. status) are skipped.
std::vector<SliceStat> slice_statistics(const MapSet& maps, const Comm& comm);

/// CSV text: header "slice,map,n,mean,std,min,max", one row per SliceStat.
std::string slice_statistics_csv(const std::vector<SliceStat>& stats);

}  // namespace voxflow::kinetics
