#pragma once
// The fast marching's speed computed where the front goes (issue 11: "compute vesselness only in
// blocks the front reaches (lazily, block by block): the path needs nothing else").
//
// The first time the march asks for the speed of a voxel, the Frangi vesselness of its whole
// block (filters::FrangiBlocks: bit for bit the whole-volume filter's values) is computed, and
// the block's speed follows from speed_value(). The march only reads voxels it reaches, so its
// result equals a march on the whole-volume speed map with the same reference (tested), at the
// cost of the blocks along the vessel instead of the volume.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"
#include "src/filters/frangi_blocks.hpp"
#include "src/vessel/fast_marching.hpp"
#include "src/vessel/speed.hpp"

namespace voxflow::vessel {

class LazyVesselnessSpeed final : public SpeedSource {
 public:
  /// image: the rank's slab; with halo >= filters::frangi_block_margin(frangi) its storage is used
  /// in place (its halo planes are overwritten by the exchange), else copied. mask: optional, same grid and slab (the front moves only where != 0).
  /// Collective (the image's halo exchange). Throws InputError for invalid Frangi or speed options,
  /// c = auto (which needs the whole volume), or a mask on another grid.
  LazyVesselnessSpeed(const Volume3D& image, const filters::FrangiOptions& frangi, const SpeedOptions& speed,
                      const Comm& comm, const Volume3D* mask = nullptr, int block_edge = 32);

  /// V_ref of the power form (speed.hpp's reference_vesselness: the maximum vesselness within
  /// half_width voxels of each click); computes the blocks that cube touches. Must be called
  /// before the march. Collective. Throws InputError where V_ref is 0.
  double set_reference(const std::vector<VoxelIndex>& clicks, int half_width, const Comm& comm);

  const SlabLayout& layout() const override { return layout_; }
  float speed(std::int64_t v) override {
    const std::int64_t b = block_of_owned(v);
    if (!done_[static_cast<size_t>(b)]) compute_block(b);
    return speed_[static_cast<size_t>(v)];
  }
  /// Frangi's V < 1, so speed <= epsilon + V_ref^-p (power) or exp(alpha) (exponential)
  double max_speed_bound() const override;

  /// The vesselness (NaN where not computed) and best sigma (voxels; 0 where not computed or
  /// V = 0) of the rank's slab, halo 0.
  Volume3D vesselness_volume() const;
  Volume3D best_sigma_volume() const;
  /// Best sigma (voxels) at the nearest voxel of each point (continuous voxel indices); NaN where
  /// the point is outside the grid or its block was not computed. Collective (MPI_Allreduce).
  std::vector<double> best_sigma_at(const std::vector<std::array<double, 3>>& points_vox, const Comm& comm) const;
  /// blocks computed on this rank, and the voxels they hold (owned part)
  std::int64_t blocks_computed() const { return blocks_computed_; }
  std::int64_t voxels_computed() const { return voxels_computed_; }
  double reference() const { return v_ref_; }
  double seconds_in_frangi() const { return seconds_; }

 private:
  std::int64_t block_of_owned(std::int64_t v) const {
    const std::int64_t i = v % nx_, j = (v / nx_) % ny_, k = v / (nx_ * ny_) + layout_.slab.z0;
    return blocks_.block_of(i, j, k);
  }
  void compute_block(std::int64_t block);  // vesselness, best sigma and speed
  void fill_speed(std::int64_t block);     // speed from the block's vesselness
  /// values of the owned voxels as a volume, not_computed where the block was not computed
  Volume3D owned_volume(const float* values, float not_computed, const char* label) const;

  SlabLayout layout_;
  filters::FrangiBlocks blocks_;
  SpeedOptions options_;
  std::int64_t nx_ = 0, ny_ = 0;
  double v_ref_ = 0.0;
  bool has_mask_ = false;
  std::vector<unsigned char> mask_;  // owned voxels, 1 where the front may move
  std::unique_ptr<float[]> vesselness_, best_sigma_, speed_;  // owned voxels; valid in computed blocks
  std::vector<unsigned char> done_;                           // per global block
  std::int64_t blocks_computed_ = 0, voxels_computed_ = 0;
  double seconds_ = 0.0;
};

}  // namespace voxflow::vessel
