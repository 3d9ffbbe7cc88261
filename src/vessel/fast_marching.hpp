#pragma once
// Fast marching (Sethian 1996, "A fast marching level set method for monotonically advancing
// fronts", PNAS 93:1591) on distributed z-slabs: the arrival time T of a front leaving one start
// voxel, |grad T| = 1 / speed, with the voxel spacing in mm along each axis.
//
// Distribution (issue 11): each rank marches its own slab with a binary heap, the planes next
// to its slab (1 plane for first order, 2 for second) being fixed sources received from the
// z-neighbours. After each round the ranks swap the arrival times of their face planes, keep the
// smaller of old and new value, and march again; they stop when no face value changed on any
// rank (MPI_Allreduce). Since the first-order discrete solution is unique and each voxel's value
// is computed from its accepted (smaller) neighbours only, the converged result is the one-rank
// march's to round-off (tests: max relative difference < 1e-6; measured 0 on the test maps, and
// a last-bit difference where a face value of an early round, one ulp below the final value, is
// kept by the minimum).
// Second order is not monotone in the face values (a larger T2 lowers (4 T1 - T2) / 3), so
// there the newest face values replace the old ones and the rounds stop when they repeat
// exactly; the heap pops in (T, global index) order on every rank, so the result is again the
// one-rank march's (tests: < 1e-6, measured 0). Later rounds of the first-order scheme do not
// march from scratch: a label-correcting pass starts from the face values that decreased and
// touches only the voxels whose value drops (the fixed point of the same discrete equations, to
// round-off: measured <= 5e-14 relative); second order re-marches from scratch the slabs whose
// face values changed. With early stop, a voxel whose time lies within round-off of the cutoff
// may be kept on one rank count and not on another.
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::vessel {

using VoxelIndex = std::array<std::int64_t, 3>;  // (i, j, k) global voxel indices

struct FastMarchingOptions {
  /// Second order where the two upwind neighbours along an axis are accepted and monotone
  /// (T2 <= T1): the one-sided difference (3T - 4T1 + T2) / (2h). Falls back to first order
  /// for the voxel when the quadratic has no real root or its root is not upwind (never throws).
  bool second_order = false;
  /// Early stop: once end_voxel is accepted, march on only to T <= T_end * (1 + stop_margin) +
  /// stop_margin_time; all other voxels are +inf in the result (on every rank alike). On several
  /// ranks the march proceeds in time windows (doubling from |end - start| / max speed, the lower
  /// bound of T_end), so no rank marches its whole slab before the end's time is known.
  bool stop_at_end = false;
  VoxelIndex end_voxel{0, 0, 0};
  double stop_margin = 0.1;
  double stop_margin_time = 0.0;
  /// Safety bound on exchange rounds (0: nz_global + 4 * ranks + 16, far above what a front
  /// needs: each round moves information across at least one slab face). InternalError beyond.
  std::int64_t max_rounds = 0;
};

/// Arrival times of the owned voxels of one rank, x fastest (owned voxel v of the slab), in the
/// speed's time unit (mm / speed unit). +inf where the front never arrives (zero speed, cut off
/// by a zero-speed wall, or beyond the early-stop time).
/// Arrival times of the owned voxels of one rank, stored sparsely: only the voxels the front
/// reached hold a value (an early-stopped march reaches a small part of a large slab), every
/// other voxel reads +inf. Indexed by owned voxel v = i + nx (j + ny (k - z0)).
class ArrivalTimes {
 public:
  ArrivalTimes() = default;
  /// n owned voxels; reached: (v, T) pairs with finite T, any order, no repeated v
  ArrivalTimes(std::int64_t n, std::vector<std::pair<std::int64_t, double>> reached);
  std::int64_t size() const { return n_; }
  /// T at owned voxel v (+inf where not reached); O(log reached)
  double operator[](std::int64_t v) const;
  /// the P = nx * ny values of local plane k into out (+inf where not reached)
  void copy_plane(std::int64_t k_local, std::int64_t plane_size, double* out) const;
  std::int64_t reached() const { return static_cast<std::int64_t>(index_.size()); }
  const std::vector<std::int64_t>& indices() const { return index_; }
  const std::vector<double>& times() const { return time_; }

 private:
  std::int64_t n_ = 0;
  std::vector<std::int64_t> index_;  // sorted
  std::vector<double> time_;
};

struct FastMarchingResult {
  SlabLayout layout;                 // grid and slab of the speed map, halo 0
  ArrivalTimes arrival_time;         // layout.owned_voxels() values
  double end_time = 0.0;             // T at end_voxel (+inf unreached); 0 without stop_at_end
  double cutoff_time = 0.0;          // the early-stop time (+inf without early stop)
  std::int64_t rounds = 0;           // exchange rounds until agreement (>= 1)
  std::int64_t voxels_marched = 0;   // heap pops of owned voxels, all ranks, all rounds (the work)
  std::int64_t voxels_reached = 0;   // voxels with finite T in the result, all ranks

  /// arrival_time as a float32 volume (halo 0), units "s" by convention of the speed map.
  Volume3D to_volume() const;
};

/// Where a march reads its speed: the owned voxels of one rank's slab. A source may compute a
/// value on first use (lazy vesselness: src/vessel/lazy_speed.hpp); the march asks only for the
/// voxels it reaches (the start, and the neighbours of accepted voxels).
class SpeedSource {
 public:
  virtual ~SpeedSource() = default;
  /// grid and slab of the owned voxels (halo ignored)
  virtual const SlabLayout& layout() const = 0;
  /// speed at owned voxel v = i + nx (j + ny (k - z0)): >= 0 and finite (0: the front may not enter)
  virtual float speed(std::int64_t v) = 0;
  /// an upper bound of the speed anywhere in the volume, the same on every rank (> 0); used for
  /// the first early-stop window on several ranks (a lower bound of T_end)
  virtual double max_speed_bound() const = 0;
};

/// The speed of a whole map already in memory (copied to the host once). Collective (the
/// maximum). Throws InputError (on every rank) for negative or non-finite values.
class DenseSpeed final : public SpeedSource {
 public:
  DenseSpeed(const Volume3D& speed, const Comm& comm);
  const SlabLayout& layout() const override { return layout_; }
  float speed(std::int64_t v) override { return values_[static_cast<size_t>(v)]; }
  double max_speed_bound() const override { return max_; }
  const float* data() const { return values_.data(); }

 private:
  SlabLayout layout_;
  std::vector<float> values_;
  double max_ = 0.0;
};

/// Fast marching from start_voxel on `speed` (owned planes read; > 0 where the front may move,
/// 0 where it may not; spacing from speed.layout.grid.spacing_mm). First-order upwind Godunov
/// scheme: sum over axes of max(T - T_a, 0)^2 / h_a^2 = 1 / speed^2 with T_a the smaller
/// accepted neighbour value along axis a (Sethian 1999, "Level Set Methods and Fast Marching
/// Methods", eq. 8.3); optional second order as in FastMarchingOptions.
/// Collective over comm. Throws InputError for a start (or end, with stop_at_end) outside the
/// grid, a start voxel of zero speed, or a negative / non-finite speed value (on every rank);
/// InternalError if the rounds exceed max_rounds or MPI fails.
/// The state of the march is sparse (only the voxels the front reaches are touched), so an early
/// stopped march costs what it marches, not the size of the slab.
FastMarchingResult fast_marching(const Volume3D& speed, const VoxelIndex& start_voxel,
                                 const FastMarchingOptions& options, const Comm& comm);

/// The same march reading its speed from `speed` (e.g. computed block by block on demand).
FastMarchingResult fast_marching(SpeedSource& speed, const VoxelIndex& start_voxel, const FastMarchingOptions& options,
                                 const Comm& comm);

}  // namespace voxflow::vessel
