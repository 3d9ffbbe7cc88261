#pragma once
// The counter-based hash behind every rank-independent random number in voxflow (phantom noise,
// bootstrap draws): the same value for a (seed, voxel, ...) key on any number of ranks.
#include <Kokkos_Core.hpp>
#include <cstdint>

namespace voxflow {

/// SplitMix64 output function (Steele, Lea & Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014; Vigna's splitmix64.c): z = x + 0x9E3779B97F4A7C15, then the two
/// xor-shift-multiply rounds and a final xor-shift, uint64 with wrap-around. splitmix64(x) is
/// the first output of a SplitMix64 generator whose state is x; splitmix64(0) = 0xE220A8397B1DCDAF.
KOKKOS_INLINE_FUNCTION std::uint64_t splitmix64(std::uint64_t x) {
  std::uint64_t z = x + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace voxflow
