#pragma once
// Frangi vesselness on demand, block by block (issue 11: "compute vesselness only in blocks the
// front reaches (lazily, block by block): the path needs nothing else").
//
// The volume is cut into cubes of `edge` voxels aligned to the global grid (the last ones
// shorter); a rank computes the part of a block inside its own z-slab. For a block, the image
// is taken with a margin of M = r_max + 2 voxels (r_max = the largest scale's Gaussian radius,
// int(truncate sigma + 0.5); 2 = the Hessian's np.gradient-of-np.gradient reach), clipped at the
// volume's edges, and frangi.hpp's arithmetic runs on that region alone: every Gaussian pass of a
// block voxel (and of the voxels its Hessian reads) reads inside the region (each scale takes
// its own margin r + 2), and the region is
// clipped only where the volume ends, where scipy's 'reflect' applies anyway. Each block voxel
// therefore gets the same value, bit for bit, as frangi_vesselness on the whole volume (tested),
// whatever the block size and the number of ranks.
// Cost: (edge + 2M)^3 voxels of Gaussian passes per scale for edge^3 voxels of eigenvalues.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"
#include "src/filters/frangi.hpp"

namespace voxflow::filters {

/// Halo planes the block filter reads beyond a slab: the largest scale's Gaussian radius + 2.
int frangi_block_margin(const FrangiOptions& options);

class FrangiBlocks {
 public:
  /// image: the rank's slab (owned planes read). With halo >= frangi_block_margin(options) the
  /// image's own storage is used (its halo planes are filled by one exchange: a shared view, so
  /// the caller's halo planes change), else the slab is copied into one with that halo.
  /// Collective over comm. options.c_auto is refused
  /// (it needs the whole volume's Hessian norm): InputError, as are invalid options
  /// (validate_frangi_options) and edge < 4.
  FrangiBlocks(const Volume3D& image, const FrangiOptions& options, const Comm& comm, int edge = 32);

  int edge() const { return edge_; }
  /// blocks along x, y, z over the global grid
  const std::array<std::int64_t, 3>& block_counts() const { return counts_; }
  /// global block number of the block holding global voxel (i, j, k)
  std::int64_t block_of(std::int64_t i, std::int64_t j, std::int64_t k) const;
  /// Computes the vesselness and best sigma (voxels; 0 where V = 0) of the voxels of global block
  /// `block` that this rank owns, into `vesselness` and `best_sigma`: arrays of the rank's owned
  /// voxels, x fastest (index i + nx (j + ny (k - z0))). Not collective; nothing for a block
  /// outside the slab. Host memory.
  void compute(std::int64_t block, float* vesselness, float* best_sigma);

  const SlabLayout& layout() const { return layout_; }
  int margin() const { return margin_; }

 private:
  SlabLayout layout_;      // the rank's slab and the halo of host_ (>= margin_)
  FrangiOptions options_;
  int edge_ = 32, margin_ = 0;
  std::array<std::int64_t, 3> counts_{};
  Kokkos::View<float*>::HostMirror host_;  // the slab with >= margin_ halo planes, x fastest
  // work volumes per region size (all inner blocks share one): allocated once, not per block
  struct Workspace {
    Volume3D region;
    std::unique_ptr<ScaleSpaceHessian> hessian;
  };
  Kokkos::View<float*> out_v_, out_s_;  // the block's vesselness and best sigma (edge^3)
  std::map<std::array<std::int64_t, 3>, Workspace> work_;
};

}  // namespace voxflow::filters
