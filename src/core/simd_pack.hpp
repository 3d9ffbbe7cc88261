#pragma once
// Packs of doubles in the lanes of one vector register, for host code that runs the same
// computation on kLanes independent items at once (SIMD across voxels, as Cpufit/Gpufit do
// across fits). Built on GCC/Clang vector extensions, so the arithmetic operators work lane by
// lane on Pack (and between a Pack and a double), comparisons give a Mask (-1 where true, 0
// where false) and `m ? a : b` selects per lane.
//
// VOXFLOW_SIMD_LANES is 1 only for host code on x86-64 compiled for AVX or later
// (VOXFLOW_NATIVE on an AVX machine): kLanes = 8 with AVX-512F, else 4. Everywhere else
// (portable builds, CUDA/HIP device code, other compilers or CPUs) it is 0, this header
// declares nothing, and callers keep their scalar path.
//
// Every function here is lane-wise: a lane's result depends on that lane's inputs only, never
// on the other lanes, so an item gets the same bits whichever lanes it shares.
#include <cstdint>

#if !defined(VOXFLOW_SIMD_LANES)
#if defined(__GNUC__) && defined(__x86_64__) && defined(__AVX__) && !defined(__CUDA_ARCH__) && \
    !defined(__HIP_DEVICE_COMPILE__) && !defined(__NVCC__) && !defined(__HIPCC__)
#define VOXFLOW_SIMD_LANES 1
#else
#define VOXFLOW_SIMD_LANES 0
#endif
#endif

#if VOXFLOW_SIMD_LANES
#include <immintrin.h>

namespace voxflow::simd {

#if defined(__AVX512F__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif

/// kLanes doubles (one AVX-512 or AVX register).
typedef double Pack __attribute__((vector_size(8 * kLanes)));
/// kLanes 64-bit integers: comparison results (-1 true, 0 false) and integer lane values.
typedef std::int64_t Mask __attribute__((vector_size(8 * kLanes)));

/// x in every lane.
inline Pack broadcast(double x) { return Pack{} + x; }

/// Lane-wise m ? a : b (m from a comparison: -1 or 0 per lane).
inline Pack select(Mask m, Pack a, Pack b) { return m ? a : b; }
inline Mask select(Mask m, Mask a, Mask b) { return m ? a : b; }

/// True if any lane / every lane of m is non-zero (one test instruction: the kinetics fit asks
/// this at every branch of its solver, and the loop over the lanes it replaces cost ~3 % there).
inline bool any(Mask m) {
#if defined(__AVX512F__)
  const __m512i v = __builtin_bit_cast(__m512i, m);
  return _mm512_test_epi64_mask(v, v) != 0;
#else
  const __m256i v = __builtin_bit_cast(__m256i, m);
  return !_mm256_testz_si256(v, v);
#endif
}
inline bool all(Mask m) {
#if defined(__AVX512F__)
  const __m512i v = __builtin_bit_cast(__m512i, m);
  return _mm512_test_epi64_mask(v, v) == 0xFF;
#else
  return !any(m == 0);
#endif
}

/// Lane-wise minimum / maximum (b where a is NaN, as a < b ? a : b).
inline Pack min(Pack a, Pack b) { return a < b ? a : b; }
inline Pack max(Pack a, Pack b) { return a > b ? a : b; }

/// Lane-wise |a| (clears the sign bit; NaN stays NaN).
inline Pack abs(Pack a) { return __builtin_bit_cast(Pack, __builtin_bit_cast(Mask, a) & (Mask{} + INT64_MAX)); }

/// Lane-wise correctly rounded square root (the IEEE operation; NaN for a < 0).
inline Pack sqrt(Pack a) {
#if defined(__AVX512F__)
  // the masked builtin with a as the pass-through (the _mm512_sqrt_pd wrapper passes an
  // undefined vector there, which GCC 12 reports as uninitialised wherever it is inlined)
  const __m512d v = __builtin_bit_cast(__m512d, a);
  return __builtin_bit_cast(Pack, __builtin_ia32_sqrtpd512_mask(v, v, static_cast<__mmask8>(-1), _MM_FROUND_CUR_DIRECTION));
#else
  return __builtin_bit_cast(Pack, _mm256_sqrt_pd(__builtin_bit_cast(__m256d, a)));
#endif
}

/// Lane-wise a * b + c with one rounding (fused multiply-add) where the CPU has FMA, else
/// a * b + c with two roundings. Either way a lane's result depends on its own inputs only.
inline Pack fma(Pack a, Pack b, Pack c) {
#if defined(__AVX512F__)
  return __builtin_bit_cast(Pack, _mm512_fmadd_pd(__builtin_bit_cast(__m512d, a), __builtin_bit_cast(__m512d, b),
                                                  __builtin_bit_cast(__m512d, c)));
#elif defined(__FMA__)
  return __builtin_bit_cast(Pack, _mm256_fmadd_pd(__builtin_bit_cast(__m256d, a), __builtin_bit_cast(__m256d, b),
                                                  __builtin_bit_cast(__m256d, c)));
#else
  return a * b + c;
#endif
}

/// Lane-wise "x is finite" (not NaN, not +-inf).
inline Mask isfinite(Pack x) { return abs(x) <= 1.7976931348623157e308; }

/// Lane-wise exp(x), within 1 ulp of glibc's std::exp on the whole double range (checked against
/// std::exp in tests/test_simd_pack.cpp); exp(x) = 0 below -745.14, +inf above 709.79, NaN for
/// NaN. Method (Cody & Waite 1980; Tang 1989): k = round(x / ln 2), r = x - k ln 2 with ln 2
/// split in a high part (k * hi exact) and a low part, |r| <= ln2 / 2; exp(r) by its Taylor
/// polynomial to degree 13 (truncation error < 2e-17 relative), in Horner form; then times
/// 2^k built in the exponent bits, in two factors so that subnormal results come out right.
inline Pack exp(Pack x) {
  const Pack xc = min(max(x, broadcast(-746.0)), broadcast(710.0));  // NaN -> -746 here, restored at the end
  const Pack shifter = broadcast(6755399441055744.0);                  // 1.5 * 2^52: rounds to nearest integer
  const Pack kd = (xc * 1.4426950408889634 + shifter) - shifter;
  const Pack ln2_hi = broadcast(6.93147180369123816490e-01);  // 0x3FE62E42FEE00000: k * hi exact for |k| < 2^11
  const Pack ln2_lo = broadcast(1.90821492927058770002e-10);
  const Pack r = (xc - kd * ln2_hi) - kd * ln2_lo;
  // Taylor coefficients 1/j!, j = 13 .. 0
  Pack p = broadcast(1.6059043836821613e-10);
  p = p * r + 2.08767569878680990e-09;
  p = p * r + 2.50521083854417188e-08;
  p = p * r + 2.75573192239858907e-07;
  p = p * r + 2.75573192239858883e-06;
  p = p * r + 2.48015873015873016e-05;
  p = p * r + 1.98412698412698413e-04;
  p = p * r + 1.38888888888888894e-03;
  p = p * r + 8.33333333333333322e-03;
  p = p * r + 4.16666666666666644e-02;
  p = p * r + 1.66666666666666657e-01;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k = 2^k1 2^k2, k1 = floor(k / 2): each factor a normal double for k in [-1076, 1024]
  const Mask k = __builtin_convertvector(kd, Mask);
  const Mask k1 = k >> 1;
  const Mask k2 = k - k1;
  const Mask b1 = (k1 + 1023) << 52;
  const Mask b2 = (k2 + 1023) << 52;
  Pack y = p * __builtin_bit_cast(Pack, b1) * __builtin_bit_cast(Pack, b2);
  y = select(x < -745.2, broadcast(0.0), y);
  y = select(x > 709.8, broadcast(__builtin_inf()), y);
  return select(x == x, y, x);  // NaN in, NaN out
}

}  // namespace voxflow::simd
#endif
