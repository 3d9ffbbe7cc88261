// DICOM reading of real third-party files (pydicom's test files) against pydicom's own
// decoding, every transfer-syntax variant of MR_small against the uncompressed one, the errors
// (JPEG 2000, truncated, empty, non-DICOM, missing, RGB, frame count), multi-frame slabs, and a
// folder of single-frame files written by pydicom with shuffled names.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/gtest_support.hpp"
#include "io/dicom_reader.hpp"
#include "io/dicom_writer.hpp"
#include "src/core/error.hpp"

using namespace voxflow;
using namespace voxflow::io;

namespace {

const std::string kFiles = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";

std::string make_temp_dir() {
  char tmpl[] = "/tmp/voxflow-dicom-test-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  if (d == nullptr) throw std::runtime_error("mkdtemp failed");
  return d;
}

struct TempDir {
  std::string path = make_temp_dir();
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

using voxflow::testing::run_python;

std::vector<double> read_doubles(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<double> v;
  double x;
  while (in.read(reinterpret_cast<char*>(&x), sizeof x)) v.push_back(x);
  return v;
}

/// Whole volume of one time point as [z][y][x] floats.
std::vector<float> plane_values(const Volume4D& vol, std::int64_t t) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), vol.data);
  const auto& lay = vol.layout;
  std::vector<float> out;
  for (std::int64_t k = 0; k < lay.slab.nz; ++k)
    for (std::int64_t j = 0; j < lay.grid.ny(); ++j)
      for (std::int64_t i = 0; i < lay.grid.nx(); ++i) out.push_back(h(lay.index(i, j, k), t));
  return out;
}

Volume4D read_all(const std::string& path, const DicomReadOptions& opt = {}) {
  const ImageInfo info = read_dicom_info(path, opt);
  return read_dicom_4d(path, make_slab(info.grid.nz(), 0, 1), 0, opt);
}

/// message of the InputError thrown by f, "" when none was thrown
template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// pydicom reference: pixel_array * slope + intercept (float64, row-major per frame) and the
// expected RAS affine computed from pydicom's tags.
const char* kReferenceScript = R"PY(
import sys, numpy as np, pydicom
src, out_values, out_geom = sys.argv[1], sys.argv[2], sys.argv[3]
ds = pydicom.dcmread(src)
a = ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
a.tofile(out_values)
if "ImageOrientationPatient" not in ds:
    sys.exit(0)
iop = np.array([float(v) for v in ds.ImageOrientationPatient])
ipp = np.array([float(v) for v in ds.ImagePositionPatient])
ps = [float(v) for v in ds.PixelSpacing]
dz = float(ds.get("SpacingBetweenSlices", 0) or ds.get("SliceThickness", 0) or 1)
r, c = iop[:3], iop[3:]
n = np.cross(r, c)
A = np.eye(4)
A[:3, 0] = r * ps[1]
A[:3, 1] = c * ps[0]
A[:3, 2] = n * dz
A[:3, 3] = ipp
A[:2, :] *= -1
np.array([ps[1], ps[0], dz] + list(A.ravel())).tofile(out_geom)
print(a.shape)
)PY";

struct Reference {
  std::vector<double> values, geometry;  // geometry: dx, dy, dz, affine row-major
};

Reference pydicom_reference(const std::string& file) {
  TempDir tmp;
  std::string log;
  const int rc = run_python(tmp.path, kReferenceScript, file + " " + tmp.path + "/v.bin " + tmp.path + "/g.bin", &log);
  EXPECT_EQ(rc, 0) << log;
  return {read_doubles(tmp.path + "/v.bin"), read_doubles(tmp.path + "/g.bin")};
}

}  // namespace

TEST(DicomFiles, CtSmallMatchesPydicom) {
  const std::string f = kFiles + "CT_small.dcm";
  const ImageInfo info = read_dicom_info(f);
  EXPECT_EQ(info.grid.dims, (std::array<std::int64_t, 3>{128, 128, 1}));
  EXPECT_EQ(info.grid.nt, 1);
  EXPECT_EQ(info.datatype, "int16");
  EXPECT_DOUBLE_EQ(info.rescale_slope, 1.0);
  EXPECT_DOUBLE_EQ(info.rescale_intercept, -1024.0);
  EXPECT_TRUE(info.frame_times_s.empty());

  const Reference ref = pydicom_reference(f);
  ASSERT_EQ(ref.values.size(), 128u * 128u);
  ASSERT_EQ(ref.geometry.size(), 3u + 16u);
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(info.grid.spacing_mm[a], ref.geometry[a], 1e-9) << "axis " << a;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(info.grid.affine[r][c], ref.geometry[3 + 4 * r + c], 1e-9) << r << "," << c;
  // the tags, as written in the file: position (-158.135803, -179.035797, -75.699997) LPS
  EXPECT_NEAR(info.grid.affine[0][3], 158.135803, 1e-6);
  EXPECT_NEAR(info.grid.affine[1][3], 179.035797, 1e-6);
  EXPECT_NEAR(info.grid.affine[2][3], -75.699997, 1e-6);
  EXPECT_NEAR(info.grid.affine[0][0], -0.661468, 1e-9);

  const Volume4D vol = read_all(f);
  const std::vector<float> v = plane_values(vol, 0);
  ASSERT_EQ(v.size(), ref.values.size());
  std::size_t mismatches = 0;
  for (std::size_t n = 0; n < v.size(); ++n) mismatches += (v[n] != static_cast<float>(ref.values[n]));
  EXPECT_EQ(mismatches, 0u);
  // a few points spelled out (x = column, y = row)
  for (auto [x, y] : {std::pair{0, 0}, {127, 0}, {0, 127}, {64, 64}, {17, 101}, {127, 127}})
    EXPECT_EQ(v[x + 128 * y], static_cast<float>(ref.values[x + 128 * y])) << x << "," << y;
}

TEST(DicomFiles, MrSmallMatchesPydicomAndEveryDecodableVariantIsIdentical) {
  const std::string base = kFiles + "MR_small.dcm";
  const ImageInfo info = read_dicom_info(base);
  EXPECT_EQ(info.grid.dims, (std::array<std::int64_t, 3>{64, 64, 1}));
  EXPECT_NEAR(info.grid.spacing_mm[0], 0.3125, 1e-12);
  EXPECT_NEAR(info.grid.spacing_mm[2], 0.8, 1e-12);  // SliceThickness (no SpacingBetweenSlices)
  const std::vector<float> want = plane_values(read_all(base), 0);
  const Reference ref = pydicom_reference(base);
  ASSERT_EQ(ref.values.size(), want.size());
  for (std::size_t n = 0; n < want.size(); ++n) ASSERT_EQ(want[n], static_cast<float>(ref.values[n])) << n;

  for (const char* name : {"MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm", "MR_small_implicit.dcm",
                           "MR_small_jpeg_ls_lossless.dcm", "MR_small_padded.dcm"}) {
    SCOPED_TRACE(name);
    const ImageInfo vi = read_dicom_info(kFiles + name);
    EXPECT_TRUE(vi.grid.same_geometry(info.grid));
    const std::vector<float> got = plane_values(read_all(kFiles + name), 0);
    ASSERT_EQ(got.size(), want.size());
    std::size_t mismatches = 0;
    for (std::size_t n = 0; n < got.size(); ++n) mismatches += (got[n] != want[n]);
    EXPECT_EQ(mismatches, 0u);
  }
}

TEST(DicomFiles, Jpeg2000IsAnInputErrorNamingTheTransferSyntax) {
  const std::string f = kFiles + "MR_small_jp2klossless.dcm";
  for (const std::string& msg : {input_error([&] { read_dicom_info(f); }),
                                 input_error([&] { read_dicom_4d(f, make_slab(1, 0, 1), 0); })}) {
    EXPECT_NE(msg.find("JPEG 2000"), std::string::npos) << msg;
    EXPECT_NE(msg.find("1.2.840.10008.1.2.4.90"), std::string::npos) << msg;
    EXPECT_NE(msg.find(f), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(DicomFiles, TruncatedEmptyMissingAndNonDicomAreInputErrors) {
  TempDir tmp;
  const std::string empty = tmp.path + "/empty.dcm", text = tmp.path + "/notes.dcm";
  write_text(empty, "");
  std::string lorem;
  for (int i = 0; i < 200; ++i) lorem += "This is not a DICOM file, line " + std::to_string(i) + ".\n";
  write_text(text, lorem);
  for (const std::string& f : {kFiles + "MR_truncated.dcm", empty, text, tmp.path + "/missing.dcm"}) {
    SCOPED_TRACE(f);
    for (const std::string& msg : {input_error([&] { read_dicom_info(f); }),
                                   input_error([&] { read_dicom_4d(f, make_slab(1, 0, 1), 0); })}) {
      ASSERT_FALSE(msg.empty());
      EXPECT_NE(msg.find(f), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

TEST(DicomFiles, RgbIsAnInputErrorFor4D) {
  const std::string f = kFiles + "SC_rgb_small_odd.dcm";
  const ImageInfo info = read_dicom_info(f);  // the header alone is fine
  EXPECT_EQ(info.grid.dims, (std::array<std::int64_t, 3>{3, 3, 1}));
  const std::string msg = input_error([&] { read_dicom_4d(f, make_slab(1, 0, 1), 0); });
  EXPECT_NE(msg.find("RGB"), std::string::npos) << msg;
  EXPECT_NE(msg.find(f), std::string::npos) << msg;
}

// rtdose*.dcm: 15 frames of 10 x 10, 32-bit, no slice tags: default 9 slices does not divide.
TEST(DicomFiles, FrameCountNotDivisibleBySlicesIsAnInputError) {
  const std::string f = kFiles + "rtdose.dcm";
  const std::string msg = input_error([&] { read_dicom_info(f); });
  EXPECT_NE(msg.find("15 frames"), std::string::npos) << msg;
  EXPECT_NE(msg.find("9 slices"), std::string::npos) << msg;
  DicomReadOptions four;
  four.slices = 4;
  const std::string msg4 = input_error([&] { read_dicom_4d(f, make_slab(4, 0, 1), 0, four); });
  EXPECT_NE(msg4.find("15 frames"), std::string::npos) << msg4;
  EXPECT_NE(msg4.find("4 slices"), std::string::npos) << msg4;
}

// Multi-frame, read slab by slab with a halo (only the slab's and halo's frames are decoded):
// uncompressed implicit little endian, explicit big endian and RLE (one fragment per frame).
// 5 slices x 3 time points, frame f = t * 5 + z.
TEST(DicomFiles, MultiFrameSlabsOfEveryEncodingMatchPydicom) {
  DicomReadOptions opt;
  opt.slices = 5;
  const Reference ref = pydicom_reference(kFiles + "rtdose.dcm");
  ASSERT_EQ(ref.values.size(), 15u * 100u);
  for (const char* name : {"rtdose.dcm", "rtdose_expb.dcm", "rtdose_rle.dcm"}) {
    SCOPED_TRACE(name);
    const std::string f = kFiles + name;
    const ImageInfo info = read_dicom_info(f, opt);
    EXPECT_EQ(info.grid.dims, (std::array<std::int64_t, 3>{10, 10, 5}));
    EXPECT_EQ(info.grid.nt, 3);
    EXPECT_EQ(info.datatype, "uint32");
    for (int ranks = 1; ranks <= 3; ++ranks)
      for (int r = 0; r < ranks; ++r) {
        const int halo = 1;
        const Volume4D vol = read_dicom_4d(f, make_slab(5, r, ranks), halo, opt);
        ASSERT_EQ(vol.nt(), 3);
        auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), vol.data);
        const auto& lay = vol.layout;
        std::size_t mismatches = 0;
        for (std::int64_t k = -halo; k < lay.slab.nz + halo; ++k) {
          const std::int64_t z = lay.slab.to_global(k);
          for (std::int64_t t = 0; t < 3; ++t)
            for (std::int64_t j = 0; j < 10; ++j)
              for (std::int64_t i = 0; i < 10; ++i) {
                const float want =
                    (z >= 0 && z < 5) ? static_cast<float>(ref.values[((t * 5 + z) * 10 + j) * 10 + i]) : 0.0f;
                mismatches += h(lay.index(i, j, k), t) != want;
              }
        }
        EXPECT_EQ(mismatches, 0u) << "rank " << r << " of " << ranks;
      }
  }
}

// A folder of 3 slices x 2 time points written by pydicom from MR_small.dcm
// (tests/python/dicom_series_folder.py --mr-small-folder, seed 7): oblique orientation, 2 mm
// between slices (SliceThickness says 0.8), TemporalPositionIdentifier, AcquisitionTime 30 s
// apart, random file names and InstanceNumbers, its own rescale on the middle slice, and a text
// file beside them.
TEST(DicomFiles, FolderOfShuffledSingleFramesReadsAsXYZT) {
  TempDir tmp;
  const std::string dir = tmp.path + "/series";
  std::filesystem::create_directory(dir);
  std::string log;
  ASSERT_EQ(voxflow::testing::run_python_file(tmp.path, VOXFLOW_SOURCE_DIR "/tests/python/dicom_series_folder.py",
                                              "--mr-small-folder " + kFiles + "MR_small.dcm " + dir, &log),
            0)
      << log;

  const ImageInfo info = read_dicom_info(dir);
  EXPECT_EQ(info.format, "DICOM series");
  EXPECT_EQ(info.grid.dims, (std::array<std::int64_t, 3>{64, 64, 3}));
  EXPECT_EQ(info.grid.nt, 2);
  EXPECT_NEAR(info.grid.spacing_mm[0], 0.3125, 1e-12);
  EXPECT_NEAR(info.grid.spacing_mm[1], 0.3125, 1e-12);
  EXPECT_NEAR(info.grid.spacing_mm[2], 2.0, 1e-5);
  ASSERT_EQ(info.frame_times_s.size(), 2u);
  EXPECT_NEAR(info.frame_times_s[0], 0.0, 1e-9);
  EXPECT_NEAR(info.frame_times_s[1], 30.0, 1e-9);
  const double a = 0.3, b = 0.2;
  const double r[3] = {std::cos(a), std::sin(a), 0.0};
  const double c[3] = {-std::sin(a) * std::cos(b), std::cos(a) * std::cos(b), std::sin(b)};
  const double n[3] = {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
  const double origin[3] = {10.0, -5.0, 7.0};
  for (int row = 0; row < 3; ++row) {
    const double s = row < 2 ? -1.0 : 1.0;
    EXPECT_NEAR(info.grid.affine[row][0], s * r[row] * 0.3125, 1e-7);
    EXPECT_NEAR(info.grid.affine[row][1], s * c[row] * 0.3125, 1e-7);
    EXPECT_NEAR(info.grid.affine[row][2], s * n[row] * 2.0, 1e-5);
    EXPECT_NEAR(info.grid.affine[row][3], s * origin[row], 1e-5);
  }

  for (int ranks = 1; ranks <= 3; ++ranks)
    for (int rk = 0; rk < ranks; ++rk) {
      const Volume4D vol = read_dicom_4d(dir, make_slab(3, rk, ranks), 1);
      ASSERT_EQ(vol.frame_times_s.size(), 2u);
      auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), vol.data);
      const auto& lay = vol.layout;
      std::size_t mismatches = 0;
      for (std::int64_t k = -1; k < lay.slab.nz + 1; ++k) {
        const std::int64_t z = lay.slab.to_global(k);
        for (std::int64_t t = 0; t < 2; ++t)
          for (std::int64_t j = 0; j < 64; ++j)
            for (std::int64_t i = 0; i < 64; ++i) {
              float want = 0.0f;
              if (z >= 0 && z < 3) {
                const double stored = (j * 64 + i) % 97 + 100 * z + 1000 * t;
                want = static_cast<float>(z == 1 ? stored * 2.0 - 7.0 : stored);
              }
              mismatches += h(lay.index(i, j, k), t) != want;
            }
      }
      EXPECT_EQ(mismatches, 0u) << "rank " << rk << " of " << ranks;
    }

  // one file gone: the time points no longer have the same slices
  std::string victim;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".dcm") victim = e.path().string();
  std::filesystem::remove(victim);
  const std::string msg = input_error([&] { read_dicom_info(dir); });
  EXPECT_NE(msg.find("time points"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir), std::string::npos) << msg;
}

// How the slices per time point and the frame times are found when the tags differ: a file
// from write_dicom_multiframe (3 slices x 4 time points, 2.5 s apart) with tags removed by pydicom.
const char* kStripScript = R"PY(
import sys, os, copy, datetime, pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
src, out = sys.argv[1], sys.argv[2]
def variant(name, drop, edit=None):
    ds = pydicom.dcmread(src)
    for kw in drop:
        if kw in ds:
            delattr(ds, kw)
    if edit:
        edit(ds)
    ds.save_as(os.path.join(out, name))
def datetimes(ds):
    t0 = datetime.datetime(2024, 1, 2, 23, 59, 58, 250000)
    for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        fc = Dataset()
        when = t0 + datetime.timedelta(seconds=2.5 * (f // 3) + 0.1 * (f % 3))
        fc.FrameAcquisitionDateTime = when.strftime("%Y%m%d%H%M%S.%f")
        item.FrameContentSequence = Sequence([fc])
variant("positions.dcm", ["NumberOfSlices", "NumberOfTemporalPositions", "FrameTimeVector"])
variant("temporal.dcm", ["NumberOfSlices", "PerFrameFunctionalGroupsSequence", "FrameTime", "FrameTimeVector"])
variant("none.dcm", ["NumberOfSlices", "NumberOfTemporalPositions", "PerFrameFunctionalGroupsSequence"])
variant("datetime.dcm", ["NumberOfSlices", "FrameTime", "FrameTimeVector"], datetimes)
)PY";

TEST(DicomFiles, SlicesAndFrameTimesFromEachKindOfTag) {
  TempDir tmp;
  Grid g;
  g.dims = {4, 3, 3};
  g.nt = 4;
  g.spacing_mm = {1.0, 2.0, 3.0};
  g.affine = Grid::scaling_affine(g.spacing_mm);
  std::vector<std::uint16_t> pixels(4 * 3 * 3 * 4);
  for (std::size_t n = 0; n < pixels.size(); ++n) pixels[n] = static_cast<std::uint16_t>(7 * n + 1);
  const std::string src = tmp.path + "/src.dcm";
  write_dicom_multiframe(src, g, pixels, 2.5);
  std::string log;
  ASSERT_EQ(run_python(tmp.path, kStripScript, src + " " + tmp.path, &log), 0) << log;

  auto expect_times = [](const ImageInfo& info, bool known) {
    if (!known) {
      EXPECT_TRUE(info.frame_times_s.empty());
      return;
    }
    ASSERT_EQ(info.frame_times_s.size(), 4u);
    for (int t = 0; t < 4; ++t) EXPECT_NEAR(info.frame_times_s[t], 2.5 * t, 1e-6) << t;
  };
  for (const char* name : {"src.dcm", "positions.dcm", "temporal.dcm", "datetime.dcm"}) {
    SCOPED_TRACE(name);
    const std::string f = tmp.path + "/" + name;
    const ImageInfo info = read_dicom_info(f);
    EXPECT_EQ(info.grid.dims, g.dims);
    EXPECT_EQ(info.grid.nt, 4);
    EXPECT_TRUE(info.grid.same_geometry(g, 1e-9));
    expect_times(info, std::string(name) != "temporal.dcm");
    const Volume4D vol = read_all(f);
    for (std::int64_t t = 0; t < 4; ++t) {
      const std::vector<float> v = plane_values(vol, t);
      for (std::size_t n = 0; n < v.size(); ++n) ASSERT_EQ(v[n], static_cast<float>(pixels[t * v.size() + n])) << t;
    }
  }
  // no slice tags at all: the option decides (default 9 does not divide 12 frames)
  const std::string none = tmp.path + "/none.dcm";
  const std::string msg = input_error([&] { read_dicom_info(none); });
  EXPECT_NE(msg.find("12 frames"), std::string::npos) << msg;
  EXPECT_NE(msg.find("9 slices"), std::string::npos) << msg;
  DicomReadOptions four;
  four.slices = 4;
  const ImageInfo info4 = read_dicom_info(none, four);
  EXPECT_EQ(info4.grid.dims[2], 4);
  EXPECT_EQ(info4.grid.nt, 3);
  ASSERT_EQ(info4.frame_times_s.size(), 3u);
  EXPECT_NEAR(info4.frame_times_s[1], 4 * 2.5 / 3, 1e-6);  // FrameTime: 4 frames of 2.5/3 s
}

// Compressed multi-frame files made from a write_dicom_multiframe file by DCMTK's command line
// encoders (Debian package dcmtk; skipped without them): JPEG lossless SV1, JPEG-LS lossless,
// RLE, and fragmented data (1 KiB fragments) with and without a basic offset table, where the
// reader must walk the fragments from an earlier frame. Read slab by slab, every value exact.
TEST(DicomFiles, CompressedMultiFrameSlabsWithDcmtkEncoders) {
  for (const char* tool : {"/usr/bin/dcmcjpeg", "/usr/bin/dcmcjpls", "/usr/bin/dcmcrle"})
    if (!std::filesystem::exists(tool)) GTEST_SKIP() << tool << " not installed (Debian package dcmtk)";
  TempDir tmp;
  Grid g;
  g.dims = {64, 48, 5};
  g.nt = 6;
  std::vector<std::uint16_t> pixels(64 * 48 * 5 * 6);
  for (std::size_t n = 0; n < pixels.size(); ++n) pixels[n] = static_cast<std::uint16_t>((n * 37) % 4001);
  const std::string src = tmp.path + "/mf.dcm";
  write_dicom_multiframe(src, g, pixels, 3.0);
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"jpeg_lossless.dcm", "dcmcjpeg"},
      {"jpeg_lossless_fragments_offsets.dcm", "dcmcjpeg +fs 1 +ot"},
      {"jpeg_lossless_fragments_no_offsets.dcm", "dcmcjpeg +fs 1 -ot"},
      {"jpeg_ls.dcm", "dcmcjpls"},
      {"jpeg_ls_fragments_no_offsets.dcm", "dcmcjpls +fs 1 -ot"},
      {"rle.dcm", "dcmcrle"}};
  for (const auto& [name, cmd] : variants) {
    SCOPED_TRACE(name);
    const std::string out = tmp.path + "/" + name;
    ASSERT_EQ(std::system(("/usr/bin/" + cmd + " " + src + " " + out).c_str()), 0);
    const ImageInfo info = read_dicom_info(out);
    EXPECT_TRUE(info.grid.same_geometry(g));
    for (int ranks = 1; ranks <= 3; ++ranks)
      for (int r = 0; r < ranks; ++r) {
        const Slab s = make_slab(5, r, ranks);
        const Volume4D vol = read_dicom_4d(out, s, 1);
        auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), vol.data);
        std::size_t bad = 0;
        for (std::int64_t k = -1; k < s.nz + 1; ++k) {
          const std::int64_t z = s.to_global(k);
          if (z < 0 || z >= 5) continue;
          for (std::int64_t t = 0; t < 6; ++t)
            for (std::int64_t p = 0; p < 64 * 48; ++p)
              bad += h(vol.layout.index(p % 64, p / 64, k), t) != pixels[(t * 5 + z) * 64 * 48 + p];
        }
        EXPECT_EQ(bad, 0u) << "rank " << r << " of " << ranks;
      }
  }
}
