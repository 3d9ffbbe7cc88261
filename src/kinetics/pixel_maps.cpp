#include "src/kinetics/pixel_maps.hpp"

#include <cmath>
#include <limits>

#include "src/core/error.hpp"
#include "src/kinetics/voxel_fit.hpp"

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
      {"status", "", "fit status code (see summary.yaml)"},
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

PixelMaps::PixelMaps(const SlabLayout& series_layout) {
  layout = series_layout;
  layout.halo = 0;
  values = Kokkos::View<float**>("pixel_maps", static_cast<size_t>(layout.owned_voxels()), kMapCount);
  done = Kokkos::View<std::uint8_t*>("pixel_maps_done", static_cast<size_t>(layout.owned_voxels()));
  Kokkos::deep_copy(values, std::numeric_limits<float>::quiet_NaN());
  Kokkos::deep_copy(Kokkos::subview(values, Kokkos::ALL, static_cast<int>(kMapStatus)), kStatusNotProcessed);
}

Volume3D PixelMaps::map(int index) const {
  Volume3D v(layout.grid, layout.slab, 0, map_specs()[index].name);
  v.units = map_specs()[index].units;
  auto src = Kokkos::subview(values, Kokkos::ALL, index);
  auto dst = v.data;
  Kokkos::parallel_for("copy_map", Kokkos::RangePolicy<>(0, static_cast<std::int64_t>(dst.extent(0))),
                       KOKKOS_LAMBDA(std::int64_t i) { dst(i) = src(i); });
  Kokkos::fence();
  return v;
}

void PixelMaps::set_map(int index, const Volume3D& vol) {
  auto dst = Kokkos::subview(values, Kokkos::ALL, index);
  auto src = vol.data;
  const std::int64_t off = vol.layout.halo * vol.layout.plane_size();
  Kokkos::parallel_for("set_map", Kokkos::RangePolicy<>(0, static_cast<std::int64_t>(dst.extent(0))),
                       KOKKOS_LAMBDA(std::int64_t i) { dst(i) = src(i + off); });
  Kokkos::fence();
}

void fit_voxel_range(const Volume4D& series, int first_frame, const Kokkos::View<const double*>& t_min,
                     const Kokkos::View<const std::uint8_t*>& selected, PixelMaps& maps,
                     const Kokkos::View<const std::int64_t*>& voxels, std::int64_t begin, std::int64_t end) {
  const int n = static_cast<int>(t_min.extent(0));
  if (n > kMaxTimePoints)
    throw InputError("the series has " + std::to_string(n) + " time points; at most " +
                     std::to_string(kMaxTimePoints) + " are supported");
  const auto data = series.data;
  const std::int64_t halo_off = series.layout.halo * series.layout.plane_size();
  auto out = maps.values;
  auto done = maps.done;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const double ln2 = std::log(2.0);
  Kokkos::parallel_for(
      "kinetics_fit_voxels", Kokkos::RangePolicy<>(begin, end), KOKKOS_LAMBDA(std::int64_t item) {
        const std::int64_t v = voxels(item);
        for (int m = 0; m < kMapCount; ++m) out(v, m) = nan;
        done(v) = 1;
        if (!selected(v)) {
          out(v, kMapStatus) = static_cast<float>(FitStatus::OutsideMask);
          return;
        }
        double t[kMaxTimePoints];
        double y[kMaxTimePoints];
        for (int k = 0; k < n; ++k) {
          t[k] = t_min(k);
          y[k] = static_cast<double>(data(v + halo_off, first_frame + k));
        }
        const VoxelFit f = fit_voxel(t, y, n);
        out(v, kMapStatus) = static_cast<float>(f.status);
        if (f.status != FitStatus::Ok && f.status != FitStatus::AtBound) return;
        const double* p = f.p;
        out(v, kMapA0) = static_cast<float>(p[0]);
        out(v, kMapA1) = static_cast<float>(p[1]);
        out(v, kMapA2) = static_cast<float>(p[2]);
        out(v, kMapKb) = static_cast<float>(p[3]);
        out(v, kMapKd) = static_cast<float>(p[4]);
        out(v, kMapKnt) = static_cast<float>(p[5]);
        out(v, kMapT0) = static_cast<float>(p[6]);
        out(v, kMapTmax) = static_cast<float>(p[7]);
        for (int q = 0; q < kNumParams; ++q) out(v, kMapSeA0 + q) = static_cast<float>(f.se[q]);
        out(v, kMapRSquared) = static_cast<float>(f.r_squared);
        out(v, kMapRmse) = static_cast<float>(f.rmse);
        out(v, kMapHalfLifeKb) = static_cast<float>(ln2 / p[3]);
        out(v, kMapHalfLifeKd) = static_cast<float>(ln2 / p[4]);
        out(v, kMapHalfLifeKnt) = static_cast<float>(ln2 / p[5]);
        out(v, kMapKbKdRatio) = static_cast<float>(p[3] / p[4]);
        out(v, kMapEnhancementPct) = p[0] > 0 ? static_cast<float>(100.0 * p[1] / p[0]) : nan;
        out(v, kMapNtePct) = p[0] > 0 ? static_cast<float>(100.0 * p[2] / p[0]) : nan;
      });
  Kokkos::fence();
}

Volume4D sliding_window_mean(const Volume4D& series, int window) {
  if (window < 1 || window % 2 == 0)
    throw InputError("--window must be an odd number >= 1 (got " + std::to_string(window) + ")");
  const int r = window / 2;
  const SlabLayout& L = series.layout;
  if (L.halo < r && L.slab.ranks > 1)
    throw InternalError("sliding_window_mean: halo " + std::to_string(L.halo) + " < window radius");
  Volume4D out(L.grid, L.slab, 0, "windowed_series");
  out.frame_times_s = series.frame_times_s;
  const auto in = series.data;
  auto o = out.data;
  const std::int64_t nx = L.grid.nx(), ny = L.grid.ny(), nz = L.grid.nz(), nt = L.grid.nt;
  const std::int64_t z0 = L.slab.z0, halo = L.halo;
  const std::int64_t P = nx * ny;
  Kokkos::parallel_for(
      "sliding_window_mean", Kokkos::RangePolicy<>(0, L.owned_voxels()), KOKKOS_LAMBDA(std::int64_t v) {
        const std::int64_t i = v % nx, j = (v / nx) % ny, k = v / P;
        const std::int64_t zg = z0 + k;
        const std::int64_t i0 = i - r < 0 ? 0 : i - r, i1 = i + r >= nx ? nx - 1 : i + r;
        const std::int64_t j0 = j - r < 0 ? 0 : j - r, j1 = j + r >= ny ? ny - 1 : j + r;
        const std::int64_t zlo = zg - r < 0 ? 0 : zg - r, zhi = zg + r >= nz ? nz - 1 : zg + r;
        const double cnt = static_cast<double>((i1 - i0 + 1) * (j1 - j0 + 1) * (zhi - zlo + 1));
        for (std::int64_t t = 0; t < nt; ++t) {
          double s = 0;
          for (std::int64_t z = zlo; z <= zhi; ++z) {
            const std::int64_t kk = z - z0 + halo;  // storage plane
            for (std::int64_t jj = j0; jj <= j1; ++jj)
              for (std::int64_t ii = i0; ii <= i1; ++ii) s += in(ii + nx * (jj + ny * kk), t);
          }
          o(v, t) = static_cast<float>(s / cnt);
        }
      });
  Kokkos::fence();
  return out;
}

}  // namespace voxflow::kinetics
