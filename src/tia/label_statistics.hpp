#pragma once
// Per-label sums over a distributed volume (region mean TACs for region mode, ROI tables for
// `voxflow tia-roi`), reduced over all ranks.
#include <Kokkos_Core.hpp>
#include <cstdint>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::tia {

/// Sums of `columns` per label: count[L] voxels and sum[L * columns + k] of values(v, k) over
/// the owned voxels with labels(v) == L and selected(v) != 0 (an empty `selected` selects all),
/// skipping non-finite values per column (finite[L * columns + k] counts the values summed).
/// Labels outside [0, max_label] are ignored. `layout` is the slab layout of the owned voxels
/// (halo 0 indexing: v = i + nx * (j + ny * k_local)). Collective: sums are formed per global
/// xy-plane, combined with MPI_Allreduce (each plane's sum comes from one rank, the others add
/// exact zeros) and then added plane by plane in z order, so the result is bit-identical on
/// every rank and for any number of ranks.
struct LabelSums {
  int max_label = 0, columns = 0;
  std::vector<double> count;
  std::vector<double> sum;
  std::vector<double> finite;
  /// mean of column k over label L's voxels with a finite value (NaN when none)
  double mean(int label, int k) const;
};
LabelSums label_sums(const SlabLayout& layout, const Kokkos::View<const float**>& values, const Kokkos::View<const std::int32_t*>& labels,
                     const Kokkos::View<const std::uint8_t*>& selected, int max_label, const Comm& comm);

}  // namespace voxflow::tia
