// A DICOM folder is scanned once per process (io/dicom_reader.cpp): read_dicom_info and
// read_dicom_4d of the same folder share the scan, and the plan is made again as soon as the
// folder lists other files, sizes or times (a slice removed, a file rewritten), never stale.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "io/dicom_reader.hpp"
#include "io/dicom_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/slab.hpp"

using namespace voxflow;
namespace fs = std::filesystem;

TEST(DicomPlanCache, FolderChangesAreSeen) {
  const Comm comm;
  std::string d;
  if (comm.is_root()) {
    d = (fs::temp_directory_path() / ("vf_dcmcache_" + std::to_string(::getpid()))).string();
    fs::create_directories(d);
  }
  d = comm.broadcast(d);
  const std::string folder = d + "/maps";
  Grid g;
  g.dims = {6, 4, 5};
  const Slab slab = make_slab(5, comm.rank(), comm.size());
  Volume3D map(g, slab, 0);
  {
    auto h = Kokkos::create_mirror_view(map.data);
    for (std::int64_t k = 0; k < slab.nz; ++k)
      for (std::int64_t v = 0; v < 24; ++v) h(map.layout.index(v % 6, v / 6, k)) = float(v + 100 * slab.to_global(k));
    Kokkos::deep_copy(map.data, h);
  }
  io::write_dicom_map_series(folder, "kb", map, "1/min", comm);
  EXPECT_EQ(io::read_dicom_info(folder).grid.dims[2], 5);
  EXPECT_EQ(io::read_dicom_4d(folder, slab, 0).layout.grid.dims[2], 5);
  EXPECT_EQ(io::read_dicom_info(folder).grid.dims[2], 5);

  // the last slice's file removed: the next call scans again
  comm.barrier();
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(folder)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 5u);
  comm.barrier();
  if (comm.is_root()) fs::remove(files.back());
  comm.barrier();
  const io::ImageInfo after = io::read_dicom_info(folder);
  EXPECT_EQ(after.grid.dims[2], 4);

  // a file replaced by a non-image: the folder's plan changes again (an error now, not the old plan)
  comm.barrier();
  if (comm.is_root()) {
    fs::remove(files.front());
    fs::copy_file(files[1], files.front());
  }
  comm.barrier();
  EXPECT_THROW(io::read_dicom_info(folder), InputError);  // two files at one position
  comm.barrier();
  if (comm.is_root()) fs::remove_all(d);
}
