#include "src/filters/frangi_blocks.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "src/core/error.hpp"
#include "src/core/halo_exchange.hpp"
#include "src/filters/gaussian.hpp"

namespace voxflow::filters {

FrangiBlocks::FrangiBlocks(const Volume3D& image, const FrangiOptions& o, const Comm& comm, int edge)
    : options_(o), edge_(edge) {
  validate_frangi_options(o);
  if (o.c_auto) throw InputError("frangi: c = auto needs the whole volume; it cannot be computed block by block");
  if (edge < 4) throw InputError("frangi: a block edge must be >= 4 voxels");
  margin_ = frangi_block_margin(o);
  layout_ = image.layout;
  const Grid& g = layout_.grid;
  for (size_t a = 0; a < 3; ++a) counts_[a] = (g.dims[a] + edge_ - 1) / edge_;
  Volume3D padded = image;  // shares the storage
  if (image.layout.halo < margin_) {
    padded = Volume3D(g, layout_.slab, margin_, "frangi_blocks_image");
    auto src = Kokkos::create_mirror_view(image.data);
    Kokkos::deep_copy(src, image.data);
    auto dst = Kokkos::create_mirror_view(padded.data);
    const std::int64_t n = image.layout.owned_voxels();
    for (std::int64_t v = 0; v < n; ++v) dst(padded.layout.owned_to_storage(v)) = src(image.layout.owned_to_storage(v));
    Kokkos::deep_copy(padded.data, dst);
  }
  layout_.halo = padded.layout.halo;
  exchange_halo(padded, comm);  // the halo planes from the z-neighbours (collective)
  host_ = Kokkos::create_mirror_view(padded.data);  // no copy on a host backend
  Kokkos::deep_copy(host_, padded.data);
}

int frangi_block_margin(const FrangiOptions& o) {
  int r_max = 0;
  for (double s : o.sigmas_vox) r_max = std::max(r_max, gaussian_radius(s, o.truncate));
  return r_max + 2;
}

std::int64_t FrangiBlocks::block_of(std::int64_t i, std::int64_t j, std::int64_t k) const {
  return i / edge_ + counts_[0] * (j / edge_ + counts_[1] * (k / edge_));
}

void FrangiBlocks::compute(std::int64_t block, float* vesselness, float* best_sigma) {
  const Grid& g = layout_.grid;
  const Slab& slab = layout_.slab;
  const std::int64_t b[3] = {block % counts_[0], (block / counts_[0]) % counts_[1], block / (counts_[0] * counts_[1])};
  std::int64_t lo[3], hi[3], elo[3], ehi[3];
  for (int a = 0; a < 3; ++a) {
    lo[a] = b[a] * edge_;
    hi[a] = std::min<std::int64_t>(lo[a] + edge_, g.dims[static_cast<size_t>(a)]);
  }
  lo[2] = std::max(lo[2], slab.z0);
  hi[2] = std::min(hi[2], slab.z_end());
  if (hi[0] <= lo[0] || hi[1] <= lo[1] || hi[2] <= lo[2]) return;
  const std::int64_t bx = hi[0] - lo[0], by = hi[1] - lo[1], bz = hi[2] - lo[2];
  const std::int64_t nx = g.nx(), ny = g.ny();
  const Comm self{MPI_COMM_SELF};
  const double two_a2 = 2.0 * options_.alpha * options_.alpha, two_b2 = 2.0 * options_.beta * options_.beta;
  const double two_c2 = 2.0 * options_.c * options_.c, sign = options_.bright_vessels ? 1.0 : -1.0;
  Kokkos::View<float*> vout, sout;
  for (size_t n = 0; n < options_.sigmas_vox.size(); ++n) {
    // the region this scale reads: the box plus its own Gaussian radius + 2, clipped to the volume
    const double sigma = options_.sigmas_vox[n];
    const int m = gaussian_radius(sigma, options_.truncate) + 2;
    for (int a = 0; a < 3; ++a) {
      elo[a] = std::max<std::int64_t>(0, lo[a] - m);
      ehi[a] = std::min<std::int64_t>(g.dims[static_cast<size_t>(a)], hi[a] + m);
    }
    Grid eg = g;
    eg.dims = {ehi[0] - elo[0], ehi[1] - elo[1], ehi[2] - elo[2]};
    Workspace& w = work_[eg.dims];
    if (!w.hessian) {
      w.region = Volume3D(eg, make_slab(eg.dims[2], 0, 1), 0, "frangi_block_region");
      w.hessian = std::make_unique<ScaleSpaceHessian>(w.region.layout, options_.truncate);
    }
    if (n == 0) {
      const size_t cap = static_cast<size_t>(edge_) * static_cast<size_t>(edge_) * static_cast<size_t>(edge_);
      if (out_v_.extent(0) < cap) {
        out_v_ = Kokkos::View<float*>("frangi_block_v", cap);
        out_s_ = Kokkos::View<float*>("frangi_block_s", cap);
      }
      vout = out_v_;
      sout = out_s_;
    }
    Volume3D& region = w.region;
    const std::int64_t ex = eg.dims[0], ey = eg.dims[1], ez = eg.dims[2];
    {
      auto h = Kokkos::create_mirror_view(region.data);
      for (std::int64_t k = 0; k < ez; ++k)
        for (std::int64_t j = 0; j < ey; ++j) {
          const std::int64_t src = elo[0] + nx * ((elo[1] + j) + ny * (elo[2] + k - slab.z0 + layout_.halo));
          std::copy(host_.data() + src, host_.data() + src + ex, h.data() + ex * (j + ey * k));
        }
      Kokkos::deep_copy(region.data, h);
    }
    // the box inside the region
    const std::int64_t bx0 = lo[0] - elo[0], by0 = lo[1] - elo[1], bz0 = lo[2] - elo[2];
    const HessianStencil st = w.hessian->smooth(region, sigma, self);
    const bool first = n == 0;
    const float sigma_f = static_cast<float>(sigma);
    // one x-row of the box per iteration: no index division per voxel
    Kokkos::parallel_for(
        "frangi_block", Kokkos::RangePolicy<>(0, by * bz), KOKKOS_LAMBDA(std::int64_t row) {
          const std::int64_t j = by0 + row % by, k = bz0 + row / by;
          constexpr int kLanes = 8;
          std::int64_t x = 0;
          while (x < bx) {
            if (x + kLanes <= bx && st.interior_run(bx0 + x, kLanes, j, k)) {  // kLanes Hessians at once
              double hl[6][kLanes];
              st.interior_lanes<kLanes>(bx0 + x, j, k, hl);
              for (int l = 0; l < kLanes; ++l) {
                const double hm[6] = {hl[0][l], hl[1][l], hl[2][l], hl[3][l], hl[4][l], hl[5][l]};
                const std::int64_t v = row * bx + x + l;
                keep_best_scale(vout(v), sout(v),
                                static_cast<float>(frangi_response(hm, sign, two_a2, two_b2, two_c2)), sigma_f, first);
              }
              x += kLanes;
              continue;
            }
            const std::int64_t v = row * bx + x;
            double hm[6];
            st(bx0 + x, j, k, hm);
            keep_best_scale(vout(v), sout(v),
                            static_cast<float>(frangi_response(hm, sign, two_a2, two_b2, two_c2)), sigma_f, first);
            ++x;
          }
        });
  }
  Kokkos::fence();
  auto hv = Kokkos::create_mirror_view(vout);
  auto hs = Kokkos::create_mirror_view(sout);
  Kokkos::deep_copy(hv, vout);
  Kokkos::deep_copy(hs, sout);
  for (std::int64_t k = 0; k < bz; ++k)
    for (std::int64_t j = 0; j < by; ++j) {
      const std::int64_t dst = lo[0] + nx * ((lo[1] + j) + ny * (lo[2] + k - slab.z0));
      const std::int64_t src = bx * (j + by * k);
      std::copy(hv.data() + src, hv.data() + src + bx, vesselness + dst);
      std::copy(hs.data() + src, hs.data() + src + bx, best_sigma + dst);
    }
}

}  // namespace voxflow::filters
