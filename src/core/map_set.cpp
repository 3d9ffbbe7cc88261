#include "src/core/map_set.hpp"

#include <limits>
#include <utility>

#include "src/core/error.hpp"

namespace voxflow {

MapSet::MapSet(const SlabLayout& layout_any_halo, std::vector<MapSpec> map_specs, const std::string& label)
    : layout(layout_any_halo), specs(std::move(map_specs)) {
  layout.halo = 0;
  const auto n = static_cast<size_t>(layout.owned_voxels());
  values = Kokkos::View<float**>(label + "_values", n, specs.size());
  done = Kokkos::View<std::uint8_t*>(label + "_done", n);
  Kokkos::deep_copy(values, std::numeric_limits<float>::quiet_NaN());
}

int MapSet::index(const std::string& name) const {
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name) return static_cast<int>(i);
  return -1;
}

Volume3D MapSet::map(int index) const {
  if (index < 0 || index >= count()) throw InternalError("MapSet::map: no map " + std::to_string(index));
  Volume3D v(layout.grid, layout.slab, 0, specs[static_cast<size_t>(index)].name);
  v.units = specs[static_cast<size_t>(index)].units;
  auto src = Kokkos::subview(values, Kokkos::ALL, index);
  auto dst = v.data;
  Kokkos::parallel_for("map_set_copy_map", Kokkos::RangePolicy<>(0, static_cast<std::int64_t>(dst.extent(0))),
                       KOKKOS_LAMBDA(std::int64_t i) { dst(i) = src(i); });
  Kokkos::fence();
  return v;
}

void MapSet::set_map(int index, const Volume3D& vol) {
  if (index < 0 || index >= count()) throw InternalError("MapSet::set_map: no map " + std::to_string(index));
  auto dst = Kokkos::subview(values, Kokkos::ALL, index);
  auto src = vol.data;
  const std::int64_t off = vol.layout.halo * vol.layout.plane_size();
  Kokkos::parallel_for("map_set_set_map", Kokkos::RangePolicy<>(0, static_cast<std::int64_t>(dst.extent(0))),
                       KOKKOS_LAMBDA(std::int64_t i) { dst(i) = src(i + off); });
  Kokkos::fence();
}

void MapSet::fill(int index, float value) {
  if (index < 0 || index >= count()) throw InternalError("MapSet::fill: no map " + std::to_string(index));
  Kokkos::deep_copy(Kokkos::subview(values, Kokkos::ALL, index), value);
}

Volume3D MapSet::done_map() const {
  Volume3D v(layout.grid, layout.slab, 0, "done");
  auto d = done;
  auto o = v.data;
  Kokkos::parallel_for("map_set_done_map", Kokkos::RangePolicy<>(0, static_cast<std::int64_t>(o.extent(0))),
                       KOKKOS_LAMBDA(std::int64_t i) { o(i) = d(i) ? 1.0f : 0.0f; });
  Kokkos::fence();
  return v;
}

void MapSet::set_done(const Volume3D& vol) {
  auto d = done;
  auto src = vol.data;
  const std::int64_t off = vol.layout.halo * vol.layout.plane_size();
  Kokkos::parallel_for("map_set_set_done", Kokkos::RangePolicy<>(0, static_cast<std::int64_t>(d.extent(0))),
                       KOKKOS_LAMBDA(std::int64_t i) { d(i) = src(i + off) != 0.0f ? 1 : 0; });
  Kokkos::fence();
}

void MapSet::scatter(const std::int64_t* voxels, std::int64_t n, const double* rows, std::int64_t stride, bool marked) {
  const auto m = static_cast<std::int64_t>(specs.size());
  if (stride < m + (marked ? 1 : 0))
    throw InternalError("MapSet::scatter: rows of " + std::to_string(stride) + " values for " + std::to_string(m) + " maps" +
                        (marked ? " and a mark" : ""));
  if (n <= 0) return;
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), values);
  auto dh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), done);
  for (std::int64_t i = 0; i < n; ++i) {
    const double* r = rows + i * stride;
    if (marked && r[m] == 0.0) continue;
    const auto v = static_cast<size_t>(voxels[i]);
    for (std::int64_t c = 0; c < m; ++c) h(v, static_cast<size_t>(c)) = static_cast<float>(r[c]);
    dh(v) = 1;
  }
  Kokkos::deep_copy(values, h);
  Kokkos::deep_copy(done, dh);
}

std::vector<long long> MapSet::code_counts(int index, int n_codes, const Comm& comm) const {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), values);
  std::vector<long long> c(static_cast<size_t>(n_codes), 0);
  for (size_t v = 0; v < h.extent(0); ++v) {
    const float x = h(v, static_cast<size_t>(index));
    if (!(x >= 0.0f && x < static_cast<float>(n_codes))) continue;
    ++c[static_cast<size_t>(x)];
  }
  for (auto& x : c) x = comm.sum(x);
  return c;
}

}  // namespace voxflow
