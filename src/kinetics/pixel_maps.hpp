#pragma once
// Voxel-wise PROXYL parameter maps: the list of maps and the Kokkos kernel that fits a chunk of
// voxel curves (seed T005 "Pixel-Level Parameter Maps"). The maps live in a voxflow::MapSet.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/map_set.hpp"
#include "src/core/work_items.hpp"

namespace voxflow::kinetics {

/// Index of each map in the kinetics MapSet (second index of values). Order = output order.
enum MapIndex : int {
  kMapKb = 0, kMapKd, kMapKnt, kMapA0, kMapA1, kMapA2, kMapT0, kMapTmax, kMapRSquared,
  kMapSeA0, kMapSeA1, kMapSeA2, kMapSeKb, kMapSeKd, kMapSeKnt, kMapSeT0, kMapSeTmax,
  kMapRmse, kMapHalfLifeKb, kMapHalfLifeKd, kMapHalfLifeKnt, kMapKbKdRatio,
  kMapEnhancementPct, kMapNtePct, kMapStatus, kMapCount
};

/// The kMapCount map specifications, indexed by MapIndex.
const std::vector<MapSpec>& map_specs();  // voxflow::MapSpec (src/core/map_set.hpp)

/// The nine maps the original tool saved as .npy (kb, kd, knt, A0, A1, A2, t0, tmax, r_squared).
const std::vector<int>& original_npy_maps();

/// Status of a voxel not fitted yet (a cancelled run's maps): one past FitStatus's codes.
constexpr float kStatusNotProcessed = 5.0f;

/// Names of the `status` map's codes (uint8): FitStatus 0..4, then 5 = not processed.
const std::vector<std::string>& status_names();

/// Values per work item for n fitted time points: the signal at those frames.
inline int kinetics_item_width(int n_times) { return n_times; }

/// Fit work items begin .. end - 1 of `items` (row = the voxel's signal at the n fitted frames, as
/// double) with the extended PROXYL model at times t_min (minutes, n = t_min.extent(0)) and write
/// results(item, map) for every MapIndex (kMapCount columns): the 8 parameters, their standard
/// errors, R^2, RMSE, derived maps (half-lives ln2/k in min, kb/kd, %Enhancement = 100 A1/A0,
/// %NTE = 100 A2/A0) and the FitStatus code; NaN where undefined (failed fit).
/// Kokkos parallel_for over the range; the fit reads the times and the item's row in place (no
/// per-thread copy of the curve). A voxel's
/// result depends only on its row, so it does not depend on the rank that fits it.
/// Throws InputError when n > kMaxTimePoints, InternalError when the views' sizes disagree.
void fit_kinetics_items(const ConstItemView& items, const Kokkos::View<const double*>& t_min,
                        std::int64_t begin, std::int64_t end, const ItemView& results);

}  // namespace voxflow::kinetics
