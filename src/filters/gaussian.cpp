#include "src/filters/gaussian.hpp"

#include <cmath>
#include <string>

#include "src/core/error.hpp"
#include "src/core/halo_exchange.hpp"

namespace voxflow::filters {

namespace detail {

/// scipy 'reflect' (d c b a | a b c d), repeated with period 2n for any offset.
KOKKOS_INLINE_FUNCTION std::int64_t reflect_index(std::int64_t m, std::int64_t n) {
  if (m >= 0 && m < n) return m;
  const std::int64_t p = 2 * n;
  std::int64_t r = m % p;
  if (r < 0) r += p;
  return r >= n ? p - 1 - r : r;
}

/// numpy's pairwise summation of float64 (numpy/core/src/umath/loops_utils.h.src).
double numpy_pairwise_sum(const double* a, std::int64_t n) {
  if (n < 8) {
    double res = 0.0;
    for (std::int64_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::int64_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(a, n2) + numpy_pairwise_sum(a + n2, n - n2);
}

/// One 1D pass along `axis` (0 x, 1 y, 2 z) over the owned voxels:
/// dst = sum_d w_|d| src(. + d), scipy's symmetric accumulation order, double, rounded to float.
/// src / dst: storage views with plane size nx*ny and halos src_halo / dst_halo.
/// One kernel iteration is one x-row; away from the edges the row is done kLanes voxels at a
/// time, each voxel's sum in the same order as the scalar path (so the compiler can put the
/// lanes in one SIMD register and the result stays bit for bit scipy's); reflect_index only where
/// the kernel crosses an edge.
void gaussian_pass(const Kokkos::View<float*>& src, int src_halo, const Kokkos::View<float*>& dst, int dst_halo,
                   const Kokkos::View<double*>& w, int r, int axis, std::int64_t nx, std::int64_t ny,
                   std::int64_t nz_local, std::int64_t z0, std::int64_t nz_global) {
  const std::int64_t P = nx * ny, nrows = ny * nz_local;
  if (nrows == 0 || nx == 0) return;
  constexpr std::int64_t kLanes = 8;
  Kokkos::parallel_for(
      "gaussian_pass", Kokkos::RangePolicy<>(0, nrows), KOKKOS_LAMBDA(std::int64_t row) {
        const std::int64_t j = row % ny, k = row / ny;
        const std::int64_t srow = (k + src_halo) * P + j * nx;  // storage index of (0, j, k) in src
        const std::int64_t drow = (k + dst_halo) * P + j * nx;
        const float* s = src.data();
        float* out = dst.data();
        const double w0 = w(0);
        // the stride between taps, and whether this row needs no reflection (y, z: the whole row)
        std::int64_t stride = 1;
        bool row_interior = true;
        if (axis == 1) {
          stride = nx;
          row_interior = j - r >= 0 && j + r < ny;
        } else if (axis == 2) {
          stride = P;
          const std::int64_t zg = z0 + k;
          row_interior = zg - r >= 0 && zg + r < nz_global;
        }
        std::int64_t i = 0;
        while (i < nx) {
          const bool lanes_interior =
              row_interior && i + kLanes <= nx && (axis != 0 || (i - r >= 0 && i + kLanes - 1 + r < nx));
          if (lanes_interior) {
            const float* c = s + srow + i;
            double acc[kLanes];
            for (std::int64_t l = 0; l < kLanes; ++l) acc[l] = static_cast<double>(c[l]) * w0;
            for (int d = r; d >= 1; --d) {
              const double wd = w(d);
              const float* lo = c - d * stride;
              const float* hi = c + d * stride;
              for (std::int64_t l = 0; l < kLanes; ++l)
                acc[l] += (static_cast<double>(lo[l]) + static_cast<double>(hi[l])) * wd;
            }
            for (std::int64_t l = 0; l < kLanes; ++l) out[drow + i + l] = static_cast<float>(acc[l]);
            i += kLanes;
            continue;
          }
          // one voxel, with reflection where the kernel crosses an edge
          double acc = static_cast<double>(s[srow + i]) * w0;
          if (axis == 0) {
            for (int d = r; d >= 1; --d)
              acc += (static_cast<double>(s[srow + reflect_index(i - d, nx)]) +
                      static_cast<double>(s[srow + reflect_index(i + d, nx)])) * w(d);
          } else if (axis == 1) {
            const std::int64_t base = (k + src_halo) * P + i;
            for (int d = r; d >= 1; --d)
              acc += (static_cast<double>(s[base + reflect_index(j - d, ny) * nx]) +
                      static_cast<double>(s[base + reflect_index(j + d, ny) * nx])) * w(d);
          } else {
            const std::int64_t zg = z0 + k, col = j * nx + i;
            for (int d = r; d >= 1; --d) {
              const std::int64_t klo = reflect_index(zg - d, nz_global) - z0 + src_halo;
              const std::int64_t khi = reflect_index(zg + d, nz_global) - z0 + src_halo;
              acc += (static_cast<double>(s[klo * P + col]) + static_cast<double>(s[khi * P + col])) * w(d);
            }
          }
          out[drow + i] = static_cast<float>(acc);
          ++i;
        }
      });
}

void check_same_slab(const SlabLayout& a, const SlabLayout& b, const char* what) {
  if (a.grid.dims != b.grid.dims || a.slab.z0 != b.slab.z0 || a.slab.nz != b.slab.nz ||
      a.slab.nz_global != b.slab.nz_global)
    throw InternalError(std::string("gaussian filter: ") + what + " volume has grid " + b.grid.describe() +
                        " slab z0=" + std::to_string(b.slab.z0) + " nz=" + std::to_string(b.slab.nz) +
                        ", the filter was made for " + a.grid.describe() + " z0=" + std::to_string(a.slab.z0) +
                        " nz=" + std::to_string(a.slab.nz));
}

}  // namespace detail

int gaussian_radius(double sigma_vox, double truncate) {
  if (!std::isfinite(sigma_vox) || sigma_vox < 0.0)
    throw InputError("gaussian filter: sigma must be finite and >= 0 voxels, got " + std::to_string(sigma_vox));
  if (!std::isfinite(truncate) || truncate < 0.0)
    throw InputError("gaussian filter: truncate must be finite and >= 0, got " + std::to_string(truncate));
  const double r = truncate * sigma_vox + 0.5;
  if (r > 1e6) throw InputError("gaussian filter: kernel radius too large (sigma " + std::to_string(sigma_vox) + ")");
  return static_cast<int>(r);  // Python int(): truncation toward zero (r >= 0)
}

std::vector<double> gaussian_kernel1d(double sigma_vox, int radius) {
  const double sigma2 = sigma_vox * sigma_vox;
  std::vector<double> phi(static_cast<size_t>(2 * radius + 1));
  for (int x = -radius; x <= radius; ++x)
    phi[static_cast<size_t>(x + radius)] = std::exp(-0.5 / sigma2 * static_cast<double>(std::int64_t(x) * x));
  const double s = detail::numpy_pairwise_sum(phi.data(), static_cast<std::int64_t>(phi.size()));
  for (auto& p : phi) p = p / s;
  return phi;
}

std::array<double, 3> sigma_mm_to_vox(double sigma_mm, const std::array<double, 3>& spacing_mm) {
  if (!std::isfinite(sigma_mm) || sigma_mm < 0.0)
    throw InputError("denoise.sigma_mm must be finite and >= 0, got " + std::to_string(sigma_mm));
  std::array<double, 3> s{};
  for (int a = 0; a < 3; ++a) {
    if (!(spacing_mm[static_cast<size_t>(a)] > 0.0) || !std::isfinite(spacing_mm[static_cast<size_t>(a)]))
      throw InputError("gaussian filter: voxel spacing must be > 0 mm, got " +
                       std::to_string(spacing_mm[static_cast<size_t>(a)]));
    s[static_cast<size_t>(a)] = sigma_mm / spacing_mm[static_cast<size_t>(a)];
  }
  return s;
}

GaussianFilter::GaussianFilter(const SlabLayout& layout, const std::array<double, 3>& sigma_vox, double truncate)
    : layout_(layout), sigma_(sigma_vox) {
  for (size_t a = 0; a < 3; ++a) {
    const int r = gaussian_radius(sigma_vox[a], truncate);  // validates sigma and truncate
    active_[a] = sigma_vox[a] > 1e-15;                       // scipy skips such axes
    radius_[a] = active_[a] ? r : 0;
    half_weights_[a] = Kokkos::View<double*>("gaussian_weights", static_cast<size_t>(radius_[a]) + 1);
    auto h = Kokkos::create_mirror_view(half_weights_[a]);
    if (active_[a]) {
      const auto k = gaussian_kernel1d(sigma_vox[a], radius_[a]);
      for (int d = 0; d <= radius_[a]; ++d) h(d) = k[static_cast<size_t>(radius_[a] + d)];
    } else {
      h(0) = 1.0;  // identity pass: float -> double * 1 -> float is exact
    }
    Kokkos::deep_copy(half_weights_[a], h);
  }
  layout_.halo = 0;
  work_a_ = Volume3D(layout.grid, layout.slab, 0, "gaussian_work_a");
  work_b_ = Volume3D(layout.grid, layout.slab, radius_[2], "gaussian_work_b");
}

void GaussianFilter::apply(const Volume3D& in, Volume3D& out, const Comm& comm) {
  detail::check_same_slab(layout_, in.layout, "input");
  detail::check_same_slab(layout_, out.layout, "output");
  const std::int64_t nx = layout_.grid.nx(), ny = layout_.grid.ny(), nzl = layout_.slab.nz;
  const std::int64_t z0 = layout_.slab.z0, nzg = layout_.slab.nz_global;
  // x: in -> a; y: a -> b (owned planes); halo of b from the neighbours; z: b -> out
  detail::gaussian_pass(in.data, in.layout.halo, work_a_.data, 0, half_weights_[0], radius_[0], 0, nx, ny, nzl, z0,
                        nzg);
  detail::gaussian_pass(work_a_.data, 0, work_b_.data, work_b_.layout.halo, half_weights_[1], radius_[1], 1, nx, ny,
                        nzl, z0, nzg);
  exchange_halo(work_b_, comm);  // collective on every rank, even with no plane
  detail::gaussian_pass(work_b_.data, work_b_.layout.halo, out.data, out.layout.halo, half_weights_[2], radius_[2], 2,
                        nx, ny, nzl, z0, nzg);
  Kokkos::fence();
}

Volume3D gaussian_filter(const Volume3D& in, const std::array<double, 3>& sigma_vox, const Comm& comm,
                         double truncate) {
  GaussianFilter g(in.layout, sigma_vox, truncate);
  Volume3D out(in.layout.grid, in.layout.slab, in.layout.halo, "gaussian_filtered");
  out.units = in.units;
  g.apply(in, out, comm);
  return out;
}

}  // namespace voxflow::filters
