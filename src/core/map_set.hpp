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
  /// Puts result rows at owned voxels: row i (count() values, row-major) goes to voxels[i] and
  /// marks it done, for every i with row_done[i] != 0 (all rows when row_done is empty). Values are
  /// rounded to float32. Throws InternalError when the sizes disagree.
  void scatter(const std::vector<std::int64_t>& voxels, const std::vector<double>& rows,
               const std::vector<std::uint8_t>& row_done = {});
  /// The same from host memory: row i starts at rows + i * stride (stride >= count()); n_done: only
  /// rows i < n_done are finished (the others are left alone).
  void scatter(const std::vector<std::int64_t>& voxels, const double* rows, std::int64_t stride, std::int64_t n_done);
  /// counts[c] of the owned voxels whose map `index` holds code c (0 <= c < n_codes), summed over
  /// the ranks of comm (collective).
  std::vector<long long> code_counts(int index, int n_codes, const Comm& comm) const;
};

}  // namespace voxflow
