#include "src/tia/body_mask.hpp"

#include <cmath>
#include <string>

#include "src/core/error.hpp"
#include "src/filters/otsu.hpp"

namespace voxflow::tia {

Volume3D body_mask(const Volume3D& sum, double min_fraction_of_max, const Comm& comm) {
  if (!std::isfinite(min_fraction_of_max) || min_fraction_of_max < 0.0 || min_fraction_of_max > 1.0)
    throw InputError("mask.min_fraction_of_max must be in [0, 1], got " + std::to_string(min_fraction_of_max));
  const filters::OtsuHistogram h = filters::otsu_histogram(sum, comm);
  const double thr = filters::otsu_from_histogram(h);
  const double floor = min_fraction_of_max * static_cast<double>(h.max);
  Volume3D mask(sum.layout.grid, sum.layout.slab, 0, "tia_body_mask");
  const auto src = sum.data;
  const auto dst = mask.data;
  const std::int64_t off = sum.layout.owned_to_storage(0);
  const std::int64_t nv = sum.layout.owned_voxels();
  if (nv > 0)
    Kokkos::parallel_for(
        "tia_body_mask", Kokkos::RangePolicy<>(0, nv), KOKKOS_LAMBDA(std::int64_t v) {
          const double s = static_cast<double>(src(off + v));
          dst(v) = (s > thr && s >= floor) ? 1.0f : 0.0f;  // NaN compares false
        });
  return mask;
}

}  // namespace voxflow::tia
