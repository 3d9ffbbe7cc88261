// Slab decomposition and halo exchange against a serial computation, under 1, 2 and 3 ranks
// (including volumes with fewer planes than ranks).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "src/core/distributed_volume.hpp"
#include "src/core/halo_exchange.hpp"
#include "src/core/slab.hpp"

using namespace voxflow;

TEST(Slab, BalancedWithinOnePlaneAndCoversAll) {
  for (int ranks = 1; ranks <= 7; ++ranks)
    for (std::int64_t nz = 0; nz <= 20; ++nz) {
      std::int64_t next = 0, mn = nz, mx = 0;
      for (int r = 0; r < ranks; ++r) {
        Slab s = make_slab(nz, r, ranks);
        EXPECT_EQ(s.z0, next);
        next = s.z_end();
        mn = std::min(mn, s.nz);
        mx = std::max(mx, s.nz);
        for (std::int64_t z = s.z0; z < s.z_end(); ++z) EXPECT_EQ(owner_of_plane(z, nz, ranks), r);
      }
      EXPECT_EQ(next, nz);
      EXPECT_LE(mx - mn, 1);
    }
  EXPECT_THROW(make_slab(4, 2, 2), Error);
}

// value of global voxel (i, j, z, t) in the test volumes
static float truth(std::int64_t i, std::int64_t j, std::int64_t z, std::int64_t t) {
  return static_cast<float>(1000 * z + 10 * j + i + 0.25 * t);
}

class Halo : public ::testing::TestWithParam<std::tuple<std::int64_t, int>> {};

TEST_P(Halo, MatchesSerial3DAnd4D) {
  const auto [nz, halo] = GetParam();
  Comm comm;
  Grid g;
  g.dims = {3, 2, nz};
  g.nt = 2;
  Slab s = make_slab(nz, comm.rank(), comm.size());
  Volume3D v(g, s, halo);
  Volume4D v4(g, s, halo);
  auto h = Kokkos::create_mirror_view(v.data);
  auto h4 = Kokkos::create_mirror_view(v4.data);
  Kokkos::deep_copy(h, -1.0f);
  Kokkos::deep_copy(h4, -1.0f);
  for (std::int64_t k = 0; k < s.nz; ++k)
    for (std::int64_t j = 0; j < 2; ++j)
      for (std::int64_t i = 0; i < 3; ++i) {
        h(v.layout.index(i, j, k)) = truth(i, j, s.to_global(k), 0);
        for (int t = 0; t < 2; ++t) h4(v4.layout.index(i, j, k), t) = truth(i, j, s.to_global(k), t);
      }
  Kokkos::deep_copy(v.data, h);
  Kokkos::deep_copy(v4.data, h4);
  exchange_halo(v, comm);
  exchange_halo(v4, comm);
  Kokkos::deep_copy(h, v.data);
  Kokkos::deep_copy(h4, v4.data);
  if (s.empty()) return;  // a rank with no plane only takes part in the exchange
  for (std::int64_t k = -halo; k < s.nz + halo; ++k) {
    const std::int64_t z = s.to_global(k);
    for (std::int64_t j = 0; j < 2; ++j)
      for (std::int64_t i = 0; i < 3; ++i) {
        const float want = (z >= 0 && z < nz) ? truth(i, j, z, 0) : -1.0f;
        EXPECT_EQ(h(v.layout.index(i, j, k)), want) << "z=" << z;
        for (int t = 0; t < 2; ++t) {
          const float want4 = (z >= 0 && z < nz) ? truth(i, j, z, t) : -1.0f;
          EXPECT_EQ(h4(v4.layout.index(i, j, k), t), want4) << "z=" << z << " t=" << t;
        }
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Widths, Halo,
                         ::testing::Combine(::testing::Values<std::int64_t>(1, 2, 5, 9),
                                            ::testing::Values(0, 1, 2, 4)));

TEST(Comm, GatherConcatJoinsEveryRanksStringInRankOrderOnRoot) {
  // rank r contributes r + 1 copies of "<r>;" (rank 0 also an empty-string case via root 1 below)
  Comm comm;
  std::string mine;
  for (int k = 0; k <= comm.rank(); ++k) mine += std::to_string(comm.rank()) + ";";
  const std::string got = comm.gather_concat(mine);
  std::string want;
  for (int r = 0; r < comm.size(); ++r)
    for (int k = 0; k <= r; ++k) want += std::to_string(r) + ";";
  if (comm.is_root()) {
    EXPECT_EQ(got, want);
  } else {
    EXPECT_EQ(got, "");
  }
  // another root, and ranks with nothing to say
  const int root = comm.size() - 1;
  const std::string odd = comm.rank() % 2 ? std::string("x") + std::to_string(comm.rank()) : std::string();
  const std::string got2 = comm.gather_concat(odd, root);
  std::string want2;
  for (int r = 0; r < comm.size(); ++r)
    if (r % 2) want2 += "x" + std::to_string(r);
  EXPECT_EQ(got2, comm.rank() == root ? want2 : std::string());
}
