#include "src/vessel/plane_block.hpp"

#include <mpi.h>

#include <algorithm>

namespace voxflow::vessel {

PlaneBlock fetch_plane_block(const Volume3D& vol, std::array<std::int64_t, 3> lo, std::array<std::int64_t, 3> hi,
                             const Comm& comm) {
  const Grid& g = vol.layout.grid;
  const Slab& slab = vol.layout.slab;
  PlaneBlock b;
  b.grid = g;
  for (size_t a = 0; a < 3; ++a) {
    b.lo[a] = std::max<std::int64_t>(0, lo[a]);
    b.hi[a] = std::min<std::int64_t>(g.dims[a] - 1, hi[a]);
  }
  if (b.empty()) {
    b.lo = {0, 0, 0};
    b.hi = {-1, -1, -1};
  }
  const int R = comm.size();
  std::vector<long long> req(6 * static_cast<size_t>(R));
  long long mine[6] = {b.lo[0], b.lo[1], b.lo[2], b.hi[0], b.hi[1], b.hi[2]};
  MPI_Allgather(mine, 6, MPI_LONG_LONG, req.data(), 6, MPI_LONG_LONG, comm.comm);
  auto host = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(host, vol.data);
  // to each rank: the overlap of its box with this rank's planes, row by row
  std::vector<int> scount(static_cast<size_t>(R), 0), sdispl(static_cast<size_t>(R), 0), rcount(static_cast<size_t>(R), 0),
      rdispl(static_cast<size_t>(R), 0);
  std::vector<float> sendbuf;
  for (int r = 0; r < R; ++r) {
    const long long* q = &req[6 * static_cast<size_t>(r)];
    sdispl[static_cast<size_t>(r)] = static_cast<int>(sendbuf.size());
    const bool none = q[0] > q[3] || q[1] > q[4] || q[2] > q[5];
    const std::int64_t z0 = std::max<std::int64_t>(q[2], slab.z0), z1 = std::min<std::int64_t>(q[5], slab.z_end() - 1);
    if (!none)
      for (std::int64_t z = z0; z <= z1; ++z)
        for (std::int64_t j = q[1]; j <= q[4]; ++j) {
          const float* row = host.data() + vol.layout.index(q[0], j, slab.to_local(z));
          sendbuf.insert(sendbuf.end(), row, row + (q[3] - q[0] + 1));
        }
    scount[static_cast<size_t>(r)] = static_cast<int>(sendbuf.size()) - sdispl[static_cast<size_t>(r)];
  }
  const std::int64_t row = b.hi[0] - b.lo[0] + 1, rows = b.hi[1] - b.lo[1] + 1;
  int total = 0;
  for (int r = 0; r < R; ++r) {
    const Slab s = make_slab(g.nz(), r, R);
    const std::int64_t z0 = std::max<std::int64_t>(b.lo[2], s.z0), z1 = std::min<std::int64_t>(b.hi[2], s.z_end() - 1);
    rcount[static_cast<size_t>(r)] = !b.empty() && z1 >= z0 ? static_cast<int>((z1 - z0 + 1) * row * rows) : 0;
    rdispl[static_cast<size_t>(r)] = total;
    total += rcount[static_cast<size_t>(r)];
  }
  b.values.resize(static_cast<size_t>(total));
  MPI_Alltoallv(sendbuf.data(), scount.data(), sdispl.data(), MPI_FLOAT, b.values.data(), rcount.data(), rdispl.data(),
                MPI_FLOAT, comm.comm);
  return b;
}

}  // namespace voxflow::vessel
