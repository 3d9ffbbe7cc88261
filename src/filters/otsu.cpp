#include "src/filters/otsu.hpp"

#include <mpi.h>

#include <cmath>
#include <limits>
#include <string>

#include "src/core/error.hpp"
#include "src/core/kokkos_compat.hpp"

namespace voxflow::filters {

namespace detail {

/// min / max / count of the finite owned voxels of this rank (Kokkos parallel_reduce).
void local_finite_range(const Volume3D& vol, float* mn, float* mx, std::int64_t* n) {
  const auto data = vol.data;
  const std::int64_t off = vol.layout.owned_to_storage(0);
  const std::int64_t nv = vol.layout.owned_voxels();
  float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
  std::int64_t cnt = 0;
  if (nv > 0) {
    Kokkos::parallel_reduce(
        "otsu_min", Kokkos::RangePolicy<>(0, nv),
        KOKKOS_LAMBDA(std::int64_t v, float& m) {
          const float x = data(off + v);
          if (kmath::isfinite(x) && x < m) m = x;
        },
        Kokkos::Min<float>(lo));
    Kokkos::parallel_reduce(
        "otsu_max", Kokkos::RangePolicy<>(0, nv),
        KOKKOS_LAMBDA(std::int64_t v, float& m) {
          const float x = data(off + v);
          if (kmath::isfinite(x) && x > m) m = x;
        },
        Kokkos::Max<float>(hi));
    Kokkos::parallel_reduce(
        "otsu_count", Kokkos::RangePolicy<>(0, nv),
        KOKKOS_LAMBDA(std::int64_t v, std::int64_t& c) {
          if (kmath::isfinite(data(off + v))) ++c;
        },
        cnt);
  }
  *mn = lo;
  *mx = hi;
  *n = cnt;
}

/// numpy.histogram's fast path for equal bins (numpy/lib/histograms.py, 1.24), float32 data.
void local_histogram(const Volume3D& vol, const OtsuHistogram& h, std::int64_t* counts) {
  const std::int64_t nv = vol.layout.owned_voxels();
  if (nv == 0) return;
  Kokkos::View<std::int64_t*> c("otsu_counts", kOtsuBins);
  Kokkos::View<float*> edges("otsu_edges", kOtsuBins + 1);
  auto he = Kokkos::create_mirror_view(edges);
  for (int k = 0; k <= kOtsuBins; ++k) he(k) = h.edges[static_cast<size_t>(k)];
  Kokkos::deep_copy(edges, he);
  const auto data = vol.data;
  const std::int64_t off = vol.layout.owned_to_storage(0);
  const float first = h.min;
  const float denom = h.max - h.min;  // float32, as numpy's norm_denom
  Kokkos::parallel_for(
      "otsu_histogram", Kokkos::RangePolicy<>(0, nv), KOKKOS_LAMBDA(std::int64_t v) {
        const float x = data(off + v);
        if (!kmath::isfinite(x)) return;
        const float f = ((x - first) / denom) * static_cast<float>(kOtsuBins);
        int idx = static_cast<int>(f);
        if (idx == kOtsuBins) idx -= 1;
        if (x < edges(idx)) idx -= 1;
        if (x >= edges(idx + 1) && idx != kOtsuBins - 1) idx += 1;
        Kokkos::atomic_add(&c(idx), std::int64_t(1));
      });
  auto hc = Kokkos::create_mirror_view(c);
  Kokkos::deep_copy(hc, c);
  for (int k = 0; k < kOtsuBins; ++k) counts[k] = hc(k);
}

}  // namespace detail

OtsuHistogram otsu_histogram(const Volume3D& vol, const Comm& comm) {
  OtsuHistogram h;
  float mn = 0, mx = 0;
  std::int64_t n = 0;
  detail::local_finite_range(vol, &mn, &mx, &n);
  float gmn = 0, gmx = 0;
  long long gn = 0, ln = static_cast<long long>(n);
  if (MPI_Allreduce(&mn, &gmn, 1, MPI_FLOAT, MPI_MIN, comm.comm) != MPI_SUCCESS ||
      MPI_Allreduce(&mx, &gmx, 1, MPI_FLOAT, MPI_MAX, comm.comm) != MPI_SUCCESS ||
      MPI_Allreduce(&ln, &gn, 1, MPI_LONG_LONG, MPI_SUM, comm.comm) != MPI_SUCCESS)
    throw InternalError("otsu: MPI_Allreduce failed");
  h.n_finite = gn;
  if (gn == 0) return h;
  h.min = gmn;
  h.max = gmx;
  if (gmn == gmx) return h;
  // numpy.linspace(min, max, 257) in numpy 1.24: start/stop promoted to float64, step = delta / 256,
  // y = k * step + start, last = stop, then cast to float32.
  const double start = gmn, stop = gmx, step = (stop - start) / kOtsuBins;
  for (int k = 0; k < kOtsuBins; ++k) h.edges[static_cast<size_t>(k)] = static_cast<float>(k * step + start);
  h.edges[kOtsuBins] = gmx;
  for (int k = 0; k < kOtsuBins; ++k)
    h.centers[static_cast<size_t>(k)] = (h.edges[static_cast<size_t>(k)] + h.edges[static_cast<size_t>(k) + 1]) / 2.0f;
  std::array<std::int64_t, kOtsuBins> local{};
  detail::local_histogram(vol, h, local.data());
  static_assert(sizeof(long long) == sizeof(std::int64_t), "int64 is long long");
  if (MPI_Allreduce(local.data(), h.counts.data(), kOtsuBins, MPI_LONG_LONG, MPI_SUM, comm.comm) != MPI_SUCCESS)
    throw InternalError("otsu: MPI_Allreduce failed");
  return h;
}

double otsu_from_histogram(const OtsuHistogram& h) {
  if (h.n_finite == 0) throw InputError("otsu threshold: the image has no finite voxel");
  if (h.min == h.max) return h.min;
  constexpr int n = kOtsuBins;
  std::array<std::int64_t, n> w1{}, w2{};
  std::array<double, n> m1{}, m2{};
  std::int64_t cw = 0;
  double cs = 0.0;
  for (int k = 0; k < n; ++k) {  // cumsum(counts), cumsum(counts * centres) / weight1
    cw += h.counts[static_cast<size_t>(k)];
    cs += static_cast<double>(h.counts[static_cast<size_t>(k)]) * static_cast<double>(h.centers[static_cast<size_t>(k)]);
    w1[static_cast<size_t>(k)] = cw;
    m1[static_cast<size_t>(k)] = cs / static_cast<double>(cw);
  }
  cw = 0;
  cs = 0.0;
  for (int k = n - 1; k >= 0; --k) {  // the same from the top
    cw += h.counts[static_cast<size_t>(k)];
    cs += static_cast<double>(h.counts[static_cast<size_t>(k)]) * static_cast<double>(h.centers[static_cast<size_t>(k)]);
    w2[static_cast<size_t>(k)] = cw;
    m2[static_cast<size_t>(k)] = cs / static_cast<double>(cw);
  }
  int best = 0;
  double best_v = -1.0;
  for (int k = 0; k + 1 < n; ++k) {
    const double d = m1[static_cast<size_t>(k)] - m2[static_cast<size_t>(k) + 1];
    const double v = static_cast<double>(w1[static_cast<size_t>(k)] * w2[static_cast<size_t>(k) + 1]) * (d * d);
    if (v > best_v || (std::isnan(v) && !std::isnan(best_v))) {  // np.argmax: first maximum
      best_v = v;
      best = k;
      if (std::isnan(v)) break;  // np.argmax returns the first NaN
    }
  }
  return h.centers[static_cast<size_t>(best)];
}

double otsu_threshold(const Volume3D& vol, const Comm& comm) {
  const OtsuHistogram h = otsu_histogram(vol, comm);
  return otsu_from_histogram(h);  // same histogram on every rank: same outcome everywhere
}

std::int64_t count_nonzero(const Volume3D& vol, const Comm& comm) {
  const auto data = vol.data;
  const std::int64_t off = vol.layout.owned_to_storage(0);
  const std::int64_t nv = vol.layout.owned_voxels();
  long long cnt = 0;
  if (nv > 0)
    Kokkos::parallel_reduce(
        "count_nonzero", Kokkos::RangePolicy<>(0, nv),
        KOKKOS_LAMBDA(std::int64_t v, long long& c) {
          if (data(off + v) != 0.0f) ++c;
        },
        cnt);
  return comm.sum(cnt);
}

}  // namespace voxflow::filters
