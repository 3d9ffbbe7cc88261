#pragma once
// Content fingerprints that do not depend on the decomposition: a checkpoint records the
// fingerprint of its input and options, and --resume refuses a checkpoint from anything else.
#include <cstdint>
#include <string>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow {

/// 64-bit FNV-1a of bytes, continuing from `seed` (FNV offset basis by default).
std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t seed = 1469598103934665603ull);

/// Fingerprint of a distributed 4D volume's owned values (bit patterns) and grid: each rank hashes
/// its planes, the per-plane hashes are gathered in z order and combined, so 1, 2 or N ranks give
/// the same number. Collective.
std::uint64_t fingerprint(const Volume4D& vol, const Comm& comm);
/// Same for a 3D volume (e.g. a mask).
std::uint64_t fingerprint(const Volume3D& vol, const Comm& comm);

/// 16 hex digits.
std::string to_hex(std::uint64_t v);

}  // namespace voxflow
