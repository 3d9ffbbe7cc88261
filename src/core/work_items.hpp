#pragma once
// Work items of a voxel-wise kernel: one row of doubles per voxel (its curve and whatever the
// kernel needs), and result rows, one column per map. Rows are contiguous on every backend
// (LayoutRight, also on CUDA), so a kernel may hand a row to per-curve code as a pointer.
#include <Kokkos_Core.hpp>

namespace voxflow {

using ItemView = Kokkos::View<double**, Kokkos::LayoutRight>;
using ConstItemView = Kokkos::View<const double**, Kokkos::LayoutRight>;

}  // namespace voxflow
