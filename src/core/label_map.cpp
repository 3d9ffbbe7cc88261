#include "src/core/label_map.hpp"

namespace voxflow {

Kokkos::View<std::int32_t*> decode_labels(const Volume3D& label_map) {
  const std::int64_t n = label_map.layout.owned_voxels();
  const std::int64_t off = label_map.layout.owned_to_storage(0);
  Kokkos::View<std::int32_t*> labels("labels", static_cast<size_t>(n));
  auto lf = label_map.data;
  Kokkos::parallel_for(
      "decode_labels", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(std::int64_t v) {
        const float x = lf(v + off);
        labels(v) = (x == x && x >= 0.0f && x < 2147483647.0f) ? static_cast<std::int32_t>(x + 0.5f) : -1;
      });
  Kokkos::fence();
  return labels;
}

}  // namespace voxflow
