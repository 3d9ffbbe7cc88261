// DICOM writing and reading under 1, 2 and 3 ranks: a multi-frame file written with
// write_dicom_multiframe (7 x 5 x 3 slices x 4 time points, oblique, right- and left-handed)
// read back slab by slab (values, halo planes, dims, affine, frame times) and checked with
// pydicom; a float map exported with write_dicom_map_series on all ranks read back with
// read_dicom_info / read_dicom_4d on the folder and with pydicom (values within slope / 2).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/gtest_support.hpp"
#include "tests/mpi_test_support.hpp"
#include "io/atomic_file.hpp"
#include "io/dicom_reader.hpp"
#include "io/dicom_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"

using namespace voxflow;
using namespace voxflow::io;

namespace {

int run_python(const std::string& dir, const std::string& script, const std::string& args, std::string* log) {
  return voxflow::testing::run_python(dir, script, args, log, "check");
}

/// Rotation Rz(a) Ry(b) Rx(c), columns scaled by spacing; third column negated when
/// left_handed; origin (10, -20, 30) mm.
Affine oblique_affine(double a, double b, double c, const std::array<double, 3>& sp, bool left_handed) {
  const double ca = std::cos(a), sa = std::sin(a), cb = std::cos(b), sb = std::sin(b), cc = std::cos(c), sc = std::sin(c);
  const double R[3][3] = {{ca * cb, ca * sb * sc - sa * cc, ca * sb * cc + sa * sc},
                          {sa * cb, sa * sb * sc + ca * cc, sa * sb * cc - ca * sc},
                          {-sb, cb * sc, cb * cc}};
  Affine A = Grid::identity_affine();
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k) A[r][k] = R[r][k] * sp[k] * (k == 2 && left_handed ? -1.0 : 1.0);
  A[0][3] = 10.0, A[1][3] = -20.0, A[2][3] = 30.0;
  return A;
}

std::uint16_t stored_value(std::int64_t i, std::int64_t j, std::int64_t z, std::int64_t t) {
  return static_cast<std::uint16_t>(1000 * t + 100 * z + 10 * j + i);
}

const char* kMultiframeCheck = R"PY(
import sys, numpy as np, pydicom
ds = pydicom.dcmread(sys.argv[1])
nx, ny, nz, nt = (int(v) for v in sys.argv[2:6])
assert int(ds.NumberOfFrames) == nz * nt, ds.NumberOfFrames
assert int(ds.Rows) == ny and int(ds.Columns) == nx, (ds.Rows, ds.Columns)
assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.4", ds.SOPClassUID
assert int(ds.NumberOfSlices) == nz and int(ds.NumberOfTemporalPositions) == nt
a = ds.pixel_array
assert a.shape == (nz * nt, ny, nx), a.shape
t, z, j, i = np.meshgrid(np.arange(nt), np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
want = (1000 * t + 100 * z + 10 * j + i).reshape(nz * nt, ny, nx)
assert (a == want).all(), "pixel mismatch"
assert float(ds.RescaleSlope) == 0.5 and float(ds.RescaleIntercept) == -20.0
print("ok", ds.NumberOfFrames, ds.Rows, ds.Columns)
)PY";

}  // namespace

class DicomMultiframeRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(DicomMultiframeRoundTrip, WriteOnRootReadSlabsEverywhere) {
  const bool left_handed = GetParam();
  Comm comm;
  voxflow::testing::SharedTempDir tmp("voxflow-mpi-dicom");
  const std::string path = tmp.path + "/phantom.dcm";
  Grid g;
  g.dims = {7, 5, 3};
  g.nt = 4;
  g.spacing_mm = {0.8, 1.2, 2.5};
  g.affine = oblique_affine(0.4, -0.3, 0.25, g.spacing_mm, left_handed);
  std::vector<std::uint16_t> pixels;
  for (std::int64_t t = 0; t < 4; ++t)
    for (std::int64_t z = 0; z < 3; ++z)
      for (std::int64_t j = 0; j < 5; ++j)
        for (std::int64_t i = 0; i < 7; ++i) pixels.push_back(stored_value(i, j, z, t));
  collective_check(comm, [&] {
    if (comm.is_root()) write_dicom_multiframe(path, g, pixels, 2.5, 0.5, -20.0, "round trip");
  });
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(voxflow::io::temp_name_for(path)));

  const ImageInfo info = read_dicom_info(path);
  EXPECT_EQ(info.format, "DICOM multi-frame");
  EXPECT_EQ(info.datatype, "uint16");
  EXPECT_EQ(info.description, "round trip");
  EXPECT_DOUBLE_EQ(info.rescale_slope, 0.5);
  EXPECT_DOUBLE_EQ(info.rescale_intercept, -20.0);
  EXPECT_EQ(info.grid.dims, g.dims);
  EXPECT_EQ(info.grid.nt, 4);
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(info.grid.spacing_mm[a], g.spacing_mm[a], 1e-9);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(info.grid.affine[r][c], g.affine[r][c], 1e-7) << r << "," << c;
  ASSERT_EQ(info.frame_times_s.size(), 4u);
  for (int t = 0; t < 4; ++t) EXPECT_NEAR(info.frame_times_s[t], 2.5 * t, 1e-6);

  const int halo = 1;
  const Slab slab = make_slab(3, comm.rank(), comm.size());
  const Volume4D vol = read_dicom_4d(path, slab, halo);
  EXPECT_TRUE(vol.layout.grid.same_geometry(info.grid));
  ASSERT_EQ(vol.frame_times_s.size(), 4u);
  EXPECT_NEAR(vol.frame_times_s[3], 7.5, 1e-6);
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), vol.data);
  std::size_t mismatches = 0, checked = 0;
  for (std::int64_t k = -halo; k < slab.nz + halo; ++k) {
    const std::int64_t z = slab.to_global(k);
    for (std::int64_t t = 0; t < 4; ++t)
      for (std::int64_t j = 0; j < 5; ++j)
        for (std::int64_t i = 0; i < 7; ++i) {
          const bool inside = !slab.empty() && z >= 0 && z < 3;
          const float want = inside ? static_cast<float>(stored_value(i, j, z, t) * 0.5 - 20.0) : 0.0f;
          mismatches += h(vol.layout.index(i, j, k), t) != want;
          ++checked;
        }
  }
  EXPECT_EQ(mismatches, 0u) << "rank " << comm.rank();
  EXPECT_EQ(checked, static_cast<std::size_t>((slab.nz + 2 * halo) * 4 * 35));

  if (comm.is_root()) {
    std::string log;
    EXPECT_EQ(run_python(tmp.path, kMultiframeCheck, path + " 7 5 3 4", &log), 0) << log;
    EXPECT_NE(log.find("ok 12 5 7"), std::string::npos) << log;
  }
}

INSTANTIATE_TEST_SUITE_P(Handedness, DicomMultiframeRoundTrip, ::testing::Values(false, true));

namespace {

float map_value(std::int64_t i, std::int64_t j, std::int64_t z) {
  if (i == 2 && j == 1 && z == 3) return NAN;
  return static_cast<float>(0.37 * i - 1.9 * j + 11.3 * z * z - 40.0 + 1e-3 * std::sin(i + 7.0 * j + 3.0 * z));
}

const char* kMapCheck = R"PY(
import sys, glob, os, numpy as np, pydicom
folder, out = sys.argv[1], sys.argv[2]
files = sorted(glob.glob(os.path.join(folder, "kb_*.dcm")))
assert len(files) == 5, files
assert not glob.glob(os.path.join(folder, "*.tmp-*"))
ds = sorted((pydicom.dcmread(f) for f in files), key=lambda d: int(d.InstanceNumber))
assert len({d.SeriesInstanceUID for d in ds}) == 1
assert len({d.SOPInstanceUID for d in ds}) == 5
assert len({(d.RescaleSlope, d.RescaleIntercept) for d in ds}) == 1
for z, d in enumerate(ds):
    assert os.path.basename(d.filename) == "kb_%d.dcm" % z, d.filename
    assert int(d.Rows) == 4 and int(d.Columns) == 6 and int(d.PixelRepresentation) == 1
a = np.stack([d.pixel_array.astype(np.float64) * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in ds])
a.tofile(out)
print("ok", float(ds[0].RescaleSlope), int(ds[3].pixel_array[1, 2]), "1/min" in ds[0].SeriesDescription)
)PY";

}  // namespace

TEST(DicomMapSeries, WrittenByAllRanksReadsBackWithinHalfASlope) {
  Comm comm;
  voxflow::testing::SharedTempDir tmp("voxflow-mpi-dicom");
  const std::string folder = tmp.path + "/maps";
  Grid g;
  g.dims = {6, 4, 5};
  g.spacing_mm = {1.5, 0.7, 3.0};
  g.affine = oblique_affine(-0.2, 0.5, 0.1, g.spacing_mm, false);
  const Slab slab = make_slab(5, comm.rank(), comm.size());
  Volume3D map(g, slab, 1);
  {
    auto h = Kokkos::create_mirror_view(map.data);
    Kokkos::deep_copy(h, 1e6f);  // halo planes: must not reach the files or the range
    for (std::int64_t k = 0; k < slab.nz; ++k)
      for (std::int64_t j = 0; j < 4; ++j)
        for (std::int64_t i = 0; i < 6; ++i) h(map.layout.index(i, j, k)) = map_value(i, j, slab.to_global(k));
    Kokkos::deep_copy(map.data, h);
  }
  write_dicom_map_series(folder, "kb", map, "1/min", comm);

  const ImageInfo info = read_dicom_info(folder);
  EXPECT_EQ(info.format, "DICOM series");
  EXPECT_EQ(info.grid.dims, g.dims);
  EXPECT_EQ(info.grid.nt, 1);
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(info.grid.spacing_mm[a], g.spacing_mm[a], 1e-6);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(info.grid.affine[r][c], g.affine[r][c], 1e-6) << r << "," << c;
  const double slope = info.rescale_slope, intercept = info.rescale_intercept;
  // finite range [-47.6, 252.5]: 65534 levels or fewer over it
  double lo = 1e30, hi = -1e30;
  for (std::int64_t z = 0; z < 5; ++z)
    for (std::int64_t j = 0; j < 4; ++j)
      for (std::int64_t i = 0; i < 6; ++i)
        if (std::isfinite(map_value(i, j, z))) lo = std::min(lo, double(map_value(i, j, z))), hi = std::max(hi, double(map_value(i, j, z)));
  EXPECT_GT(slope, 0.0);
  EXPECT_LE(slope, (hi - lo) / 60000.0);
  const double nan_value = -32768.0 * slope + intercept;
  EXPECT_LT(nan_value, lo);

  const Volume4D back = read_dicom_4d(folder, slab, 0);
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), back.data);
  std::size_t bad = 0;
  for (std::int64_t k = 0; k < slab.nz; ++k)
    for (std::int64_t j = 0; j < 4; ++j)
      for (std::int64_t i = 0; i < 6; ++i) {
        const std::int64_t z = slab.to_global(k);
        const double got = h(back.layout.index(i, j, k), 0), want = map_value(i, j, z);
        if (std::isnan(want))
          bad += std::fabs(got - nan_value) > 1e-5 * std::fabs(nan_value);
        else
          bad += std::fabs(got - want) > slope / 2 + 1e-6 * std::fabs(want);
      }
  EXPECT_EQ(bad, 0u) << "rank " << comm.rank();

  if (comm.is_root()) {
    std::string log;
    ASSERT_EQ(run_python(tmp.path, kMapCheck, folder + " " + tmp.path + "/map.bin", &log), 0) << log;
    EXPECT_NE(log.find("-32768 True"), std::string::npos) << log;  // NaN voxel (2, 1, 3) and the units
    std::ifstream in(tmp.path + "/map.bin", std::ios::binary);
    std::vector<double> a(5 * 4 * 6);
    ASSERT_TRUE(in.read(reinterpret_cast<char*>(a.data()), a.size() * sizeof(double)));
    std::size_t bad_py = 0;
    for (std::int64_t z = 0; z < 5; ++z)
      for (std::int64_t j = 0; j < 4; ++j)
        for (std::int64_t i = 0; i < 6; ++i) {
          const double want = map_value(i, j, z), got = a[(z * 4 + j) * 6 + i];
          bad_py += std::isnan(want) ? std::fabs(got - nan_value) > 1e-6 : std::fabs(got - want) > slope / 2 * (1 + 1e-9);
        }
    EXPECT_EQ(bad_py, 0u);
  }
}

TEST(DicomMapSeries, ConstantMapAndAllNaNMapStillWrite) {
  Comm comm;
  voxflow::testing::SharedTempDir tmp("voxflow-mpi-dicom");
  Grid g;
  g.dims = {3, 2, 4};
  for (float fill : {42.5f, static_cast<float>(NAN)}) {
    const std::string folder = tmp.path + (std::isnan(fill) ? "/nan" : "/const");
    Volume3D map(g, make_slab(4, comm.rank(), comm.size()), 0);
    Kokkos::deep_copy(map.data, fill);
    write_dicom_map_series(folder, "r_squared", map, "", comm);
    const ImageInfo info = read_dicom_info(folder);
    EXPECT_EQ(info.grid.dims, g.dims);
    const Volume4D back = read_dicom_4d(folder, make_slab(4, comm.rank(), comm.size()), 0);
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), back.data);
    const float want = std::isnan(fill) ? static_cast<float>(-32768.0 * info.rescale_slope + info.rescale_intercept) : fill;
    for (std::int64_t v = 0; v < back.layout.owned_voxels(); ++v)
      EXPECT_EQ(h(back.layout.owned_to_storage(v), 0), want);
  }
}
