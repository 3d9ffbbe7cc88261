#pragma once
// Voxel-wise PROXYL parameter maps: the list of maps, their storage for a rank's slab, and the
// Kokkos kernel that fits a chunk of voxels (seed T005 "Pixel-Level Parameter Maps").
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/distributed_volume.hpp"

namespace voxflow::kinetics {

/// Index of each map in PixelMaps::values (second index). Order = output order.
enum MapIndex : int {
  kMapKb = 0, kMapKd, kMapKnt, kMapA0, kMapA1, kMapA2, kMapT0, kMapTmax, kMapRSquared,
  kMapSeA0, kMapSeA1, kMapSeA2, kMapSeKb, kMapSeKd, kMapSeKnt, kMapSeT0, kMapSeTmax,
  kMapRmse, kMapHalfLifeKb, kMapHalfLifeKd, kMapHalfLifeKnt, kMapKbKdRatio,
  kMapEnhancementPct, kMapNtePct, kMapStatus, kMapCount
};

struct MapSpec {
  const char* name;   // file stem: "kb" -> kb_map.npy, kb.nii.gz, maps/kb in HDF5
  const char* units;  // "1/min", "min", "a.u.", "%", ""
  const char* description;
};

/// The kMapCount map specifications, indexed by MapIndex.
const std::vector<MapSpec>& map_specs();

/// The nine maps the original tool saved as .npy (kb, kd, knt, A0, A1, A2, t0, tmax, r_squared).
const std::vector<int>& original_npy_maps();

/// Status of a voxel not fitted yet (a cancelled run's maps): one past FitStatus's codes.
constexpr float kStatusNotProcessed = 5.0f;

/// Names of the `status` map's codes (uint8): FitStatus 0..4, then 5 = not processed.
const std::vector<std::string>& status_names();

/// Results of the rank's owned voxels: values(owned voxel, map). NaN where a map is undefined;
/// the status map holds the FitStatus code as a float. done(v) = 1 once voxel v was processed
/// (checkpoints keep it).
struct PixelMaps {
  SlabLayout layout;  // halo 0
  Kokkos::View<float**> values;
  Kokkos::View<std::uint8_t*> done;

  PixelMaps() = default;
  explicit PixelMaps(const SlabLayout& series_layout);
  /// One map as a distributed 3D volume (a copy), for the writers.
  Volume3D map(int index) const;
  /// Put a map read back from a checkpoint.
  void set_map(int index, const Volume3D& vol);
};

/// Fit the owned voxels voxels(begin) .. voxels(end - 1) (owned indices, see SlabLayout) of `series` (4D, any halo) with the extended PROXYL model over
/// frames [first_frame, first_frame + t_min.extent(0)) at times t_min (minutes), and fill `maps`.
/// selected(v) == 0 marks voxels outside the mask or the --z slice (status OutsideMask, NaN).
/// Kokkos parallel_for over the range; per-voxel state is fixed-size (kMaxTimePoints).
/// Derived maps: half-lives ln2/k (min), kb/kd, %Enhancement = 100 A1/A0, %NTE = 100 A2/A0.
void fit_voxel_range(const Volume4D& series, int first_frame, const Kokkos::View<const double*>& t_min,
                     const Kokkos::View<const std::uint8_t*>& selected, PixelMaps& maps,
                     const Kokkos::View<const std::int64_t*>& voxels, std::int64_t begin, std::int64_t end);

/// The original's sliding-window series: each owned voxel's curve replaced by the mean over the
/// N x N x N neighbourhood (N odd, clipped at the volume edge, i.e. only voxels inside the volume
/// are averaged). `series` must carry a halo of at least N/2 planes already exchanged
/// (exchange_halo). Returns a 4D volume with halo 0. Throws InputError for even or < 1 N.
Volume4D sliding_window_mean(const Volume4D& series, int window);

}  // namespace voxflow::kinetics
