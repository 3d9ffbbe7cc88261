// Parallel HDF5 result files (io/hdf5_results.hpp) under 1, 2 and 3 ranks: maps of known values
// (NaN and inf included) written collectively, read back on the same and on other decompositions,
// checked independently with h5py against the same formula (so a file written by N ranks is
// compared with the 1-rank expectation), atomic appearance, and errors raised on every rank.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "io/hdf5_results.hpp"
#include "src/core/distributed_volume.hpp"
#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/slab.hpp"
#include "voxflow/version.hpp"

using namespace voxflow;
namespace fs = std::filesystem;

namespace {

// ---- a fresh temporary folder per test program, made by rank 0 and shared by name ----------
std::string g_dir;

class TempDirEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    Comm comm;
    std::string dir;
    if (comm.is_root()) {
      std::string templ = (fs::temp_directory_path() / "vf-hdf5-XXXXXX").string();
      if (::mkdtemp(templ.data()) == nullptr) std::abort();
      dir = templ;
    }
    g_dir = comm.broadcast(dir);
  }
  void TearDown() override {
    Comm comm;
    comm.barrier();
    std::error_code ec;
    if (comm.is_root()) fs::remove_all(g_dir, ec);
  }
};
[[maybe_unused]] ::testing::Environment* const g_env = ::testing::AddGlobalTestEnvironment(new TempDirEnv);

std::string file_in_dir(const std::string& stem) {
  Comm comm;
  return g_dir + "/" + stem + "_np" + std::to_string(comm.size()) + ".h5";
}

// ---- the known values -------------------------------------------------------------------------
// map 0: m*100000 + 1000 z + 10 j + i + 0.25 (exact in float32 for these sizes)
// map 1: the same, NaN where (i + 2j + 3z) % 7 == 0
// map 2: the negated value, +inf where (i + j + z) % 5 == 1
// tests/… h5py script below repeats this formula.
float truth(int m, std::int64_t i, std::int64_t j, std::int64_t z) {
  const double v = m * 100000.0 + 1000.0 * z + 10.0 * j + i + 0.25;
  if (m == 1 && (i + 2 * j + 3 * z) % 7 == 0) return std::numeric_limits<float>::quiet_NaN();
  if (m == 2) {
    if ((i + j + z) % 5 == 1) return std::numeric_limits<float>::infinity();
    return static_cast<float>(-v);
  }
  return static_cast<float>(v);
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

const char* const kMapNames[3] = {"kb", "maps/kd", "maps/deep/r_squared"};
const char* const kMapUnits[3] = {"1/min", "1/min", ""};

Grid test_grid(std::int64_t nx, std::int64_t ny, std::int64_t nz) {
  Grid g;
  g.dims = {nx, ny, nz};
  g.spacing_mm = {0.9, 1.1, 2.5};
  g.affine = {{{-0.9, 0.1, 0.0, 12.5}, {0.0, 1.1, 0.2, -30.25}, {0.0, 0.0, 2.5, 7.0}, {0.0, 0.0, 0.0, 1.0}}};
  return g;
}

/// Map m on this rank's slab: owned planes from truth(), halo planes filled with -777 (they
/// must not reach the file).
Volume3D make_map(const Grid& g, const Slab& s, int halo, int m) {
  Volume3D v(g, s, halo);
  auto h = Kokkos::create_mirror_view(v.data);
  Kokkos::deep_copy(h, -777.0f);
  for (std::int64_t k = 0; k < s.nz; ++k)
    for (std::int64_t j = 0; j < g.ny(); ++j)
      for (std::int64_t i = 0; i < g.nx(); ++i) h(v.layout.index(i, j, k)) = truth(m, i, j, s.to_global(k));
  Kokkos::deep_copy(v.data, h);
  return v;
}

/// Checks every stored plane of a map read with read_h5_map: planes inside the volume equal
/// truth() bit for bit, planes outside hold 0. Returns the number of mismatches.
int count_mismatches(const Volume3D& v, int m) {
  const Slab& s = v.layout.slab;
  const Grid& g = v.layout.grid;
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v.data);
  int bad = 0;
  for (std::int64_t k = -v.layout.halo; k < s.nz + v.layout.halo; ++k) {
    const std::int64_t z = s.to_global(k);
    for (std::int64_t j = 0; j < g.ny(); ++j)
      for (std::int64_t i = 0; i < g.nx(); ++i) {
        const float want = (z >= 0 && z < g.nz()) ? truth(m, i, j, z) : 0.0f;
        const float got = h(v.layout.index(i, j, k));
        if (bits(want) != bits(got)) {
          if (bad < 5)
            ADD_FAILURE() << "map " << m << " (" << i << ", " << j << ", z=" << z << "): got " << got << ", want "
                          << want;
          ++bad;
        }
      }
  }
  return bad;
}

/// Files in g_dir whose name starts with the file name of `path` followed by ".tmp-".
int temp_files_of(const std::string& path) {
  const std::string prefix = fs::path(path).filename().string() + ".tmp-";
  int n = 0;
  for (const auto& e : fs::directory_iterator(g_dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) ++n;
  return n;
}

/// Both the final file and its temporaries, seen from rank 0, agreed by all ranks.
struct Presence {
  bool final_exists;
  int temps;
};
Presence presence(const std::string& path) {
  Comm comm;
  comm.barrier();
  int v[2] = {0, 0};
  if (comm.is_root()) {
    v[0] = fs::exists(path) ? 1 : 0;
    v[1] = temp_files_of(path);
  }
  MPI_Bcast(v, 2, MPI_INT, 0, comm.comm);
  return {v[0] != 0, v[1]};
}

/// Serial call: runs `what()` and returns the InputError message it throws ("" when it throws
/// nothing or something else; the latter is reported as a failure).
template <class F>
std::string input_error_of(F&& what) {
  try {
    what();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected InputError, nothing thrown";
  return "";
}

/// Collective call failing the same way on every rank: rank 0 must throw E itself, every other
/// rank PeerFailure with E's exit code (one error line per failure, see collective_check).
/// Returns rank 0's message on every rank.
template <class E, class F>
std::string collective_error_of(F&& what, int exit_code) {
  Comm comm;
  std::string msg;
  try {
    what();
    ADD_FAILURE() << "expected an error, nothing thrown";
  } catch (const PeerFailure& e) {
    EXPECT_FALSE(comm.is_root()) << "rank 0 got PeerFailure: " << e.what();
    EXPECT_EQ(e.exit_code(), exit_code);
  } catch (const E& e) {
    EXPECT_TRUE(comm.is_root()) << "rank " << comm.rank() << " threw the error itself: " << e.what();
    EXPECT_EQ(e.exit_code(), exit_code);
    msg = e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected error type: " << e.what();
  }
  return comm.broadcast(msg);
}
template <class F>
std::string collective_input_error_of(F&& what) {
  return collective_error_of<InputError>(std::forward<F>(what), 2);
}

// h5py check of a written file, run by rank 0 with Debian's python3 (VOXFLOW_PYTHON).
const char* const kPyCheck = R"PY(
import sys
import h5py
import numpy as np

path, nx, ny, nz, version, cfg_len = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
affine = np.array([float(a) for a in sys.argv[7:23]]).reshape(4, 4)

def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)

z, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
def truth(m):
    v = m * 100000.0 + 1000.0 * z + 10.0 * j + i + 0.25
    if m == 1:
        v = np.where((i + 2 * j + 3 * z) % 7 == 0, np.nan, v)
    if m == 2:
        v = np.where((i + j + z) % 5 == 1, np.inf, -v)
    return v.astype(np.float32)

with h5py.File(path, "r") as f:
    a = f.attrs
    assert np.array_equal(a["affine"], affine) and a["affine"].dtype == np.float64, a["affine"]
    assert a["affine"].shape == (4, 4)
    assert np.array_equal(a["dims"], [nx, ny, nz]) and a["dims"].dtype == np.int64, a["dims"]
    assert np.array_equal(a["spacing_mm"], [0.9, 1.1, 2.5]), a["spacing_mm"]
    assert text(a["axis_order"]) == "zyx"
    assert text(a["voxflow_version"]) == version, a["voxflow_version"]
    assert text(a["command_line"]) == "voxflow kinetics --out x.h5"
    assert len(text(a["configuration"])) == cfg_len
    assert text(a["note"]) == "h\u00e9llo"
    assert np.array_equal(a["frame_times_s"], [0.0, 1.5, 3.25])
    for m, (name, units) in enumerate([("kb", "1/min"), ("maps/kd", "1/min"), ("maps/deep/r_squared", "")]):
        d = f[name]
        assert d.shape == (nz, ny, nx), (name, d.shape)
        assert d.dtype == np.float32, d.dtype
        assert d.chunks == (1, ny, nx), d.chunks
        assert d.compression == "gzip" and d.compression_opts == 1, (d.compression, d.compression_opts)
        assert text(d.attrs["units"]) == units
        got = d[...]
        want = truth(m)
        assert np.array_equal(np.isnan(got), np.isnan(want)), name
        assert np.array_equal(got, want, equal_nan=True), (name, np.argwhere(~((got == want) | (np.isnan(got) & np.isnan(want)))))
    assert f["kb"][...].sum(dtype=np.float64) == truth(0).sum(dtype=np.float64)
    assert np.array_equal(f["checkpoint/done"][...], [1.0, 0.0, 1.0, -2.5])
    assert f["checkpoint/table"].shape == (2, 3)
    assert np.array_equal(f["checkpoint/table"][...], [[1, 2, 3], [4, 5, 6]])
    assert f["checkpoint/empty"].shape == (0,)
print("h5py check ok")
)PY";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

// ---- round trip on several grids, including fewer planes than ranks ---------------------------

// both write modes (H5WriteMode: collective MPI-IO, or chunks deflated by every rank and stored by
// rank 0) must give the same file contents
class H5RoundTrip : public ::testing::TestWithParam<std::tuple<std::array<std::int64_t, 3>, io::H5WriteMode>> {};

TEST_P(H5RoundTrip, WriteReadBackAndH5py) {
  const auto [nx, ny, nz] = std::get<0>(GetParam());
  const io::H5WriteMode mode = std::get<1>(GetParam());
  Comm comm;
  const Grid g = test_grid(nx, ny, nz);
  const std::string path = file_in_dir("rt_" + std::to_string(nx) + "x" + std::to_string(ny) + "x" + std::to_string(nz) +
                                       (mode == io::H5WriteMode::ChunksToRoot ? "_root" : "_par"));
  const Slab s = make_slab(nz, comm.rank(), comm.size());
  // 70 kB of configuration: larger than HDF5's 64 KiB compact attribute limit
  std::string config = "model: extended\n";
  while (config.size() < 70000) config += "# filler line of the configuration text\n";

  {
    io::H5ResultWriter w(path, g, comm, "voxflow kinetics --out x.h5", config, mode);
    {
      const Presence p = presence(path);
      EXPECT_FALSE(p.final_exists) << "final name exists before commit()";
      EXPECT_EQ(p.temps, 1) << "one temporary file while writing";
    }
    for (int m = 0; m < 3; ++m) w.write_map(kMapNames[m], make_map(g, s, 2, m), kMapUnits[m]);
    w.write_attribute("note", std::string("h\u00e9llo"));
    w.write_attribute("frame_times_s", std::vector<double>{0.0, 1.5, 3.25});
    // only rank 0's values count
    w.write_vector("checkpoint/done", comm.is_root() ? std::vector<double>{1.0, 0.0, 1.0, -2.5}
                                                     : std::vector<double>{});
    w.write_matrix("checkpoint/table", comm.is_root() ? std::vector<double>{1, 2, 3, 4, 5, 6} : std::vector<double>{},
                   2, 3);
    w.write_vector("checkpoint/empty", {});
    // rows of every rank in rank order: rank r holds r rows (rank 0 none) of (r, k)
    std::vector<double> rows;
    for (int k = 0; k < comm.rank(); ++k) rows.insert(rows.end(), {double(comm.rank()), double(k)});
    w.write_rows("checkpoint/rows", rows, 2);
    EXPECT_FALSE(presence(path).final_exists) << "final name exists before commit()";
    w.commit();
    const Presence p = presence(path);
    EXPECT_TRUE(p.final_exists);
    EXPECT_EQ(p.temps, 0) << "temporary left after commit()";
  }
  EXPECT_TRUE(presence(path).final_exists) << "committed file removed by the destructor";

  // header, on every rank
  const io::H5FileInfo info = io::read_h5_info(path);
  EXPECT_EQ(info.grid.dims, g.dims);
  EXPECT_EQ(info.grid.nt, 1);
  EXPECT_EQ(info.grid.spacing_mm, g.spacing_mm);
  EXPECT_EQ(info.grid.affine, g.affine);
  EXPECT_EQ(std::set<std::string>(info.datasets.begin(), info.datasets.end()),
            (std::set<std::string>{"kb", "maps/kd", "maps/deep/r_squared", "checkpoint/done", "checkpoint/table",
                                   "checkpoint/empty", "checkpoint/rows"}));
  EXPECT_EQ(info.datasets.size(), 7u);
  auto attr = [&](const std::string& k) { return info.attributes.count(k) ? info.attributes.at(k) : "<missing>"; };
  EXPECT_EQ(attr("voxflow_version"), std::string(kVersion));
  EXPECT_EQ(attr("command_line"), "voxflow kinetics --out x.h5");
  EXPECT_EQ(attr("configuration"), config);
  EXPECT_EQ(attr("axis_order"), "zyx");
  EXPECT_EQ(attr("note"), "h\u00e9llo");
  EXPECT_EQ(info.attributes.count("affine"), 0u) << "numeric attributes are not strings";

  // auxiliary datasets, on every rank
  std::vector<std::int64_t> shape;
  EXPECT_EQ(io::read_h5_vector(path, "checkpoint/done", &shape), (std::vector<double>{1.0, 0.0, 1.0, -2.5}));
  EXPECT_EQ(shape, (std::vector<std::int64_t>{4}));
  EXPECT_EQ(io::read_h5_vector(path, "/checkpoint/table", &shape), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_TRUE(io::read_h5_vector(path, "checkpoint/empty", &shape).empty());
  EXPECT_EQ(shape, (std::vector<std::int64_t>{0}));
  {
    std::vector<double> want;
    for (int r = 0; r < comm.size(); ++r)
      for (int k = 0; k < r; ++k) want.insert(want.end(), {double(r), double(k)});
    const long long n_rows = static_cast<long long>(want.size() / 2);
    EXPECT_EQ(io::read_h5_vector(path, "checkpoint/rows", &shape), want);
    EXPECT_EQ(shape, (std::vector<std::int64_t>{n_rows, 2}));
  }

  // maps on three decompositions: the writer's, the ranks reversed, everything on rank 0
  const int r = comm.rank(), n = comm.size();
  const std::vector<Slab> decompositions = {
      make_slab(nz, r, n), make_slab(nz, n - 1 - r, n),
      r == 0 ? make_slab(nz, 0, 1) : Slab{nz, nz, 0, r, n}};
  for (std::size_t d = 0; d < decompositions.size(); ++d)
    for (int halo : {0, 1})
      for (int m = 0; m < 3; ++m) {
        const Volume3D v = io::read_h5_map(path, kMapNames[m], decompositions[d], halo, comm);
        EXPECT_EQ(v.layout.grid.dims, g.dims);
        EXPECT_EQ(v.layout.grid.affine, g.affine);
        EXPECT_EQ(v.layout.halo, halo);
        EXPECT_EQ(v.layout.slab.z0, decompositions[d].z0);
        EXPECT_EQ(v.units, kMapUnits[m]);
        EXPECT_EQ(count_mismatches(v, m), 0) << "decomposition " << d << " halo " << halo << " map " << m;
      }

  // independent reader: h5py against the same formula (so equal to what 1 rank writes)
  if (comm.is_root()) {
    const std::string script = g_dir + "/check_h5py.py";
    const std::string log = path + ".log";
    {
      std::ofstream out(script);
      out << kPyCheck;
    }
    std::ostringstream cmd;
    cmd.precision(17);
    cmd << VOXFLOW_PYTHON << " " << script << " " << path << " " << nx << " " << ny << " " << nz << " " << kVersion
        << " " << config.size();
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) cmd << " " << g.affine[a][b];
    cmd << " > " << log << " 2>&1";
    const int rc = std::system(cmd.str().c_str());
    EXPECT_EQ(rc, 0) << cmd.str() << "\n" << read_text(log);
    EXPECT_NE(read_text(log).find("h5py check ok"), std::string::npos) << read_text(log);
  }
}

INSTANTIATE_TEST_SUITE_P(Grids, H5RoundTrip,
                         ::testing::Combine(::testing::Values(std::array<std::int64_t, 3>{5, 4, 7},
                                                              std::array<std::int64_t, 3>{3, 2, 2},
                                                              std::array<std::int64_t, 3>{6, 1, 1},
                                                              std::array<std::int64_t, 3>{17, 9, 4}),
                                            ::testing::Values(io::H5WriteMode::Parallel, io::H5WriteMode::ChunksToRoot)));

// ---- atomic appearance ------------------------------------------------------------------------

TEST(H5Writer, NoFileWithoutCommit) {
  Comm comm;
  const Grid g = test_grid(4, 3, 5);
  const std::string path = file_in_dir("uncommitted");
  {
    io::H5ResultWriter w(path, g, comm, "cmd", "cfg");
    w.write_map("kb", make_map(g, make_slab(5, comm.rank(), comm.size()), 1, 0), "1/min");
    const Presence p = presence(path);
    EXPECT_FALSE(p.final_exists);
    EXPECT_EQ(p.temps, 1);
  }
  const Presence p = presence(path);
  EXPECT_FALSE(p.final_exists) << "a writer destroyed without commit() left the final file";
  EXPECT_EQ(p.temps, 0) << "a writer destroyed without commit() left its temporary";
}

TEST(H5Writer, CommitReplacesAnExistingFileAndRejectsSecondCommit) {
  Comm comm;
  const Grid g = test_grid(2, 2, 3);
  const std::string path = file_in_dir("replace");
  if (comm.is_root()) std::ofstream(path) << "old content";
  comm.barrier();
  io::H5ResultWriter w(path, g, comm, "cmd", "cfg");
  w.write_map("a", make_map(g, make_slab(3, comm.rank(), comm.size()), 0, 0), "");
  EXPECT_EQ(read_text(path), "old content") << "the old file must stay until commit()";
  w.commit();
  EXPECT_EQ(io::read_h5_info(path).datasets, std::vector<std::string>{"a"});
  EXPECT_THROW(w.commit(), InternalError);
  EXPECT_THROW(w.write_vector("v", {1.0}), InternalError);
}

// ---- errors on every rank, no hang ------------------------------------------------------------

TEST(H5Writer, MissingFolderIsInputErrorOnAllRanks) {
  Comm comm;
  const std::string path = g_dir + "/no/such/folder/out.h5";
  const std::string msg =
      collective_input_error_of([&] { io::H5ResultWriter w(path, test_grid(2, 2, 2), comm, "", ""); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(g_dir + "/no"));
}

TEST(H5Writer, MapOnAnotherGridOnOneRankFailsOnAllRanks) {
  Comm comm;
  const Grid g = test_grid(4, 3, 5);
  const std::string path = file_in_dir("wronggrid");
  {
    io::H5ResultWriter w(path, g, comm, "cmd", "cfg");
    const Slab s = make_slab(5, comm.rank(), comm.size());
    const bool odd_one = comm.rank() == comm.size() - 1;
    const Volume3D v = odd_one ? make_map(test_grid(4, 4, 5), s, 0, 0) : make_map(g, s, 0, 0);
    // the odd rank reports its own error, the others a PeerFailure (exit code 1 everywhere)
    try {
      w.write_map("kb", v, "");
      ADD_FAILURE() << "no error on rank " << comm.rank();
    } catch (const PeerFailure& e) {
      EXPECT_FALSE(odd_one);
      EXPECT_EQ(e.exit_code(), 1);
    } catch (const InternalError& e) {
      EXPECT_TRUE(odd_one) << e.what();
      EXPECT_NE(std::string(e.what()).find("'kb'"), std::string::npos) << e.what();
    }
    // the same dataset name twice is refused on every rank
    w.write_map("ok", make_map(g, s, 0, 0), "");
    const std::string msg =
        collective_error_of<InternalError>([&] { w.write_map("ok", make_map(g, s, 0, 0), ""); }, 1);
    EXPECT_NE(msg.find("'ok' already written"), std::string::npos) << msg;
  }
  const Presence p = presence(path);
  EXPECT_FALSE(p.final_exists);
  EXPECT_EQ(p.temps, 0);
}

// A file made by another tool (h5py): variable-length string attributes, a float64 map without
// "units", no affine (spacing only), int32 dims. Values must convert exactly to float32.
TEST(H5Reader, ReadsAFileWrittenByH5py) {
  Comm comm;
  const std::string path = file_in_dir("from_h5py");
  int rc = 0;
  std::string log;
  if (comm.is_root()) {
    const std::string script = path + ".py";
    std::ofstream(script) << "import sys, h5py, numpy as np\n"
                             "z, j, i = np.meshgrid(np.arange(3), np.arange(2), np.arange(4), indexing='ij')\n"
                             "with h5py.File(sys.argv[1], 'w') as f:\n"
                             "    f.attrs['dims'] = np.array([4, 2, 3], dtype=np.int32)\n"
                             "    f.attrs['spacing_mm'] = [2.0, 3.0, 4.0]\n"
                             "    f.attrs['source'] = 'made by h5py'\n"
                             "    f['grp/tia'] = (1000.0 * z + 10.0 * j + i + 0.25).astype(np.float64)\n";
    rc = std::system((std::string(VOXFLOW_PYTHON) + " " + script + " " + path + " > " + path + ".log 2>&1").c_str());
    log = read_text(path + ".log");
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm.comm);
  ASSERT_EQ(rc, 0) << log;

  const io::H5FileInfo info = io::read_h5_info(path);
  EXPECT_EQ(info.grid.dims, (std::array<std::int64_t, 3>{4, 2, 3}));
  EXPECT_EQ(info.grid.spacing_mm, (std::array<double, 3>{2.0, 3.0, 4.0}));
  EXPECT_EQ(info.grid.affine, Grid::scaling_affine({2.0, 3.0, 4.0}));
  EXPECT_EQ(info.datasets, std::vector<std::string>{"grp/tia"});
  EXPECT_EQ(info.attributes.count("source") ? info.attributes.at("source") : "", "made by h5py");

  const Slab s = make_slab(3, comm.rank(), comm.size());
  const Volume3D v = io::read_h5_map(path, "grp/tia", s, 1, comm);
  EXPECT_EQ(v.units, "");
  EXPECT_EQ(count_mismatches(v, 0) , 0);  // truth(0, ...) is the same formula
}

TEST(H5Reader, BadInputsAreInputErrorsNamingFileAndDataset) {
  Comm comm;
  const Grid g = test_grid(3, 2, 4);
  const std::string path = file_in_dir("bad_inputs");
  {
    io::H5ResultWriter w(path, g, comm, "cmd", "cfg");
    w.write_map("maps/kb", make_map(g, make_slab(4, comm.rank(), comm.size()), 0, 0), "1/min");
    w.write_vector("aux", {1.0, 2.0});
    w.commit();
  }
  const Slab s = make_slab(4, comm.rank(), comm.size());

  std::string msg = collective_input_error_of([&] { io::read_h5_map(path, "maps/nope", s, 1, comm); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("maps/nope"), std::string::npos) << msg;

  msg = collective_input_error_of([&] { io::read_h5_map(path, "nothere/kb", s, 0, comm); });
  EXPECT_NE(msg.find("nothere/kb"), std::string::npos) << msg;

  msg = collective_input_error_of([&] { io::read_h5_map(path, "aux", s, 0, comm); });  // 1D: wrong shape
  EXPECT_NE(msg.find("aux"), std::string::npos) << msg;
  EXPECT_NE(msg.find("shape"), std::string::npos) << msg;

  msg = collective_input_error_of([&] { io::read_h5_map(path, "maps", s, 0, comm); });  // a group
  EXPECT_NE(msg.find(path), std::string::npos) << msg;

  // a map of another image (nz differs from the caller's slab)
  msg = collective_input_error_of([&] { io::read_h5_map(path, "maps/kb", make_slab(5, comm.rank(), comm.size()), 0, comm); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;

  const std::string missing = g_dir + "/missing.h5";
  msg = collective_input_error_of([&] { io::read_h5_map(missing, "maps/kb", s, 0, comm); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  msg = input_error_of([&] { io::read_h5_info(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;

  const std::string text = g_dir + "/not_hdf5_np" + std::to_string(comm.size()) + ".h5";
  if (comm.is_root()) std::ofstream(text) << "this is not an HDF5 file\n";
  comm.barrier();
  msg = input_error_of([&] { io::read_h5_info(text); });
  EXPECT_NE(msg.find(text), std::string::npos) << msg;
  msg = collective_input_error_of([&] { io::read_h5_map(text, "maps/kb", s, 0, comm); });
  EXPECT_NE(msg.find(text), std::string::npos) << msg;
  msg = input_error_of([&] { io::read_h5_vector(text, "aux"); });
  EXPECT_NE(msg.find(text), std::string::npos) << msg;

  msg = input_error_of([&] { io::read_h5_vector(path, "maps/none"); });
  EXPECT_NE(msg.find("maps/none"), std::string::npos) << msg;
  msg = input_error_of([&] { io::read_h5_vector(path, "maps/kb"); });  // 3D
  EXPECT_NE(msg.find("maps/kb"), std::string::npos) << msg;
}
