// Per-label sums over a distributed volume.
#include "src/tia/label_statistics.hpp"

#include <mpi.h>

#include <cmath>
#include <limits>

#include "src/core/error.hpp"

namespace voxflow::tia {

double LabelSums::mean(int label, int k) const {
  if (label < 0 || label > max_label || k < 0 || k >= columns) return std::numeric_limits<double>::quiet_NaN();
  const double n = finite[static_cast<size_t>(label) * columns + k];
  return n > 0 ? sum[static_cast<size_t>(label) * columns + k] / n : std::numeric_limits<double>::quiet_NaN();
}

LabelSums label_sums(const SlabLayout& layout, const Kokkos::View<const float**>& values,
                     const Kokkos::View<const std::int32_t*>& labels, const Kokkos::View<const std::uint8_t*>& selected,
                     int max_label, const Comm& comm) {
  if (max_label < 0) throw InternalError("label_sums: max_label < 0");
  LabelSums s;
  s.max_label = max_label;
  s.columns = static_cast<int>(values.extent(1));
  const size_t nl = static_cast<size_t>(max_label) + 1;
  const size_t cols = static_cast<size_t>(s.columns);
  // per plane: [count, sum x cols, finite x cols] per label
  const size_t stride = nl * (1 + 2 * cols);
  const std::int64_t nz = layout.grid.nz();
  const std::int64_t P = layout.plane_size();
  std::vector<double> planes(static_cast<size_t>(nz) * stride, 0.0);
  auto vh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), values);
  auto lh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), labels);
  auto sh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), selected);
  const bool all = selected.extent(0) == 0;
  if (static_cast<std::int64_t>(vh.extent(0)) != layout.owned_voxels() || lh.extent(0) != vh.extent(0) ||
      (!all && sh.extent(0) != vh.extent(0)))
    throw InternalError("label_sums: values, labels and selection differ in length from the slab");
  for (size_t v = 0; v < vh.extent(0); ++v) {
    const int L = lh(v);
    if (L < 0 || L > max_label || (!all && !sh(v))) continue;
    const std::int64_t z = layout.slab.z0 + static_cast<std::int64_t>(v) / P;
    double* base = planes.data() + static_cast<size_t>(z) * stride + static_cast<size_t>(L) * (1 + 2 * cols);
    base[0] += 1.0;
    for (size_t k = 0; k < cols; ++k) {
      const double x = vh(v, k);
      if (!std::isfinite(x)) continue;
      base[1 + k] += x;
      base[1 + cols + k] += 1.0;
    }
  }
  if (MPI_Allreduce(MPI_IN_PLACE, planes.data(), static_cast<int>(planes.size()), MPI_DOUBLE, MPI_SUM, comm.comm) !=
      MPI_SUCCESS)
    throw InternalError("label_sums: MPI_Allreduce failed");
  s.count.assign(nl, 0.0);
  s.sum.assign(nl * cols, 0.0);
  s.finite.assign(nl * cols, 0.0);
  for (std::int64_t z = 0; z < nz; ++z) {
    for (size_t L = 0; L < nl; ++L) {
      const double* base = planes.data() + static_cast<size_t>(z) * stride + L * (1 + 2 * cols);
      s.count[L] += base[0];
      for (size_t k = 0; k < cols; ++k) {
        s.sum[L * cols + k] += base[1 + k];
        s.finite[L * cols + k] += base[1 + cols + k];
      }
    }
  }
  return s;
}

}  // namespace voxflow::tia
