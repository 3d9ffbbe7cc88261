#include "src/core/slab.hpp"

#include <string>

#include "src/core/error.hpp"

namespace voxflow {

Slab make_slab(std::int64_t nz_global, int rank, int ranks) {
  if (ranks <= 0 || rank < 0 || rank >= ranks || nz_global < 0)
    throw InternalError("make_slab: invalid rank " + std::to_string(rank) + " of " +
                        std::to_string(ranks) + " for nz " + std::to_string(nz_global));
  Slab s;
  s.nz_global = nz_global;
  s.rank = rank;
  s.ranks = ranks;
  const std::int64_t base = nz_global / ranks, extra = nz_global % ranks;
  s.nz = base + (rank < extra ? 1 : 0);
  s.z0 = rank * base + (rank < extra ? rank : extra);
  return s;
}

int owner_of_plane(std::int64_t z, std::int64_t nz_global, int ranks) {
  const std::int64_t base = nz_global / ranks, extra = nz_global % ranks;
  const std::int64_t big = extra * (base + 1);
  if (z < big) return static_cast<int>(z / (base + 1));
  return static_cast<int>(extra + (z - big) / base);
}

}  // namespace voxflow
