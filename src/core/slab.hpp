#pragma once
// Slab decomposition of the z axis over MPI ranks (DESIGN.md "Decomposition").
#include <cstdint>

namespace voxflow {

/// The contiguous z-range [z0, z0 + nz) of the global grid owned by one rank.
/// Balanced to within one plane: the first (nz_global % ranks) ranks get one extra plane.
/// A rank may own no plane (nz == 0) when nz_global < ranks; it still takes part in
/// collectives and writes nothing.
struct Slab {
  std::int64_t nz_global = 0;
  std::int64_t z0 = 0;
  std::int64_t nz = 0;
  int rank = 0;
  int ranks = 1;

  bool empty() const { return nz == 0; }
  std::int64_t z_end() const { return z0 + nz; }
  /// global z of local plane k (0 <= k < nz)
  std::int64_t to_global(std::int64_t k_local) const { return z0 + k_local; }
  /// local plane of global z (may be outside [0, nz) for halo planes)
  std::int64_t to_local(std::int64_t z_global) const { return z_global - z0; }
  bool owns(std::int64_t z_global) const { return z_global >= z0 && z_global < z0 + nz; }
};

/// Slab of `rank` among `ranks` for a grid of nz_global planes. Throws InternalError for
/// rank outside [0, ranks) or negative nz_global.
Slab make_slab(std::int64_t nz_global, int rank, int ranks);

/// Rank that owns global plane z (for nz_global > 0, 0 <= z < nz_global).
int owner_of_plane(std::int64_t z_global, std::int64_t nz_global, int ranks);

}  // namespace voxflow
