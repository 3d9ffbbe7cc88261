#pragma once
// One place for the Kokkos API differences voxflow meets between Kokkos 3.4 (Debian's
// libtrilinos-kokkos-dev) and 4.x (Spack): math functions moved from Kokkos::Experimental
// to Kokkos in 3.7. Kernels call voxflow::kmath::exp etc.
#include <Kokkos_Core.hpp>

namespace voxflow::kmath {
#if KOKKOS_VERSION >= 30700
using Kokkos::acos;
using Kokkos::cos;
using Kokkos::exp;
using Kokkos::fabs;
using Kokkos::log;
using Kokkos::sqrt;
using Kokkos::isfinite;
#else
using Kokkos::Experimental::acos;
using Kokkos::Experimental::cos;
using Kokkos::Experimental::exp;
using Kokkos::Experimental::fabs;
using Kokkos::Experimental::log;
using Kokkos::Experimental::sqrt;
using Kokkos::Experimental::isfinite;
#endif
}  // namespace voxflow::kmath
