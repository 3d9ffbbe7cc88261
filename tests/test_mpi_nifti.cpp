// NIfTI reading and writing under 1, 2 and 3 ranks, checked against nibabel (Debian's
// python3-nibabel, run through tests/python/nifti_reference.py on rank 0):
//  - nibabel's own test files (NIfTI-1/2, .nii/.nii.gz, 3D/4D, big-endian) and small synthetic
//    files (every supported datatype, scaling, units, qform-only, no transform, nz < ranks):
//    dims, affine, spacing, frame times and every rank's slab + halo planes;
//  - error cases: missing, empty, non-NIfTI, unsupported datatype, truncated .nii and .nii.gz;
//  - write_nifti_map round trips (.nii/.nii.gz x float32/int16/uint8, with and without a
//    reference header) read back by nibabel and by read_nifti_3d; failures on all ranks.
#include <gtest/gtest.h>
#include <mpi.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "io/nifti_reader.hpp"
#include "io/nifti_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/slab.hpp"

using namespace voxflow;
namespace fs = std::filesystem;

namespace {

const std::string kNibabelData = "/usr/lib/python3/dist-packages/nibabel/tests/data";

/// Temp folder shared by all ranks (made by rank 0), synthetic files made there by nibabel.
class NiftiEnv : public ::testing::Environment {
 public:
  static std::string dir;
  static bool made;
  void SetUp() override {
    Comm comm;
    std::string d;
    if (comm.is_root()) {
      char tmpl[] = "/tmp/vf-nifti-test-XXXXXX";
      const char* p = mkdtemp(tmpl);
      d = p ? p : "";
    }
    dir = comm.broadcast(d);
    int rc = dir.empty() ? 1 : 0;
    if (comm.is_root() && rc == 0) {
      const std::string cmd = std::string(VOXFLOW_PYTHON) + " " + VOXFLOW_SOURCE_DIR +
                              "/tests/python/nifti_reference.py make " + dir + "/synthetic";
      rc = std::system(cmd.c_str());
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm.comm);
    made = rc == 0;
  }
  void TearDown() override {
    Comm comm;
    comm.barrier();
    if (comm.is_root() && !dir.empty()) fs::remove_all(dir);
  }
};
std::string NiftiEnv::dir;
bool NiftiEnv::made = false;

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new NiftiEnv);

/// What nibabel says about a file.
struct Reference {
  std::map<std::string, std::string> fields;
  std::vector<double> data;  // x fastest, then y, z, t

  std::vector<double> numbers(const std::string& key) const {
    std::vector<double> v;
    std::istringstream s(fields.at(key));
    std::string w;
    while (s >> w) v.push_back(w == "nan" ? std::nan("") : std::stod(w));
    return v;
  }
  std::int64_t shape(int a) const { return static_cast<std::int64_t>(numbers("shape").at(a)); }
  Affine affine(const std::string& key = "affine") const {
    const auto v = numbers(key);
    Affine a{};
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) a[r][c] = v.at(4 * r + c);
    return a;
  }
  double at(std::int64_t i, std::int64_t j, std::int64_t z, std::int64_t t) const {
    return data.at(static_cast<size_t>(i + shape(0) * (j + shape(1) * (z + shape(2) * t))));
  }
};

int g_dump_count = 0;

/// Rank 0 runs nibabel on `nifti`; every rank then loads the dump. Fails the test (on all
/// ranks) when python fails.
Reference nibabel_dump(const std::string& nifti) {
  Comm comm;
  const std::string prefix = NiftiEnv::dir + "/dump" + std::to_string(g_dump_count++);
  int rc = 0;
  if (comm.is_root()) {
    const std::string cmd = std::string(VOXFLOW_PYTHON) + " " + VOXFLOW_SOURCE_DIR +
                            "/tests/python/nifti_reference.py dump '" + nifti + "' '" + prefix + "'";
    rc = std::system(cmd.c_str());
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm.comm);
  Reference ref;
  EXPECT_EQ(rc, 0) << "nibabel could not read " << nifti;
  if (rc != 0) return ref;
  std::ifstream txt(prefix + ".txt");
  std::string line;
  while (std::getline(txt, line)) {
    const auto sp = line.find(' ');
    ref.fields[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
  }
  std::ifstream bin(prefix + ".f64", std::ios::binary | std::ios::ate);
  const auto bytes = static_cast<size_t>(bin.tellg());
  ref.data.resize(bytes / sizeof(double));
  bin.seekg(0);
  bin.read(reinterpret_cast<char*>(ref.data.data()), static_cast<std::streamsize>(bytes));
  EXPECT_EQ(static_cast<std::int64_t>(ref.data.size()), ref.shape(0) * ref.shape(1) * ref.shape(2) * ref.shape(3));
  return ref;
}

/// Equal within float32 rounding of the double reference (NaN matches NaN).
::testing::AssertionResult same_value(float got, double want) {
  if (std::isnan(want) && std::isnan(got)) return ::testing::AssertionSuccess();
  const double tol = std::ldexp(std::fabs(want), -23);
  if (std::fabs(static_cast<double>(got) - want) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << got << ", nibabel " << want;
}

double length_factor(const std::string& unit) {
  if (unit == "micron") return 1e-3;
  if (unit == "meter") return 1e3;
  return 1.0;
}
double time_factor(const std::string& unit) {
  if (unit == "msec") return 1e-3;
  if (unit == "usec") return 1e-6;
  return 1.0;
}

/// Header checks of read_nifti_info against nibabel.
void check_info(const std::string& path, const Reference& ref) {
  const io::ImageInfo info = io::read_nifti_info(path);
  EXPECT_EQ(info.path, path);
  EXPECT_EQ(info.format, ref.fields.at("version") == "2" ? "NIfTI-2" : "NIfTI-1");
  EXPECT_EQ(info.datatype, ref.fields.at("datatype"));
  for (int a = 0; a < 3; ++a) EXPECT_EQ(info.grid.dims[a], ref.shape(a)) << "axis " << a;
  EXPECT_EQ(info.grid.nt, ref.shape(3));
  const double lf = length_factor(ref.fields.at("xyz_unit"));
  const bool has_xform = ref.fields.at("sform_code") != "0" || ref.fields.at("qform_code") != "0";
  const auto zooms = ref.numbers("zooms");
  // nibabel's affine without sform/qform is ANALYZE-style; voxflow's is pixdim scaling
  const Affine want = has_xform ? ref.affine() : Grid::scaling_affine({zooms[0], zooms[1], zooms[2]});
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      const double f = (r < 3 && has_xform) ? lf : 1.0;
      EXPECT_NEAR(info.grid.affine[r][c], want[r][c] * f, 1e-5 * std::max(1.0, std::fabs(want[r][c] * f)))
          << "affine[" << r << "][" << c << "] of " << path;
    }
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(info.grid.spacing_mm[a], std::fabs(zooms[a]) * lf, 1e-6) << "spacing " << a;
  if (ref.shape(3) > 1) {
    ASSERT_EQ(info.frame_times_s.size(), static_cast<size_t>(ref.shape(3)));
    const double dt = zooms.at(3) * time_factor(ref.fields.at("t_unit"));
    for (size_t t = 0; t < info.frame_times_s.size(); ++t)
      EXPECT_NEAR(info.frame_times_s[t], static_cast<double>(t) * dt, 1e-9 * std::max(1.0, dt * t));
  } else if (zooms.size() == 3) {
    EXPECT_TRUE(info.frame_times_s.empty());
  }
  const double slope = ref.numbers("slope").at(0), inter = ref.numbers("inter").at(0);
  EXPECT_DOUBLE_EQ(info.rescale_slope, std::isnan(slope) ? 1.0 : slope);
  EXPECT_DOUBLE_EQ(info.rescale_intercept, std::isnan(inter) ? 0.0 : inter);
  EXPECT_EQ(info.description, ref.fields.at("descrip"));
}

/// Every rank's slab and halo planes of read_nifti_4d (and read_nifti_3d for 3D files).
void check_slabs(const std::string& path, const Reference& ref) {
  Comm comm;
  const std::int64_t nx = ref.shape(0), ny = ref.shape(1), nz = ref.shape(2), nt = ref.shape(3);
  for (int halo : {0, 1, 2}) {
    const Slab s = make_slab(nz, comm.rank(), comm.size());
    const Volume4D v = io::read_nifti_4d(path, s, halo);
    ASSERT_EQ(v.nt(), nt);
    {
      // the collective reader (a one-stream .nii.gz inflated by rank 0 and streamed) is identical
      const Volume4D vc = io::read_nifti_4d(path, s, halo, comm);
      auto a = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v.data);
      auto b = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), vc.data);
      ASSERT_EQ(a.extent(0), b.extent(0));
      ASSERT_EQ(a.extent(1), b.extent(1));
      std::int64_t diff = 0;
      for (size_t q = 0; q < a.extent(0); ++q)
        for (size_t t = 0; t < a.extent(1); ++t)
          diff += !(a(q, t) == b(q, t) || (std::isnan(a(q, t)) && std::isnan(b(q, t))));
      EXPECT_EQ(diff, 0) << path << " halo " << halo << ": collective read_nifti_4d differs";
      EXPECT_EQ(vc.frame_times_s, v.frame_times_s);
      if (nt == 1) {
        const Volume3D v3c = io::read_nifti_3d(path, s, halo, comm);
        auto c = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v3c.data);
        ASSERT_EQ(c.extent(0), a.extent(0));
        std::int64_t d3 = 0;
        for (size_t q = 0; q < c.extent(0); ++q) d3 += !(c(q) == a(q, 0) || (std::isnan(c(q)) && std::isnan(a(q, 0))));
        EXPECT_EQ(d3, 0) << path << " halo " << halo << ": collective read_nifti_3d differs";
      }
    }
    ASSERT_EQ(v.layout.stored_planes(), s.nz + 2 * halo);
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v.data);
    std::int64_t bad = 0;
    for (std::int64_t k = -halo; k < s.nz + halo; ++k) {
      const std::int64_t z = s.to_global(k);
      for (std::int64_t t = 0; t < nt; ++t)
        for (std::int64_t j = 0; j < ny; ++j)
          for (std::int64_t i = 0; i < nx; ++i) {
            const float got = h(v.layout.index(i, j, k), t);
            const double want = (z >= 0 && z < nz) ? ref.at(i, j, z, t) : 0.0;
            const auto ok = same_value(got, want);
            if (!ok && ++bad <= 5)
              ADD_FAILURE() << path << " halo " << halo << " voxel (" << i << "," << j << "," << z << "," << t
                            << "): " << ok.message();
          }
    }
    EXPECT_EQ(bad, 0) << path << " halo " << halo << " rank " << comm.rank();
    if (nt > 1) {
      EXPECT_EQ(v.frame_times_s, io::read_nifti_info(path).frame_times_s);
      EXPECT_THROW(io::read_nifti_3d(path, s, halo), InputError);
    } else {
      const Volume3D v3 = io::read_nifti_3d(path, s, halo);
      auto h3 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v3.data);
      ASSERT_EQ(h3.extent(0), h.extent(0));
      for (size_t q = 0; q < h3.extent(0); ++q) {
        const bool same = h3(q) == h(q, 0) || (std::isnan(h3(q)) && std::isnan(h(q, 0)));
        if (!same) {
          ADD_FAILURE() << path << ": read_nifti_3d differs from read_nifti_4d at storage index " << q;
          break;
        }
      }
    }
  }
}

class NibabelFiles : public ::testing::TestWithParam<std::string> {};

TEST_P(NibabelFiles, InfoAndSlabsMatchNibabel) {
  ASSERT_TRUE(NiftiEnv::made);
  const std::string path = GetParam()[0] == '/' ? GetParam()
                           : GetParam().rfind("synthetic/", 0) == 0 ? NiftiEnv::dir + "/" + GetParam()
                                                                    : kNibabelData + "/" + GetParam();
  const Reference ref = nibabel_dump(path);
  ASSERT_FALSE(ref.data.empty());
  check_info(path, ref);
  check_slabs(path, ref);
}

INSTANTIATE_TEST_SUITE_P(NibabelTestData, NibabelFiles,
                         ::testing::Values("anatomical.nii", "functional.nii", "example4d.nii.gz",
                                           "example_nifti2.nii.gz"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

INSTANTIATE_TEST_SUITE_P(Synthetic, NibabelFiles,
                         ::testing::Values("synthetic/s4_f64.nii.gz", "synthetic/s4_u16_scaled.nii",
                                           "synthetic/s4_u8_qform.nii", "synthetic/s4_i32_nifti2.nii",
                                           "synthetic/s4_f32_bigendian.nii.gz", "synthetic/s3_i16_oneplane.nii",
                                           "synthetic/s3_i16_noxform.nii"),
                         [](const auto& info) {
                           std::string n = info.param.substr(10);
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(NiftiRead, SyntheticValuesAreTheOnesWritten) {
  // independent of nibabel: s4_f64 holds 1000 t + 100 z + 10 j + i + 0.5 and the scaled uint16
  // file 0.5 * (1000 t + 100 z + 10 j + i) - 3, both 4 x 3 x 2 x 5 (nz = 2 < 3 ranks)
  ASSERT_TRUE(NiftiEnv::made);
  Comm comm;
  for (const char* name : {"s4_f64.nii.gz", "s4_u16_scaled.nii"}) {
    const std::string path = NiftiEnv::dir + "/synthetic/" + name;
    const bool scaled = std::string(name).find("scaled") != std::string::npos;
    const Slab s = make_slab(2, comm.rank(), comm.size());
    const Volume4D v = io::read_nifti_4d(path, s, 1);
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v.data);
    for (std::int64_t k = -1; k < s.nz + 1; ++k) {
      const std::int64_t z = s.to_global(k);
      for (std::int64_t t = 0; t < 5; ++t)
        for (std::int64_t j = 0; j < 3; ++j)
          for (std::int64_t i = 0; i < 4; ++i) {
            const double raw = 1000.0 * t + 100.0 * z + 10.0 * j + i;
            const double want = (z < 0 || z >= 2) ? 0.0 : scaled ? 0.5 * raw - 3.0 : raw + 0.5;
            EXPECT_EQ(h(v.layout.index(i, j, k), t), static_cast<float>(want)) << name << " z=" << z << " t=" << t;
          }
    }
    const io::ImageInfo info = io::read_nifti_info(path);
    if (scaled) {
      EXPECT_DOUBLE_EQ(info.rescale_slope, 0.5);
      EXPECT_DOUBLE_EQ(info.rescale_intercept, -3.0);
      EXPECT_NEAR(info.grid.spacing_mm[0], 1.5e-3, 1e-12);  // micron
      ASSERT_EQ(info.frame_times_s.size(), 5u);
      EXPECT_NEAR(info.frame_times_s[4], 1.0, 1e-12);  // 4 x 250 ms
    } else {
      ASSERT_EQ(info.frame_times_s.size(), 5u);
      EXPECT_NEAR(info.frame_times_s[2], 3.0, 1e-12);  // 2 x 1.5 s
    }
  }
}

TEST(NiftiRead, VoxOffsetZeroMeansRightAfterTheHeader) {
  // 5 x 4 x 1 int16, i + 10 j, vox_offset 0, voxels at byte 348 (nifti_clib's rule)
  ASSERT_TRUE(NiftiEnv::made);
  Comm comm;
  const std::string path = NiftiEnv::dir + "/synthetic/s3_i16_voxoffset0.nii";
  const Slab s = make_slab(1, comm.rank(), comm.size());
  const Volume3D v = io::read_nifti_3d(path, s, 0);
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v.data);
  for (std::int64_t k = 0; k < s.nz; ++k)
    for (std::int64_t j = 0; j < 4; ++j)
      for (std::int64_t i = 0; i < 5; ++i) EXPECT_EQ(h(v.layout.index(i, j, k)), static_cast<float>(i + 10 * j));
}

TEST(NiftiRead, ContentNotFileNameDecides) {
  // functional.nii copied to a name without a NIfTI extension reads the same
  ASSERT_TRUE(NiftiEnv::made);
  Comm comm;
  const std::string orig = kNibabelData + "/functional.nii", copy = NiftiEnv::dir + "/synthetic/functional_copy.data";
  EXPECT_TRUE(io::read_nifti_info(copy).grid.same_geometry(io::read_nifti_info(orig).grid, 0.0));
  const Slab s = make_slab(3, comm.rank(), comm.size());
  const Volume4D a = io::read_nifti_4d(orig, s, 1), b = io::read_nifti_4d(copy, s, 1);
  auto ha = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.data);
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), b.data);
  ASSERT_EQ(ha.extent(0), hb.extent(0));
  ASSERT_EQ(ha.extent(1), 20u);
  std::int64_t diff = 0;
  for (size_t q = 0; q < ha.extent(0); ++q)
    for (size_t t = 0; t < ha.extent(1); ++t) diff += ha(q, t) != hb(q, t);
  EXPECT_EQ(diff, 0);
}

/// Checks an InputError: a one-line message naming `path` (and `word` if given), exit code 2.
void check_input_error(const InputError& e, const std::string& path, const std::string& word) {
  const std::string m = e.what();
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  if (!word.empty()) {
    EXPECT_NE(m.find(word), std::string::npos) << m;
  }
  EXPECT_EQ(e.exit_code(), 2);
}

/// Expects InputError from f on this rank with a one-line message naming `path`.
template <class F>
void expect_input_error(F&& f, const std::string& path, const std::string& word = "") {
  try {
    f();
    ADD_FAILURE() << "no error for " << path;
  } catch (const InputError& e) {
    check_input_error(e, path, word);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception for " << path << ": " << e.what();
  }
}

/// Expects the collective readers' verdict: the lowest failing rank an InputError as above, every
/// other rank a PeerFailure with exit code 2 (one error line for the user).
template <class F>
void expect_collective_input_error(F&& f, const std::string& path, const std::string& word = "") {
  try {
    f();
    ADD_FAILURE() << "no error for " << path;
  } catch (const PeerFailure& e) {
    EXPECT_EQ(e.exit_code(), 2) << path;
  } catch (const InputError& e) {
    check_input_error(e, path, word);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception for " << path << ": " << e.what();
  }
}

TEST(NiftiRead, BadFilesThrowInputErrorOnEveryRank) {
  ASSERT_TRUE(NiftiEnv::made);
  Comm comm;
  const std::string d = NiftiEnv::dir;
  if (comm.is_root()) {
    std::ofstream(d + "/empty.nii").close();
    std::ofstream txt(d + "/text.nii");
    for (int i = 0; i < 100; ++i) txt << "this is not a NIfTI header, line " << i << "\n";
    txt.close();
    std::ofstream(d + "/short.nii.gz") << "tiny";
  }
  comm.barrier();
  const Slab s3 = make_slab(25, comm.rank(), comm.size());
  const Slab s4 = make_slab(24, comm.rank(), comm.size());
  for (const std::string& p : {d + "/missing.nii", d + "/empty.nii", d + "/text.nii", d + "/short.nii.gz"}) {
    expect_input_error([&] { io::read_nifti_info(p); }, p);
    expect_input_error([&] { io::read_nifti_3d(p, s3, 1); }, p);
    expect_input_error([&] { io::read_nifti_4d(p, s3, 0); }, p);
  }
  expect_input_error([&] { io::read_nifti_info(d + "/empty.nii"); }, d + "/empty.nii", "empty");
  expect_input_error([&] { io::read_nifti_info(d + "/text.nii"); }, d + "/text.nii", "not a NIfTI file");
  expect_input_error([&] { io::read_nifti_info(d); }, d);
  // int64 is not a supported datatype: the message names it
  const std::string bad = d + "/synthetic/bad_int64.nii";
  expect_input_error([&] { io::read_nifti_info(bad); }, bad, "INT64");
  // truncated plain file: header readable, data short, every rank notices (by size)
  const std::string tr = d + "/synthetic/truncated.nii";
  expect_input_error([&] { io::read_nifti_info(tr); }, tr, "truncated");
  expect_input_error([&] { io::read_nifti_3d(tr, s3, 0); }, tr, "truncated");
  // truncated gzip stream (example4d.nii.gz, 128 x 96 x 24 x 2): every rank, including those
  // whose own planes are intact, reports it
  const std::string tz = d + "/synthetic/truncated.nii.gz";
  EXPECT_EQ(io::read_nifti_info(tz).grid.nt, 2);  // the header itself is intact
  expect_input_error([&] { io::read_nifti_4d(tz, s4, 1); }, tz, "truncated");
  // the collective reader (rank 0 inflates the one stream and streams the planes): the same verdict
  // on every rank, no rank left waiting
  expect_collective_input_error([&] { io::read_nifti_4d(tz, s4, 1, comm); }, tz, "truncated");
  expect_collective_input_error([&] { io::read_nifti_4d(tz, s4, 0, comm); }, tz, "truncated");
  // anatomical.nii compressed and cut near its end: ranks whose planes are intact still throw
  const std::string te = d + "/synthetic/truncated_end.nii.gz";
  expect_input_error([&] { io::read_nifti_3d(te, s3, 1); }, te, "truncated");
  expect_collective_input_error([&] { io::read_nifti_3d(te, s3, 1, comm); }, te, "truncated");
  for (const std::string& p : {d + "/missing.nii", d + "/text.nii", d + "/short.nii.gz"})
    expect_collective_input_error([&] { io::read_nifti_4d(p, s3, 0, comm); }, p);
  // a 4D file is not a 3D volume
  const std::string f4 = kNibabelData + "/functional.nii";
  expect_input_error([&] { io::read_nifti_3d(f4, make_slab(3, comm.rank(), comm.size()), 0); }, f4, "4D");
}

// ---------------------------------------------------------------------------------------------
// writing

struct WriteCase {
  std::string ext;
  io::MapType type;
  bool with_reference;
};

std::string type_name(io::MapType t) {
  return t == io::MapType::Float32 ? "float32" : t == io::MapType::Int16 ? "int16" : "uint8";
}

void PrintTo(const WriteCase& c, std::ostream* os) {
  *os << type_name(c.type) << " " << c.ext << (c.with_reference ? " with reference" : "");
}

/// Map value at global voxel (i, j, z): ranges past the int16 and uint8 limits, with exact
/// halves (rounding) and one NaN at (1, 2, nz - 1).
float map_value(io::MapType t, std::int64_t i, std::int64_t j, std::int64_t z, std::int64_t nz) {
  if (i == 1 && j == 2 && z == nz - 1) return std::numeric_limits<float>::quiet_NaN();
  const double a = t == io::MapType::Int16 ? 3500.0 : t == io::MapType::UInt8 ? 20.0 : 1.5;
  return static_cast<float>(a * static_cast<double>(z - nz / 2) + 10.5 * j - 0.25 * i);
}

/// What the file must hold: float32 as is; integers rounded half away from zero, clamped, NaN 0.
double stored_value(io::MapType t, float v) {
  if (t == io::MapType::Float32) return static_cast<double>(v);
  if (std::isnan(v)) return 0.0;
  const double lo = t == io::MapType::Int16 ? -32768.0 : 0.0, hi = t == io::MapType::Int16 ? 32767.0 : 255.0;
  const double r = v >= 0 ? std::floor(static_cast<double>(v) + 0.5) : -std::floor(-static_cast<double>(v) + 0.5);
  return std::min(hi, std::max(lo, r));
}

std::vector<std::string> leftovers(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) out.push_back(e.path().string());
  return out;
}

class NiftiWrite : public ::testing::TestWithParam<WriteCase> {};

TEST_P(NiftiWrite, RoundTripThroughNibabelAndReader) {
  ASSERT_TRUE(NiftiEnv::made);
  const WriteCase wc = GetParam();
  Comm comm;
  const std::string anat = kNibabelData + "/anatomical.nii";
  const io::ImageInfo info = io::read_nifti_info(anat);  // 33 x 41 x 25, sform code 2
  const Grid& g = info.grid;
  const std::int64_t nx = g.nx(), ny = g.ny(), nz = g.nz();
  const Slab s = make_slab(nz, comm.rank(), comm.size());
  Volume3D map(g, s, 1);
  auto h = Kokkos::create_mirror_view(map.data);
  Kokkos::deep_copy(h, 1e9f);  // halo planes hold garbage that must not be written
  for (std::int64_t k = 0; k < s.nz; ++k)
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) h(map.layout.index(i, j, k)) = map_value(wc.type, i, j, s.to_global(k), nz);
  Kokkos::deep_copy(map.data, h);

  const std::string folder = NiftiEnv::dir + "/out";
  if (comm.is_root()) fs::create_directories(folder);
  comm.barrier();
  const std::string path = folder + "/map_" + type_name(wc.type) + (wc.with_reference ? "_ref" : "") + wc.ext;
  io::NiftiReference ref{g, wc.with_reference ? anat : ""};
  const std::string descr = wc.with_reference ? "" : "voxflow test map";
  io::write_nifti_map(path, map, ref, wc.type, comm, descr, "1/min");
  comm.barrier();
  EXPECT_TRUE(fs::exists(path));
  EXPECT_TRUE(leftovers(folder).empty());

  // nibabel reads what rank 0 wrote
  const Reference nb = nibabel_dump(path);
  ASSERT_FALSE(nb.data.empty());
  EXPECT_EQ(nb.fields.at("datatype"), type_name(wc.type));
  EXPECT_EQ(nb.shape(0), nx);
  EXPECT_EQ(nb.shape(1), ny);
  EXPECT_EQ(nb.shape(2), nz);
  EXPECT_EQ(nb.shape(3), 1);
  EXPECT_EQ(nb.fields.at("intent_name"), "1/min");
  std::int64_t bad = 0;
  for (std::int64_t z = 0; z < nz; ++z)
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) {
        const double want = stored_value(wc.type, map_value(wc.type, i, j, z, nz));
        const double got = nb.at(i, j, z, 0);
        const bool same = got == want || (std::isnan(got) && std::isnan(want));
        if (!same && ++bad <= 5) ADD_FAILURE() << path << " (" << i << "," << j << "," << z << "): " << got << " vs " << want;
      }
  EXPECT_EQ(bad, 0);
  if (wc.type == io::MapType::Float32) {
    EXPECT_TRUE(std::isnan(nb.at(1, 2, nz - 1, 0)));
  }
  if (wc.type == io::MapType::Int16) {  // both clamps and a negative half were exercised
    EXPECT_EQ(nb.at(0, 0, 0, 0), -32768.0);
    EXPECT_EQ(nb.at(0, 1, 11, 0), -3490.0);  // -3500 + 10.5 -> -3489.5 -> -3490
    EXPECT_EQ(nb.at(0, ny - 1, nz - 1, 0), 32767.0);
  }
  const Affine want_aff = g.affine;
  const Affine got_aff = nb.affine(), got_q = nb.affine("qform");
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      EXPECT_NEAR(got_aff[r][c], want_aff[r][c], 1e-5) << "affine " << r << c;
      EXPECT_NEAR(got_q[r][c], want_aff[r][c], 1e-4) << "qform " << r << c;
    }
  const Reference anat_nb = wc.with_reference ? nibabel_dump(anat) : Reference{};
  if (wc.with_reference) {  // the reference's codes and description are copied
    EXPECT_EQ(nb.fields.at("sform_code"), anat_nb.fields.at("sform_code"));
    EXPECT_EQ(nb.fields.at("qform_code"), anat_nb.fields.at("qform_code"));
    EXPECT_EQ(nb.fields.at("descrip"), "spm - 3D normalized");
    EXPECT_EQ(nb.fields.at("xyz_unit"), anat_nb.fields.at("xyz_unit"));
  } else {
    EXPECT_EQ(nb.fields.at("sform_code"), "1");
    EXPECT_EQ(nb.fields.at("qform_code"), "1");
    EXPECT_EQ(nb.fields.at("descrip"), "voxflow test map");
    EXPECT_EQ(nb.fields.at("xyz_unit"), "mm");
    EXPECT_EQ(nb.fields.at("t_unit"), "sec");
  }

  // and voxflow's reader, every rank its slab and halo
  const Volume3D back = io::read_nifti_3d(path, s, 1);
  EXPECT_TRUE(io::read_nifti_info(path).grid.same_geometry(g, 1e-4));
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), back.data);
  bad = 0;
  for (std::int64_t k = -1; k < s.nz + 1; ++k) {
    const std::int64_t z = s.to_global(k);
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) {
        const double want = (z < 0 || z >= nz) ? 0.0 : stored_value(wc.type, map_value(wc.type, i, j, z, nz));
        const float got = hb(back.layout.index(i, j, k));
        const bool same = static_cast<double>(got) == want || (std::isnan(got) && std::isnan(want));
        if (!same && ++bad <= 5) ADD_FAILURE() << "read_nifti_3d " << path << " z=" << z << ": " << got << " vs " << want;
      }
  }
  EXPECT_EQ(bad, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NiftiWrite,
    ::testing::Values(WriteCase{".nii", io::MapType::Float32, false}, WriteCase{".nii.gz", io::MapType::Float32, false},
                      WriteCase{".nii", io::MapType::Int16, false}, WriteCase{".nii.gz", io::MapType::Int16, true},
                      WriteCase{".nii", io::MapType::UInt8, true}, WriteCase{".nii.gz", io::MapType::UInt8, false},
                      WriteCase{".nii.gz", io::MapType::Float32, true}),
    [](const auto& info) {
      return type_name(info.param.type) + (info.param.ext == ".nii" ? "_nii" : "_niigz") +
             (info.param.with_reference ? "_ref" : "");
    });

TEST(NiftiWriteSmall, FewerPlanesThanRanks) {
  // 4 x 3 x 2 under 3 ranks: rank 2 owns no plane and sends nothing
  ASSERT_TRUE(NiftiEnv::made);
  Comm comm;
  Grid g;
  g.dims = {4, 3, 2};
  g.spacing_mm = {0.5, 0.5, 1.25};
  g.affine = Grid::scaling_affine(g.spacing_mm);
  g.affine[0][3] = -3.0;
  const Slab s = make_slab(2, comm.rank(), comm.size());
  Volume3D map(g, s, 2);
  auto h = Kokkos::create_mirror_view(map.data);
  Kokkos::deep_copy(h, -7.0f);
  for (std::int64_t k = 0; k < s.nz; ++k)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t i = 0; i < 4; ++i) h(map.layout.index(i, j, k)) = static_cast<float>(i + 10 * j + 100 * s.to_global(k));
  Kokkos::deep_copy(map.data, h);
  const std::string path = NiftiEnv::dir + "/small.nii.gz";
  io::write_nifti_map(path, map, {g, ""}, io::MapType::Float32, comm);
  const Reference nb = nibabel_dump(path);
  ASSERT_EQ(nb.data.size(), 24u);
  for (std::int64_t z = 0; z < 2; ++z)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t i = 0; i < 4; ++i) EXPECT_EQ(nb.at(i, j, z, 0), static_cast<double>(i + 10 * j + 100 * z));
  EXPECT_NEAR(nb.affine()[0][3], -3.0, 1e-6);
  EXPECT_NEAR(nb.affine()[2][2], 1.25, 1e-6);
}

TEST(NiftiWriteErrors, FailuresThrowOnAllRanksAndLeaveNothing) {
  ASSERT_TRUE(NiftiEnv::made);
  Comm comm;
  Grid g;
  g.dims = {4, 3, 5};
  g.spacing_mm = {1.0, 2.0, 3.0};
  g.affine = Grid::scaling_affine(g.spacing_mm);
  const Slab s = make_slab(5, comm.rank(), comm.size());
  Volume3D map(g, s, 0);
  Kokkos::deep_copy(map.data, 1.0f);

  // folder that does not exist: InputError on every rank, no file, no folder made
  const std::string missing = NiftiEnv::dir + "/no/such/folder";
  for (const char* ext : {".nii", ".nii.gz"}) {
    const std::string p = missing + "/map" + ext;
    expect_input_error([&] { io::write_nifti_map(p, map, {g, ""}, io::MapType::Float32, comm); }, p);
    comm.barrier();
    EXPECT_FALSE(fs::exists(p));
  }
  EXPECT_FALSE(fs::exists(NiftiEnv::dir + "/no"));

  // reference that is not a NIfTI file, and one with other dims: InputError everywhere,
  // nothing under the final name nor a temporary left behind
  const std::string folder = NiftiEnv::dir + "/errs";
  if (comm.is_root()) {
    fs::create_directories(folder);
    std::ofstream(folder + "/notnifti.nii") << std::string(600, 'x');
  }
  comm.barrier();
  const std::string p1 = folder + "/a.nii.gz";
  expect_input_error([&] { io::write_nifti_map(p1, map, {g, folder + "/notnifti.nii"}, io::MapType::Int16, comm); },
                     folder + "/notnifti.nii");
  const std::string anat = kNibabelData + "/anatomical.nii";
  expect_input_error([&] { io::write_nifti_map(p1, map, {g, anat}, io::MapType::Int16, comm); }, anat);
  expect_input_error([&] { io::write_nifti_map(folder + "/a.img", map, {g, ""}, io::MapType::UInt8, comm); },
                     folder + "/a.img");
  comm.barrier();
  EXPECT_FALSE(fs::exists(p1));
  EXPECT_TRUE(leftovers(folder).empty());

  // after the failures, the same call with a good path works on every rank
  io::write_nifti_map(p1, map, {g, ""}, io::MapType::Int16, comm);
  comm.barrier();
  EXPECT_TRUE(fs::exists(p1));
  const Volume3D back = io::read_nifti_3d(p1, s, 0);
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), back.data);
  for (size_t q = 0; q < hb.extent(0); ++q) EXPECT_EQ(hb(q), 1.0f);
}

}  // namespace
