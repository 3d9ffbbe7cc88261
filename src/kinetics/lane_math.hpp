#pragma once
// The value-type operations the kinetics solver (bounded_lm.hpp) is written against, so that
// one copy of the Trust Region Reflective algorithm runs on V = double (one problem: CUDA/HIP
// device code, portable builds, bounded_least_squares) and on V = voxflow::simd::Pack (one
// problem per lane of a host vector register, voxel_fit_lanes.hpp).
//
// For a value type V with mask type M (bool for double; the comparison result type for Pack):
//   lsel(m, a, b)  m ? a : b per lane          lany(m) / lall(m)  any / every lane set
//   land, lor, lnot                           mask logic
//   lsplat<V>(c)   c in every lane             lsqrt, lfabs, lfinite   per lane
// Every operation is per lane and exactly the scalar operation (IEEE sqrt, no contraction:
// builds use -ffp-contract=off), so a lane's value never depends on the other lanes.
#include <Kokkos_Core.hpp>

#include "src/core/kokkos_compat.hpp"

#include "src/core/simd_pack.hpp"

namespace voxflow::kinetics::lane {

// ---- V = double -------------------------------------------------------------------------
KOKKOS_INLINE_FUNCTION double lsel(bool m, double a, double b) { return m ? a : b; }
KOKKOS_INLINE_FUNCTION bool lsel(bool m, bool a, bool b) { return m ? a : b; }
KOKKOS_INLINE_FUNCTION bool lany(bool m) { return m; }
KOKKOS_INLINE_FUNCTION bool lall(bool m) { return m; }
KOKKOS_INLINE_FUNCTION bool land(bool a, bool b) { return a && b; }
KOKKOS_INLINE_FUNCTION bool lor(bool a, bool b) { return a || b; }
KOKKOS_INLINE_FUNCTION bool lnot(bool a) { return !a; }
KOKKOS_INLINE_FUNCTION double lsqrt(double x) { return voxflow::kmath::sqrt(x); }
KOKKOS_INLINE_FUNCTION double lfabs(double x) { return voxflow::kmath::fabs(x); }
KOKKOS_INLINE_FUNCTION bool lfinite(double x) { return voxflow::kmath::isfinite(x); }

/// The mask type of a value type, and a value with c in every lane.
template <class V>
struct LaneTraits;
template <>
struct LaneTraits<double> {
  using mask = bool;
  KOKKOS_INLINE_FUNCTION static double splat(double c) { return c; }
  KOKKOS_INLINE_FUNCTION static bool splat_mask(bool c) { return c; }
};
template <class V>
KOKKOS_INLINE_FUNCTION V lsplat(double c) {
  return LaneTraits<V>::splat(c);
}
template <class V>
using MaskOf = typename LaneTraits<V>::mask;
template <class V>
KOKKOS_INLINE_FUNCTION MaskOf<V> lmask(bool c) {
  return LaneTraits<V>::splat_mask(c);
}

// ---- V = simd::Pack (host lanes) --------------------------------------------------------
#if VOXFLOW_SIMD_LANES
using simd::Pack;
using SMask = simd::Mask;
inline Pack lsel(SMask m, Pack a, Pack b) { return simd::select(m, a, b); }
inline SMask lsel(SMask m, SMask a, SMask b) { return simd::select(m, a, b); }
inline bool lany(SMask m) { return simd::any(m); }
inline bool lall(SMask m) { return simd::all(m); }
inline SMask land(SMask a, SMask b) { return a & b; }
inline SMask lor(SMask a, SMask b) { return a | b; }
inline SMask lnot(SMask a) { return ~a; }
inline Pack lsqrt(Pack x) { return simd::sqrt(x); }
inline Pack lfabs(Pack x) { return simd::abs(x); }
inline SMask lfinite(Pack x) { return simd::isfinite(x); }
template <>
struct LaneTraits<Pack> {
  using mask = SMask;
  static Pack splat(double c) { return simd::broadcast(c); }
  static SMask splat_mask(bool c) { return SMask{} + (c ? -1 : 0); }
};
#endif

}  // namespace voxflow::kinetics::lane
