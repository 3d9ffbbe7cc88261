#pragma once
// Voxel-wise TIA maps (their specs, in a voxflow::MapSet) and the Kokkos kernel that fills a chunk of them
// (seeds/002 PyTIA design §7 voxel mode, §8 region mode, §9 bootstrap; semantics in docs/tia.md).
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/map_set.hpp"
#include "src/core/work_items.hpp"
#include "src/tia/region_tia.hpp"
#include "src/tia/tia_types.hpp"

namespace voxflow::tia {

/// Index of each map in the TIA MapSet (make_tia_maps; second index of values); order = output order.
enum TiaMapIndex : int { kMapTia = 0, kMapR2, kMapSigmaTia, kMapTpeak, kMapModelId, kMapStatusId, kMapCurveClass, kTiaMapCount };

/// The kTiaMapCount specifications, indexed by TiaMapIndex (ids are codes, written as uint8).
const std::vector<MapSpec>& tia_map_specs();

/// Maps for the owned voxels of `layout` (any halo) that say "outside mask" until a result lands:
/// status 0, model 0, class 0, every value NaN.
MapSet make_tia_maps(const SlabLayout& layout);

/// Settings of the voxel loop beyond the per-curve fit options.
struct TiaKernelSettings {
  TiaFitOptions fit;
  bool bootstrap = true;
  int replicates = 50;
  std::uint64_t seed = 0;
  bool reclassify = true;
  bool voxel_level_r2 = false;
};

/// Region-mode inputs for the kernel: label_to_region(label) = index into `regions` or -1 for
/// labels processed in voxel mode (size max label + 1). Empty views mean voxel mode everywhere.
struct RegionInputs {
  Kokkos::View<const int*> label_to_region;
  Kokkos::View<const RegionFit*> regions;
};

/// Columns of a work item (one voxel inside the mask), after its n activities.
constexpr int kItemLabel = 0;        // label map value (-1 without region mode)
constexpr int kItemGlobalVoxel = 1;  // global NIfTI linear index x + nx * (y + ny * z)
/// Values per work item for n time points.
inline int tia_item_width(int n_times) { return n_times + 2; }

/// Fit work items begin .. end - 1 of `items` (rows: activity_bq[0..n) in Bq per voxel, >= 0,
/// time-sorted; then label and global voxel index, see kItem*) sampled at times_s (seconds,
/// n = times_s.extent(0)), writing results(item, map) for every TiaMapIndex (ids as numbers).
/// The bootstrap's random numbers are keyed on the global voxel index, so results do not depend
/// on which rank fits an item. Voxel mode: fit_tac (floor, classification, gamma/exp/hybrid,
/// fallbacks) and bootstrap_sigma. Region mode (the item's label has a fitted region):
/// apply_region_to_voxel and sigma = scale * sigma_tia_ref. Kokkos parallel_for with fixed-size
/// per-item state. Throws InternalError for n outside [2, kTiaMaxTimePoints] or a wrong width.
void fit_tia_items(const ConstItemView& items, const Kokkos::View<const double*>& times_s,
                   const TiaKernelSettings& settings, const RegionInputs& regions, std::int64_t begin,
                   std::int64_t end, const ItemView& results);

}  // namespace voxflow::tia
