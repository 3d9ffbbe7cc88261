#include "src/vessel/plane_block.hpp"

#include <mpi.h>

#include <algorithm>

namespace voxflow::vessel {

PlaneBlock fetch_plane_block(const Volume3D& vol, std::int64_t z_lo, std::int64_t z_hi, const Comm& comm) {
  const Grid& g = vol.layout.grid;
  const Slab& slab = vol.layout.slab;
  const std::int64_t P = g.plane_size();
  PlaneBlock b;
  b.grid = g;
  b.z_lo = std::max<std::int64_t>(0, z_lo);
  b.z_hi = std::min<std::int64_t>(g.nz() - 1, z_hi);
  if (b.z_lo > b.z_hi) {
    b.z_lo = 0;
    b.z_hi = -1;
  }
  const int R = comm.size();
  std::vector<long long> req(2 * static_cast<size_t>(R));
  long long mine[2] = {b.z_lo, b.z_hi};
  MPI_Allgather(mine, 2, MPI_LONG_LONG, req.data(), 2, MPI_LONG_LONG, comm.comm);
  auto host = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(host, vol.data);
  // what this rank sends to each rank: the overlap of their request with its own planes
  std::vector<int> scount(R, 0), sdispl(R, 0), rcount(R, 0), rdispl(R, 0);
  std::vector<float> sendbuf;
  for (int r = 0; r < R; ++r) {
    const std::int64_t lo = std::max<std::int64_t>(req[2 * r], slab.z0), hi = std::min<std::int64_t>(req[2 * r + 1], slab.z_end() - 1);
    sdispl[r] = static_cast<int>(sendbuf.size());
    if (hi >= lo) {  // the planes are contiguous in the slab's storage
      const float* first = host.data() + vol.layout.index(0, 0, slab.to_local(lo));
      sendbuf.insert(sendbuf.end(), first, first + (hi - lo + 1) * P);
    }
    scount[r] = static_cast<int>(sendbuf.size()) - sdispl[r];
  }
  int total = 0;
  for (int r = 0; r < R; ++r) {
    const Slab s = make_slab(g.nz(), r, R);
    const std::int64_t lo = std::max<std::int64_t>(b.z_lo, s.z0), hi = std::min<std::int64_t>(b.z_hi, s.z_end() - 1);
    rcount[r] = hi >= lo ? static_cast<int>((hi - lo + 1) * P) : 0;
    rdispl[r] = total;
    total += rcount[r];
  }
  b.values.resize(static_cast<size_t>(total));
  MPI_Alltoallv(sendbuf.data(), scount.data(), sdispl.data(), MPI_FLOAT, b.values.data(), rcount.data(), rdispl.data(),
                MPI_FLOAT, comm.comm);
  return b;
}

}  // namespace voxflow::vessel
