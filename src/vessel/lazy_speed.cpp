#include "src/vessel/lazy_speed.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/core/error.hpp"

namespace voxflow::vessel {

LazyVesselnessSpeed::LazyVesselnessSpeed(const Volume3D& image, const filters::FrangiOptions& frangi,
                                         const SpeedOptions& speed, const Comm& comm, const Volume3D* mask,
                                         int block_edge)
    : layout_(image.layout), blocks_(image, frangi, comm, block_edge), options_(speed) {
  layout_.halo = 0;
  if (speed.form == SpeedForm::power && (!(speed.epsilon > 0.0) || !(speed.power > 0.0) || !std::isfinite(speed.power)))
    throw InputError("speed: epsilon and the power must be > 0");
  if (speed.form == SpeedForm::exponential && (!(speed.alpha >= 0.0) || !std::isfinite(speed.alpha)))
    throw InputError("speed: alpha must be >= 0");
  nx_ = layout_.grid.nx();
  ny_ = layout_.grid.ny();
  const std::int64_t n = layout_.owned_voxels();
  if (mask) {
    if (mask->layout.grid.dims != layout_.grid.dims || mask->layout.slab.z0 != layout_.slab.z0 ||
        mask->layout.slab.nz != layout_.slab.nz)
      throw InputError("speed: the mask is not on the image grid (" + mask->layout.grid.describe() + " vs " +
                       layout_.grid.describe() + ")");
    has_mask_ = true;
    auto h = Kokkos::create_mirror_view(mask->data);
    Kokkos::deep_copy(h, mask->data);
    mask_.resize(static_cast<size_t>(n));
    for (std::int64_t v = 0; v < n; ++v) mask_[static_cast<size_t>(v)] = h(mask->layout.owned_to_storage(v)) != 0.0f;
  }
  // uninitialised: only the blocks the front reaches are written (and their pages touched)
  vesselness_.reset(new float[static_cast<size_t>(std::max<std::int64_t>(n, 1))]);
  best_sigma_.reset(new float[static_cast<size_t>(std::max<std::int64_t>(n, 1))]);
  speed_.reset(new float[static_cast<size_t>(std::max<std::int64_t>(n, 1))]);
  const auto& c = blocks_.block_counts();
  done_.assign(static_cast<size_t>(c[0] * c[1] * c[2]), 0);
}

void LazyVesselnessSpeed::compute_block(std::int64_t block) {
  const double t0 = MPI_Wtime();
  done_[static_cast<size_t>(block)] = 1;
  blocks_.compute(block, vesselness_.get(), best_sigma_.get());
  fill_speed(block);
  seconds_ += MPI_Wtime() - t0;
}

void LazyVesselnessSpeed::fill_speed(std::int64_t block) {
  const auto& c = blocks_.block_counts();
  const int e = blocks_.edge();
  const std::int64_t bi = block % c[0], bj = (block / c[0]) % c[1], bk = block / (c[0] * c[1]);
  const std::int64_t i0 = bi * e, i1 = std::min<std::int64_t>(i0 + e, nx_), j0 = bj * e,
                     j1 = std::min<std::int64_t>(j0 + e, ny_);
  const std::int64_t k0 = std::max<std::int64_t>(bk * e, layout_.slab.z0),
                     k1 = std::min<std::int64_t>(bk * e + e, layout_.slab.z_end());
  const bool power = options_.form == SpeedForm::power;
  const double inv = v_ref_ > 0.0 ? 1.0 / v_ref_ : 0.0;
  for (std::int64_t k = k0; k < k1; ++k)
    for (std::int64_t j = j0; j < j1; ++j)
      for (std::int64_t i = i0; i < i1; ++i) {
        const std::int64_t v = i + nx_ * (j + ny_ * (k - layout_.slab.z0));
        double sp = speed_value(vesselness_[static_cast<size_t>(v)], power, options_.epsilon, options_.power,
                                options_.alpha, inv);
        if (has_mask_ && !mask_[static_cast<size_t>(v)]) sp = 0.0;
        speed_[static_cast<size_t>(v)] = static_cast<float>(sp);
      }
  if (k1 > k0) {
    ++blocks_computed_;
    voxels_computed_ += (i1 - i0) * (j1 - j0) * (k1 - k0);
  }
}

double LazyVesselnessSpeed::set_reference(const std::vector<VoxelIndex>& clicks, int half_width, const Comm& comm) {
  const Grid& g = layout_.grid;
  const Slab& slab = layout_.slab;
  double m = 0.0;
  // the vesselness of the cubes first (the speed of these blocks is redone below, with V_ref)
  std::vector<std::int64_t> cube_blocks;
  for (const auto& c : clicks) {
    std::int64_t lo[3], hi[3];
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::max<std::int64_t>(0, c[static_cast<size_t>(a)] - half_width);
      hi[a] = std::min<std::int64_t>(g.dims[static_cast<size_t>(a)], c[static_cast<size_t>(a)] + half_width + 1);
    }
    lo[2] = std::max(lo[2], slab.z0);
    hi[2] = std::min(hi[2], slab.z_end());
    for (std::int64_t k = lo[2]; k < hi[2]; ++k)
      for (std::int64_t j = lo[1]; j < hi[1]; ++j)
        for (std::int64_t i = lo[0]; i < hi[0]; ++i) {
          const std::int64_t b = blocks_.block_of(i, j, k);
          if (!done_[static_cast<size_t>(b)]) {
            compute_block(b);
            cube_blocks.push_back(b);
          }
          m = std::max(m, static_cast<double>(vesselness_[static_cast<size_t>(i + nx_ * (j + ny_ * (k - slab.z0)))]));
        }
  }
  m = comm.max(m);
  if (!(m > 0.0))
    throw InputError("speed: the vesselness is 0 within " + std::to_string(half_width) +
                     " voxels of both clicks: no tubular structure there at the chosen scales");
  v_ref_ = m;
  // the speed of the cube's blocks again, now with the reference (counted once)
  blocks_computed_ = 0;
  voxels_computed_ = 0;
  for (std::int64_t b : cube_blocks) fill_speed(b);
  return v_ref_;
}
double LazyVesselnessSpeed::max_speed_bound() const {
  if (options_.form == SpeedForm::power) return options_.epsilon + std::pow(v_ref_ > 0.0 ? 1.0 / v_ref_ : 1.0, options_.power);
  return std::exp(options_.alpha);
}

std::vector<double> LazyVesselnessSpeed::best_sigma_at(const std::vector<std::array<double, 3>>& pts,
                                                      const Comm& comm) const {
  const Grid& g = layout_.grid;
  std::vector<double> val(pts.size(), 0.0), have(pts.size(), 0.0);
  for (size_t n = 0; n < pts.size(); ++n) {
    std::int64_t v[3];
    bool in = true;
    for (size_t a = 0; a < 3 && in; ++a) {
      in = std::isfinite(pts[n][a]);
      if (!in) break;
      v[a] = std::llround(pts[n][a]);
      in = v[a] >= 0 && v[a] < g.dims[a];
    }
    if (!in || !layout_.slab.owns(v[2]) || !done_[static_cast<size_t>(blocks_.block_of(v[0], v[1], v[2]))]) continue;
    val[n] = best_sigma_[static_cast<size_t>(v[0] + nx_ * (v[1] + ny_ * (v[2] - layout_.slab.z0)))];
    have[n] = 1.0;
  }
  if (!pts.empty()) {
    if (MPI_Allreduce(MPI_IN_PLACE, val.data(), static_cast<int>(val.size()), MPI_DOUBLE, MPI_SUM, comm.comm) !=
            MPI_SUCCESS ||
        MPI_Allreduce(MPI_IN_PLACE, have.data(), static_cast<int>(have.size()), MPI_DOUBLE, MPI_SUM, comm.comm) !=
            MPI_SUCCESS)
      throw InternalError("lazy vesselness: MPI_Allreduce failed");
  }
  for (size_t n = 0; n < pts.size(); ++n)
    if (have[n] == 0.0) val[n] = std::numeric_limits<double>::quiet_NaN();
  return val;
}

Volume3D LazyVesselnessSpeed::owned_volume(const float* values, float not_computed, const char* label) const {
  Volume3D out(layout_.grid, layout_.slab, 0, label);
  auto h = Kokkos::create_mirror_view(out.data);
  const std::int64_t n = layout_.owned_voxels(), P = nx_ * ny_;
  for (std::int64_t v = 0; v < n; ++v)
    h(v) = done_[static_cast<size_t>(blocks_.block_of(v % nx_, (v / nx_) % ny_, v / P + layout_.slab.z0))]
               ? values[static_cast<size_t>(v)]
               : not_computed;
  Kokkos::deep_copy(out.data, h);
  return out;
}

Volume3D LazyVesselnessSpeed::vesselness_volume() const {
  return owned_volume(vesselness_.get(), std::numeric_limits<float>::quiet_NaN(), "vesselness");
}

Volume3D LazyVesselnessSpeed::best_sigma_volume() const {
  Volume3D out = owned_volume(best_sigma_.get(), 0.0f, "frangi_best_sigma");
  out.units = "voxel";
  return out;
}

}  // namespace voxflow::vessel
