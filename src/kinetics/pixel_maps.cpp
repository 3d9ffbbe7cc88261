#include "src/kinetics/pixel_maps.hpp"

#include <atomic>
#include <cmath>
#include <limits>

#include "src/core/error.hpp"
#include "src/kinetics/voxel_fit.hpp"
#include "src/kinetics/voxel_fit_lanes.hpp"

namespace voxflow::kinetics {

const std::vector<MapSpec>& map_specs() {
  static const std::vector<MapSpec> specs = {
      {"kb", "1/min", "buildup rate kb"},
      {"kd", "1/min", "decay (reduction) rate kd"},
      {"knt", "1/min", "non-tracer rate knt"},
      {"A0", "a.u.", "baseline signal A0"},
      {"A1", "a.u.", "tracer amplitude A1"},
      {"A2", "a.u.", "non-tracer amplitude A2"},
      {"t0", "min", "injection (arrival) time t0"},
      {"tmax", "min", "non-tracer onset tmax"},
      {"r_squared", "", "coefficient of determination R^2"},
      {"se_A0", "a.u.", "standard error of A0"},
      {"se_A1", "a.u.", "standard error of A1"},
      {"se_A2", "a.u.", "standard error of A2"},
      {"se_kb", "1/min", "standard error of kb"},
      {"se_kd", "1/min", "standard error of kd"},
      {"se_knt", "1/min", "standard error of knt"},
      {"se_t0", "min", "standard error of t0"},
      {"se_tmax", "min", "standard error of tmax"},
      {"rmse", "a.u.", "root mean square residual"},
      {"half_life_kb", "min", "buildup half-life ln2/kb"},
      {"half_life_kd", "min", "decay half-life ln2/kd"},
      {"half_life_knt", "min", "non-tracer half-life ln2/knt"},
      {"kb_kd_ratio", "", "kb/kd"},
      {"enhancement_pct", "%", "%Enhancement = 100 A1/A0"},
      {"nte_pct", "%", "%NTE = 100 A2/A0"},
      {"status", "", "fit status code (see summary.yaml)", true},
  };
  return specs;
}

const std::vector<int>& original_npy_maps() {
  static const std::vector<int> v = {kMapKb, kMapKd, kMapKnt, kMapA0, kMapA1, kMapA2, kMapT0, kMapTmax, kMapRSquared};
  return v;
}

const std::vector<std::string>& status_names() {
  static const std::vector<std::string> v = {"outside_mask", "ok", "fit_failed", "too_few_points", "parameter_at_bound", "not_processed"};
  return v;
}

namespace {

/// The maps of one item from its fit (NaN where the fit failed or a map is undefined).
KOKKOS_INLINE_FUNCTION void write_fit_maps(const ItemView& results, std::int64_t item, const VoxelFit& f) {
  const double nan = static_cast<double>(NAN);
  const double ln2 = 0.69314718055994530942;
  for (int m = 0; m < kMapCount; ++m) results(item, m) = nan;
  results(item, kMapStatus) = static_cast<double>(f.status);
  if (f.status != FitStatus::Ok && f.status != FitStatus::AtBound) return;
  const double* p = f.p;
  results(item, kMapA0) = p[0];
  results(item, kMapA1) = p[1];
  results(item, kMapA2) = p[2];
  results(item, kMapKb) = p[3];
  results(item, kMapKd) = p[4];
  results(item, kMapKnt) = p[5];
  results(item, kMapT0) = p[6];
  results(item, kMapTmax) = p[7];
  for (int q = 0; q < kNumParams; ++q) results(item, kMapSeA0 + q) = f.se[q];
  results(item, kMapRSquared) = f.r_squared;
  results(item, kMapRmse) = f.rmse;
  results(item, kMapHalfLifeKb) = ln2 / p[3];
  results(item, kMapHalfLifeKd) = ln2 / p[4];
  results(item, kMapHalfLifeKnt) = ln2 / p[5];
  results(item, kMapKbKdRatio) = p[3] / p[4];
  results(item, kMapEnhancementPct) = p[0] > 0 ? 100.0 * p[1] / p[0] : nan;
  results(item, kMapNtePct) = p[0] > 0 ? 100.0 * p[2] / p[0] : nan;
}

}  // namespace

void fit_kinetics_items(const ConstItemView& items, const Kokkos::View<const double*>& t_min,
                        std::int64_t begin, std::int64_t end, const ItemView& results) {
  const int n = static_cast<int>(t_min.extent(0));
  if (n > kMaxTimePoints)
    throw InputError("the series has " + std::to_string(n) + " time points; at most " +
                     std::to_string(kMaxTimePoints) + " are supported");
  if (static_cast<int>(items.extent(1)) != kinetics_item_width(n) || results.extent(1) != static_cast<size_t>(kMapCount) ||
      results.extent(0) < items.extent(0))
    throw InternalError("fit_kinetics_items: item width or result size does not match");
  if (end <= begin) return;
#if VOXFLOW_SIMD_LANES
  // SIMD across voxels: one lane driver per host thread (voxel_fit_lanes.hpp), all pulling the
  // next item from one shared counter, so the lanes refill across the whole range and threads
  // never wait behind a fixed share (fixed blocks of 2,048 voxels idled one thread for up to a
  // block per chunk, and every block ended with idle lanes). A voxel's result does not depend on
  // which voxels share its lanes, so results are the same for any thread count and order.
  std::atomic<std::int64_t> cursor{begin};
  const int threads = Kokkos::DefaultHostExecutionSpace().concurrency();
  Kokkos::parallel_for(
      "kinetics_fit_items_lanes", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, threads), [&](int) {
        fit_voxels_lanes_queue(
            t_min.data(), n,
            [&] {
              const std::int64_t k = cursor.fetch_add(1, std::memory_order_relaxed);
              return k < end ? k : std::int64_t{-1};
            },
            [&](std::int64_t k) { return &items(k, 0); },
            [&](std::int64_t k, const VoxelFit& f) { write_fit_maps(results, k, f); });
      });
#else
  Kokkos::parallel_for(
      "kinetics_fit_items", Kokkos::RangePolicy<>(begin, end), KOKKOS_LAMBDA(std::int64_t item) {
        // the times and the item's row are contiguous (1-D view, LayoutRight rows): no copy
        write_fit_maps(results, item, fit_voxel(t_min.data(), &items(item, 0), n));
      });
#endif
  Kokkos::fence();
}

}  // namespace voxflow::kinetics
