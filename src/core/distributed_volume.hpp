#pragma once
// Distributed 3D and 4D volumes: the rank's z-slab (plus halo planes) in Kokkos views.
// Filled by the readers (io/), consumed by kernels, emptied by the writers.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/grid.hpp"
#include "src/core/slab.hpp"

namespace voxflow {

/// Storage planes: local plane k in [-halo, nz + halo) is stored at plane (k + halo).
/// Halo planes beyond the global volume edge stay allocated and hold zeros (or what the
/// algorithm writes), never data of another volume.
struct SlabLayout {
  Grid grid;
  Slab slab;
  int halo = 0;

  std::int64_t plane_size() const { return grid.plane_size(); }
  std::int64_t stored_planes() const { return slab.nz + 2 * static_cast<std::int64_t>(halo); }
  /// voxels stored (owned + halo)
  std::int64_t stored_voxels() const { return stored_planes() * plane_size(); }
  /// voxels owned (no halo)
  std::int64_t owned_voxels() const { return slab.nz * plane_size(); }
  /// index of owned voxel number v (0 <= v < owned_voxels) in storage
  std::int64_t owned_to_storage(std::int64_t v) const { return v + halo * plane_size(); }
  /// storage index of (i, j, local plane k), -halo <= k < nz + halo
  KOKKOS_INLINE_FUNCTION std::int64_t index(std::int64_t i, std::int64_t j, std::int64_t k_local) const {
    return i + grid.dims[0] * (j + grid.dims[1] * (k_local + halo));
  }
};

/// One scalar per voxel. data(storage index); float32 like the maps voxflow writes.
struct Volume3D {
  SlabLayout layout;
  Kokkos::View<float*> data;
  std::string units;  // e.g. "1/min", "" for dimensionless

  Volume3D() = default;
  Volume3D(const Grid& grid, const Slab& slab, int halo, const std::string& label = "volume3d");
};

/// A time series per voxel. data(storage voxel, t); frame_times_s[t] in seconds from the
/// first frame's acquisition when known, else empty.
struct Volume4D {
  SlabLayout layout;
  Kokkos::View<float**> data;
  std::vector<double> frame_times_s;

  Volume4D() = default;
  Volume4D(const Grid& grid, const Slab& slab, int halo, const std::string& label = "volume4d");
  std::int64_t nt() const { return layout.grid.nt; }
};

}  // namespace voxflow
