#pragma once
// The result maps of a voxel-wise command on a rank's slab: one float per owned voxel and map,
// the list of maps with their units, and which voxels are finished. Kinetics, TIA and every later
// voxel-map command keep their results in a MapSet; the writers and checkpoints read it.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow {

/// One output map: its file stem (kb -> kb.nii.gz, dataset kb), units ("1/min", "Bq*s", "" for
/// dimensionless), a one-line description, and whether it holds integer codes (written as uint8:
/// status, model, class ids).
struct MapSpec {
  std::string name;
  std::string units;
  std::string description;
  bool is_code = false;
};

/// values(owned voxel, map) as float32 (NaN where a map is undefined; codes stored as floats) and
/// done(owned voxel) = 1 once the voxel's maps are final (checkpoints keep it). Halo 0.
struct MapSet {
  SlabLayout layout;
  std::vector<MapSpec> specs;
  Kokkos::View<float**> values;
  Kokkos::View<std::uint8_t*> done;

  MapSet() = default;
  /// Maps for the owned voxels of `layout_any_halo` (its halo is dropped), every value NaN, no
  /// voxel done.
  MapSet(const SlabLayout& layout_any_halo, std::vector<MapSpec> map_specs, const std::string& label = "maps");

  int count() const { return static_cast<int>(specs.size()); }
  /// index of the map called `name`, or -1
  int index(const std::string& name) const;
  /// One map as a distributed Volume3D (a copy, halo 0, units of its spec), for the writers.
  Volume3D map(int index) const;
  /// Overwrites map `index` with the owned voxels of `vol` (same grid and slab, any halo).
  void set_map(int index, const Volume3D& vol);
  /// Sets map `index` to `value` at every owned voxel (e.g. the "outside mask" code).
  void fill(int index, float value);
  /// done as a Volume3D of 0/1 (checkpoints), and back.
  Volume3D done_map() const;
  void set_done(const Volume3D& vol);
  /// Puts result rows at owned voxels: row i < n (count() values at rows + i * stride, host
  /// memory) goes to voxels[i], rounded to float32, and marks that voxel done. marked: the rows
  /// carry a done mark after their values (stride > count()) and only rows with a non-zero mark
  /// are put (rows coming back from other ranks, finished or not); else stride >= count() and
  /// every row i < n is finished. Throws InternalError when the stride is too small.
  void scatter(const std::int64_t* voxels, std::int64_t n, const double* rows, std::int64_t stride, bool marked);
  /// counts[c] of the owned voxels whose map `index` holds code c (0 <= c < n_codes), summed over
  /// the ranks of comm (collective).
  std::vector<long long> code_counts(int index, int n_codes, const Comm& comm) const;
};

}  // namespace voxflow
