#pragma once
// Helpers of the vessel tests (header-only, included by tests/test_mpi_frangi.cpp and
// tests/test_mpi_fast_marching.cpp): volumes from a function of the global voxel, gathering a
// distributed volume on rank 0, raw float32 files for the python oracles, a shared temp folder.
#include <gtest/gtest.h>
#include <mpi.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "src/core/splitmix64.hpp"
#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/plane_gather.hpp"
#include "src/core/slab.hpp"
#include "tests/gtest_support.hpp"

namespace voxflow::vessel_test {

/// Temp folder shared by all ranks (made by rank 0, removed at the end).
class TempDirEnv : public ::testing::Environment {
 public:
  static std::string& dir() {
    static std::string d;
    return d;
  }
  void SetUp() override {
    Comm comm;
    std::string d;
    if (comm.is_root()) {
      char tmpl[] = "/tmp/vf-vessel-test-XXXXXX";
      const char* p = mkdtemp(tmpl);
      d = p ? p : "";
    }
    dir() = comm.broadcast(d);
  }
  void TearDown() override {
    Comm comm;
    comm.barrier();
    if (comm.is_root() && !dir().empty()) std::filesystem::remove_all(dir());
  }
};

inline Grid make_grid(std::int64_t nx, std::int64_t ny, std::int64_t nz, std::array<double, 3> sp = {1, 1, 1}) {
  Grid g;
  g.dims = {nx, ny, nz};
  g.spacing_mm = sp;
  g.affine = Grid::scaling_affine(sp);
  return g;
}

using VoxelFn = std::function<float(std::int64_t, std::int64_t, std::int64_t)>;

/// Volume on comm's decomposition filled from f(i, j, z_global) (halo planes 0).
inline Volume3D make_volume(const Grid& g, const Comm& comm, int halo, const VoxelFn& f) {
  const Slab s = make_slab(g.nz(), comm.rank(), comm.size());
  Volume3D v(g, s, halo, "test");
  auto h = Kokkos::create_mirror_view(v.data);
  Kokkos::deep_copy(h, 0.0f);
  for (std::int64_t k = 0; k < s.nz; ++k)
    for (std::int64_t j = 0; j < g.ny(); ++j)
      for (std::int64_t i = 0; i < g.nx(); ++i) h(v.layout.index(i, j, k)) = f(i, j, s.to_global(k));
  Kokkos::deep_copy(v.data, h);
  return v;
}

/// The whole volume on rank 0 (x fastest, then y, then z); empty elsewhere. Collective.
inline std::vector<float> gather_volume(const Volume3D& v, const Comm& comm) {
  std::vector<float> all;
  for (std::int64_t z = 0; z < v.layout.grid.nz(); ++z) {
    std::vector<float> p = gather_plane(v, z, comm);
    all.insert(all.end(), p.begin(), p.end());
  }
  return all;
}

inline void write_raw(const std::string& path, const std::vector<float>& a) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(a.data()), static_cast<std::streamsize>(a.size() * sizeof(float)));
}

inline std::vector<float> read_raw(const std::string& path, size_t n) {
  std::vector<float> a(n, std::nanf(""));
  std::ifstream f(path, std::ios::binary);
  f.read(reinterpret_cast<char*>(a.data()), static_cast<std::streamsize>(n * sizeof(float)));
  EXPECT_TRUE(f.good()) << path;
  return a;
}

/// Runs `script` with args on rank 0 (Debian's python3); every rank gets the exit status.
inline int run_oracle(const std::string& script, const std::string& args, const std::string& stem) {
  Comm comm;
  int rc = 0;
  if (comm.is_root()) {
    std::string log;
    rc = voxflow::testing::run_python(TempDirEnv::dir(), script, args, &log, stem);
    if (rc != 0) std::fprintf(stderr, "oracle %s %s failed:\n%s\n", stem.c_str(), args.c_str(), log.c_str());
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm.comm);
  return rc;
}

/// uniform in [0, 1)
inline double unit(std::uint64_t seed, std::int64_t idx) {
  return static_cast<double>(splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(idx)) >> 11) / 9007199254740992.0;
}

}  // namespace voxflow::vessel_test
