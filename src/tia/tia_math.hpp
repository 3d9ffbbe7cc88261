#pragma once
// Math functions of the TIA kernels, usable in device code with Kokkos 3.4 and 4.x:
// voxflow::kmath (src/core/kokkos_compat.hpp) plus lgamma, which kokkos_compat does not alias
// (math functions moved from Kokkos::Experimental to Kokkos in 3.7), and a NaN constant.
#include <Kokkos_Core.hpp>
#include <cmath>  // NAN

#include "src/core/kokkos_compat.hpp"

namespace voxflow::tia::tmath {

using voxflow::kmath::exp;
using voxflow::kmath::fabs;
using voxflow::kmath::isfinite;
using voxflow::kmath::log;
using voxflow::kmath::sqrt;
#if KOKKOS_VERSION >= 30700
using Kokkos::lgamma;
#else
using Kokkos::Experimental::lgamma;
#endif

/// Quiet NaN (the value of every undefined output).
KOKKOS_INLINE_FUNCTION double nan() { return static_cast<double>(NAN); }

}  // namespace voxflow::tia::tmath
