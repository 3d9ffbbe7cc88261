#pragma once
// One place for the Kokkos API differences voxflow meets between Kokkos 3.4 (Debian's
// libtrilinos-kokkos-dev) and 4.x (Spack): math functions moved from Kokkos::Experimental
// to Kokkos in 3.7, and Kokkos::bit_cast exists from 4.1 on. Kernels call voxflow::kmath::exp,
// voxflow::kmath::bit_cast etc.
#include <Kokkos_Core.hpp>
#include <cstring>
#include <type_traits>
#if KOKKOS_VERSION >= 40100
#include <Kokkos_BitManipulation.hpp>
#endif

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

#if KOKKOS_VERSION >= 40100
using Kokkos::bit_cast;
#else
/// std::bit_cast for kernels on Kokkos < 4.1 (what Kokkos::bit_cast does: a memcpy the compiler
/// turns into a register move, valid in device code).
template <class To, class From>
KOKKOS_FORCEINLINE_FUNCTION To bit_cast(const From& from) {
  static_assert(sizeof(To) == sizeof(From), "bit_cast needs types of one size");
  static_assert(std::is_trivially_copyable<To>::value && std::is_trivially_copyable<From>::value,
                "bit_cast needs trivially copyable types");
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}
#endif
}  // namespace voxflow::kmath
