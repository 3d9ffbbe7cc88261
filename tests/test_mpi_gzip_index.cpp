// A .nii.gz written by write_nifti_map on P ranks is an indexed gzip (io/gzip_index.hpp): many
// members, read back exactly by read_nifti_3d on every rank (slab + halo, whatever P), and when
// the file is cut every rank reports the truncation from the member chain (same verdict on all).
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "io/gzip_index.hpp"
#include "io/nifti_reader.hpp"
#include "io/nifti_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/slab.hpp"

using namespace voxflow;
namespace fs = std::filesystem;

namespace {

float value_at(std::int64_t i, std::int64_t j, std::int64_t z) {
  return static_cast<float>((i * 7 + j * 3 + z * 11) % 1000) - 500.0f;
}

std::string shared_dir(const Comm& comm) {
  std::string d;
  if (comm.is_root()) {
    d = (fs::temp_directory_path() / ("vf_gzidx_mpi_" + std::to_string(::getpid()))).string();
    fs::create_directories(d);
  }
  return comm.broadcast(d);
}

}  // namespace

TEST(MpiGzipIndex, WrittenMapIsIndexedAndReadsBackOnEveryRank) {
  const Comm comm;
  const std::string d = shared_dir(comm);
  const std::string path = d + "/map.nii.gz";
  Grid g;
  g.dims = {160, 130, 37};  // int16: 41.6 kB a plane, 1.5 MB in all: several 1 MiB members
  const Slab s = make_slab(g.nz(), comm.rank(), comm.size());
  Volume3D vol(g, s, 0, "map");
  auto h = Kokkos::create_mirror_view(vol.data);
  for (std::int64_t k = 0; k < s.nz; ++k)
    for (std::int64_t j = 0; j < g.ny(); ++j)
      for (std::int64_t i = 0; i < g.nx(); ++i) h(vol.layout.index(i, j, k)) = value_at(i, j, s.to_global(k));
  Kokkos::deep_copy(vol.data, h);
  io::write_nifti_map(path, vol, {g, ""}, io::MapType::Int16, comm);

  auto idx = io::GzipIndex::open(path);
  ASSERT_TRUE(idx);
  EXPECT_GE(idx->members().size(), 2u);
  EXPECT_EQ(idx->size(), 352 + g.n_voxels() * 2);

  const Volume3D back = io::read_nifti_3d(path, s, 1);
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), back.data);
  long bad = 0;
  for (std::int64_t k = -1; k < s.nz + 1; ++k) {
    const std::int64_t z = s.to_global(k);
    for (std::int64_t j = 0; j < g.ny(); ++j)
      for (std::int64_t i = 0; i < g.nx(); ++i) {
        const float want = (z < 0 || z >= g.nz()) ? 0.0f : value_at(i, j, z);
        if (hb(back.layout.index(i, j, k)) != want && ++bad <= 5)
          ADD_FAILURE() << "z=" << z << " j=" << j << " i=" << i << ": " << hb(back.layout.index(i, j, k)) << " vs " << want;
      }
  }
  EXPECT_EQ(bad, 0);

  // cut in the middle of a member: every rank (also those whose planes are intact) says truncated
  comm.barrier();
  const std::string cut = d + "/cut.nii.gz";
  if (comm.is_root()) {
    fs::copy_file(path, cut);
    fs::resize_file(cut, fs::file_size(path) / 2 + 101);
  }
  comm.barrier();
  try {
    io::read_nifti_3d(cut, s, 0);
    ADD_FAILURE() << "rank " << comm.rank() << ": no error for a truncated file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  comm.barrier();
  if (comm.is_root()) fs::remove_all(d);
}
