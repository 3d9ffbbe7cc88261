#include "src/filters/masked_gaussian.hpp"

#include <string>

#include "src/core/error.hpp"
#include "src/filters/gaussian.hpp"

namespace voxflow::filters {

namespace detail {

void check_mask(const SlabLayout& act, const SlabLayout& mask) {
  if (act.grid.dims != mask.grid.dims)
    throw InputError("masked gaussian: the mask grid " + mask.grid.describe() + " differs from the activity grid " +
                     act.grid.describe());
  if (act.slab.z0 != mask.slab.z0 || act.slab.nz != mask.slab.nz)
    throw InternalError("masked gaussian: mask and activity have different slabs");
}

/// Shared state: 0/1 mask (halo 0), den = G(mask), the filter and one time point buffer.
struct MaskedGaussianState {
  GaussianFilter g;
  Volume3D m, den, buf;
  MaskedGaussianState(const SlabLayout& L, const Volume3D& mask, const std::array<double, 3>& s, double truncate,
                      const Comm& comm)
      : g(L, s, truncate),
        m(L.grid, L.slab, 0, "mg_mask"),
        den(L.grid, L.slab, 0, "mg_den"),
        buf(L.grid, L.slab, 0, "mg_buf") {
    const auto src = mask.data;
    const auto dst = m.data;
    const std::int64_t off = mask.layout.owned_to_storage(0), nv = L.owned_voxels();
    if (nv > 0)
      Kokkos::parallel_for(
          "mg_mask01", Kokkos::RangePolicy<>(0, nv),
          KOKKOS_LAMBDA(std::int64_t v) { dst(v) = src(off + v) != 0.0f ? 1.0f : 0.0f; });
    g.apply(m, den, comm);
  }
};

}  // namespace detail

void masked_gaussian(Volume4D& act, const Volume3D& mask, std::array<double, 3> sigma_vox, const Comm& comm,
                     double truncate) {
  detail::check_mask(act.layout, mask.layout);
  SlabLayout L = act.layout;
  L.halo = 0;
  detail::MaskedGaussianState st(L, mask, sigma_vox, truncate, comm);
  const std::int64_t off = act.layout.owned_to_storage(0), nv = L.owned_voxels();
  const auto a = act.data;
  const auto m = st.m.data;
  const auto den = st.den.data;
  const auto buf = st.buf.data;
  for (std::int64_t t = 0; t < act.nt(); ++t) {
    if (nv > 0)
      Kokkos::parallel_for(
          "mg_gather4d", Kokkos::RangePolicy<>(0, nv),
          KOKKOS_LAMBDA(std::int64_t v) { buf(v) = m(v) != 0.0f ? a(off + v, t) : 0.0f; });
    st.g.apply(st.buf, st.buf, comm);  // in place is allowed: the filter reads `in` in its first pass only
    if (nv > 0)
      Kokkos::parallel_for(
          "mg_scatter4d", Kokkos::RangePolicy<>(0, nv), KOKKOS_LAMBDA(std::int64_t v) {
            if (m(v) != 0.0f) a(off + v, t) = den(v) > 0.0f ? buf(v) / den(v) : 0.0f;
          });
  }
  Kokkos::fence();
}

void masked_gaussian(Volume3D& act, const Volume3D& mask, std::array<double, 3> sigma_vox, const Comm& comm,
                     double truncate) {
  detail::check_mask(act.layout, mask.layout);
  SlabLayout L = act.layout;
  L.halo = 0;
  detail::MaskedGaussianState st(L, mask, sigma_vox, truncate, comm);
  const std::int64_t off = act.layout.owned_to_storage(0), nv = L.owned_voxels();
  const auto a = act.data;
  const auto m = st.m.data;
  const auto den = st.den.data;
  const auto buf = st.buf.data;
  if (nv > 0)
    Kokkos::parallel_for(
        "mg_gather3d", Kokkos::RangePolicy<>(0, nv),
        KOKKOS_LAMBDA(std::int64_t v) { buf(v) = m(v) != 0.0f ? a(off + v) : 0.0f; });
  st.g.apply(st.buf, st.buf, comm);
  if (nv > 0)
    Kokkos::parallel_for(
        "mg_scatter3d", Kokkos::RangePolicy<>(0, nv), KOKKOS_LAMBDA(std::int64_t v) {
          if (m(v) != 0.0f) a(off + v) = den(v) > 0.0f ? buf(v) / den(v) : 0.0f;
        });
  Kokkos::fence();
}

}  // namespace voxflow::filters
