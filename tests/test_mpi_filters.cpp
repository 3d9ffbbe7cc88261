// src/filters under 1, 2 and 3 ranks:
//  - gaussian_filter against scipy.ndimage.gaussian_filter(mode='reflect', truncate=4.0) (Debian's
//    python3-scipy, run on rank 0): anisotropic sigma from sigma_mm / spacing_mm, radii wider
//    than a slab and than the whole axis (nz = 5 with sigma_z = 2 -> r_z = 8, 3 ranks), every
//    rank's owned planes compared voxel by voxel;
//  - every result bitwise equal to the same computation on a one-rank communicator
//    (MPI_COMM_SELF, whole volume on each rank): independent of the number of ranks;
//  - otsu_threshold against skimage.filters.threshold_otsu's algorithm re-implemented in numpy
//    (skimage is not a Debian package here; the script cites its code), including values that
//    fall exactly on histogram edges and a constant image; tia::body_mask voxel by voxel;
//  - masked_gaussian (3D and 4D) against numpy where(m, G(A*m)/G(m), A); activity outside the
//    mask does not bleed in, a constant inside the mask stays constant, outside values are kept.
#include <gtest/gtest.h>
#include <mpi.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "io/nifti_writer.hpp"
#include "src/core/splitmix64.hpp"
#include "tests/vessel_test_support.hpp"
#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/slab.hpp"
#include "src/filters/gaussian.hpp"
#include "src/filters/masked_gaussian.hpp"
#include "src/filters/otsu.hpp"
#include "src/tia/body_mask.hpp"
#include "tests/gtest_support.hpp"

using namespace voxflow;
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------- the numpy / scipy reference
const char* kReference = R"PY(
# Reference for tests/test_mpi_filters.cpp. Arrays are nibabel's [x, y, z]; outputs are raw
# float32 with x fastest (Fortran order), the layout of a NIfTI file.
import sys
import numpy as np
import nibabel as nib
from scipy import ndimage


def load(path):
    img = nib.load(path)
    assert img.dataobj.slope in (1.0,) and img.dataobj.inter in (0.0,), (img.dataobj.slope, img.dataobj.inter)
    a = np.asarray(img.dataobj.get_unscaled())
    assert a.dtype == np.float32, a.dtype
    return a


def save(a, path):
    np.asarray(a, dtype=np.float32).ravel(order="F").tofile(path)


def threshold_otsu(image, nbins=256):
    # scikit-image skimage/filters/thresholding.py threshold_otsu (v0.19 - v0.22), with
    # skimage/exposure/exposure.py histogram(image, nbins, source_range='image') for a float
    # image, which is np.histogram(image.flatten(), bins=nbins, range=None):
    image = image.ravel()
    first_pixel = image[0]
    if np.all(image == first_pixel):
        return first_pixel
    counts, bin_edges = np.histogram(image, bins=nbins, range=None)
    bin_centers = (bin_edges[:-1] + bin_edges[1:]) / 2.
    weight1 = np.cumsum(counts)
    weight2 = np.cumsum(counts[::-1])[::-1]
    mean1 = np.cumsum(counts * bin_centers) / weight1
    mean2 = (np.cumsum((counts * bin_centers)[::-1]) / weight2[::-1])[::-1]
    variance12 = weight1[:-1] * weight2[1:] * (mean1[:-1] - mean2[1:]) ** 2
    idx = np.argmax(variance12)
    return bin_centers[idx]


def gauss(a, sigma):
    out = ndimage.gaussian_filter(a, sigma=sigma, mode="reflect", truncate=4.0)
    assert out.dtype == np.float32
    return out


cmd = sys.argv[1]
if cmd == "gauss":  # gauss IN OUT sx sy sz
    save(gauss(load(sys.argv[2]), tuple(float(s) for s in sys.argv[4:7])), sys.argv[3])
elif cmd == "otsu":  # otsu IN OUT_TXT MASK_OUT frac
    s = load(sys.argv[2])
    t = threshold_otsu(s)
    try:  # the real thing, where installed
        from skimage.filters import threshold_otsu as sk
        assert sk(s, nbins=256) == t
    except ImportError:
        pass
    frac = float(sys.argv[5])
    m = (s > t) & (s.astype(np.float64) >= frac * float(s.max()))
    save(m, sys.argv[4])
    with open(sys.argv[3], "w") as f:
        f.write("%r\n" % float(t))
elif cmd == "masked":  # masked MASK OUT sx sy sz IN_t...
    m = load(sys.argv[2]) != 0
    sigma = tuple(float(s) for s in sys.argv[4:7])
    den = gauss(m.astype(np.float32), sigma)
    outs = []
    for p in sys.argv[7:]:
        a = load(p)
        num = gauss(np.where(m, a, np.float32(0)).astype(np.float32), sigma)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(den > 0, num / den, np.float32(0)).astype(np.float32)
        outs.append(np.where(m, q, a))
    np.stack(outs, axis=-1).ravel(order="F").astype(np.float32).tofile(sys.argv[3])
else:
    raise SystemExit("unknown command " + cmd)
)PY";

/// Temp folder shared by all ranks (made by rank 0).
class FilterEnv : public ::testing::Environment {
 public:
  static std::string dir;
  void SetUp() override {
    Comm comm;
    std::string d;
    if (comm.is_root()) {
      char tmpl[] = "/tmp/vf-filters-test-XXXXXX";
      const char* p = mkdtemp(tmpl);
      d = p ? p : "";
    }
    dir = comm.broadcast(d);
  }
  void TearDown() override {
    Comm comm;
    comm.barrier();
    if (comm.is_root() && !dir.empty()) fs::remove_all(dir);
  }
};
std::string FilterEnv::dir;
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new FilterEnv);

/// Runs the reference on rank 0; every rank gets the exit status (and rank 0 prints the log).
int reference(const std::string& args, const std::string& stem) {
  Comm comm;
  int rc = 0;
  if (comm.is_root()) {
    std::string log;
    rc = voxflow::testing::run_python(FilterEnv::dir, kReference, args, &log, stem);
    if (rc != 0) std::fprintf(stderr, "reference %s failed:\n%s\n", args.c_str(), log.c_str());
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm.comm);
  return rc;
}

/// uniform in [0, 1), 24 bits (exact in float32)
float unit(std::uint64_t seed, std::int64_t idx) {
  return static_cast<float>(splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(idx)) >> 40) / 16777216.0f;
}

// make_grid, VoxelFn and make_volume: the shared test helpers of tests/vessel_test_support.hpp
using voxflow::vessel_test::make_grid;
using voxflow::vessel_test::make_volume;
using voxflow::vessel_test::VoxelFn;

/// Owned voxels in file order (x fastest, local planes).
std::vector<float> owned(const Volume3D& v) {
  auto h = Kokkos::create_mirror_view(v.data);
  Kokkos::deep_copy(h, v.data);
  std::vector<float> out(static_cast<size_t>(v.layout.owned_voxels()));
  for (size_t n = 0; n < out.size(); ++n) out[n] = h(v.layout.owned_to_storage(static_cast<std::int64_t>(n)));
  return out;
}

/// The planes [z0, z0 + nz) of a raw float32 file (x fastest) with `nt` values per voxel (t slowest).
std::vector<float> read_planes(const std::string& path, const Grid& g, const Slab& s, std::int64_t t = 0) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  const std::int64_t P = g.plane_size();
  std::vector<float> out(static_cast<size_t>(s.nz * P));
  f.seekg(static_cast<std::streamoff>((t * g.n_voxels() + s.z0 * P) * 4));
  f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size() * 4));
  EXPECT_TRUE(f.good() || out.empty()) << path;
  return out;
}

std::string sigma_args(const std::array<double, 3>& s) {
  std::ostringstream o;
  o.precision(17);
  o << s[0] << " " << s[1] << " " << s[2];
  return o.str();
}

/// Max |a - b| / max(1, |b|) over the voxels; number of exactly equal voxels in *exact.
double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b, size_t* exact = nullptr) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0.0;
  size_t eq = 0;
  for (size_t n = 0; n < a.size() && n < b.size(); ++n) {
    const double d = std::fabs(double(a[n]) - double(b[n])) / std::max(1.0, std::fabs(double(b[n])));
    if (!(d <= m)) m = d;  // NaN propagates
    if (a[n] == b[n]) ++eq;
  }
  if (exact) *exact = eq;
  return m;
}

/// One Gaussian case: distributed vs scipy (1e-6 relative) and vs MPI_COMM_SELF (bitwise).
void check_gaussian(const std::string& name, const Grid& g, const std::array<double, 3>& sigma, const VoxelFn& f,
                    int in_halo) {
  Comm comm;
  Volume3D in = make_volume(g, comm, in_halo, f);
  Volume3D out = filters::gaussian_filter(in, sigma, comm);
  EXPECT_EQ(out.layout.halo, in_halo);
  const std::string src = FilterEnv::dir + "/" + name + "_in.nii", ref = FilterEnv::dir + "/" + name + "_ref.bin";
  io::write_nifti_map(src, in, {g, ""}, io::MapType::Float32, comm);
  ASSERT_EQ(reference("gauss " + src + " " + ref + " " + sigma_args(sigma), name), 0);
  const std::vector<float> mine = owned(out), theirs = read_planes(ref, g, in.layout.slab);
  size_t exact = 0;
  EXPECT_LE(max_rel_diff(mine, theirs, &exact), 1e-6) << name;
  // the same on one rank, whole volume: bitwise equal
  Comm self{MPI_COMM_SELF};
  Volume3D whole = make_volume(g, self, 0, f);
  Volume3D wout = filters::gaussian_filter(whole, sigma, self);
  const std::vector<float> all = owned(wout);
  const std::int64_t P = g.plane_size(), z0 = in.layout.slab.z0;
  ASSERT_EQ(all.size(), static_cast<size_t>(g.n_voxels()));
  for (size_t n = 0; n < mine.size(); ++n)
    ASSERT_EQ(std::memcmp(&mine[n], &all[static_cast<size_t>(z0 * P) + n], 4), 0) << name << " voxel " << n;
  if (comm.is_root())
    std::printf("[ %s ] %zu of %zu voxels bitwise equal to scipy\n", name.c_str(), exact, mine.size());
}

float noisy(std::int64_t i, std::int64_t j, std::int64_t k, std::uint64_t seed, const Grid& g) {
  return 100.0f * unit(seed, i + g.nx() * (j + g.ny() * k));
}

}  // namespace

TEST(Gaussian, KernelMatchesScipyDefinition) {
  EXPECT_EQ(filters::gaussian_radius(1.0), 4);
  EXPECT_EQ(filters::gaussian_radius(2.0), 8);
  EXPECT_EQ(filters::gaussian_radius(0.5), 2);
  EXPECT_EQ(filters::gaussian_radius(0.1), 0);
  EXPECT_EQ(filters::gaussian_radius(1.125), 5);  // int(4.5 + 0.5) = 5
  const auto w = filters::gaussian_kernel1d(1.5, 6);
  ASSERT_EQ(w.size(), 13u);
  double s = 0.0;
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(w[i], w[w.size() - 1 - i]);
    s += w[i];
  }
  EXPECT_NEAR(s, 1.0, 1e-15);
  EXPECT_NEAR(w[7] / w[6], std::exp(-0.5 / 2.25), 1e-15);
  EXPECT_THROW(filters::gaussian_radius(-1.0), InputError);
  EXPECT_THROW(filters::gaussian_radius(std::nan("")), InputError);
  const auto sv = filters::sigma_mm_to_vox(2.0, {4.0, 2.0, 0.5});
  EXPECT_DOUBLE_EQ(sv[0], 0.5);
  EXPECT_DOUBLE_EQ(sv[1], 1.0);
  EXPECT_DOUBLE_EQ(sv[2], 4.0);
  EXPECT_THROW(filters::sigma_mm_to_vox(2.0, {0.0, 1.0, 1.0}), InputError);
}

TEST(Gaussian, AnisotropicSpacingMatchesScipy) {
  const Grid g = make_grid(13, 10, 9, {2.0, 1.6, 3.0});
  const auto sigma = filters::sigma_mm_to_vox(2.5, g.spacing_mm);  // 1.25, 1.5625, 0.8333 voxels
  check_gaussian("aniso", g, sigma, [&](auto i, auto j, auto k) { return noisy(i, j, k, 11, g); }, 0);
}

TEST(Gaussian, RadiusWiderThanSlabAndAxis) {
  // nz = 5 on 3 ranks: slabs of 2, 2, 1 planes; sigma_z = 2 -> r_z = 8 > nz; x: r = 12 > nx = 4
  const Grid g = make_grid(4, 6, 5);
  check_gaussian("wide", g, {3.0, 0.6, 2.0}, [&](auto i, auto j, auto k) { return noisy(i, j, k, 12, g); }, 1);
}

TEST(Gaussian, SkippedAxesAndSpike) {
  // sigma 0 along x and y (scipy skips those axes), a single bright plane spreads along z only
  const Grid g = make_grid(5, 4, 8);
  check_gaussian("zonly", g, {0.0, 0.0, 1.1}, [](auto i, auto, auto k) { return k == 0 ? 1000.0f + float(i) : 1.0f; },
                 2);
  // more z planes than ranks, small kernel, a hot voxel at the rank boundary region
  const Grid g2 = make_grid(7, 7, 12);
  check_gaussian("spike", g2, {0.7, 1.0, 1.4},
                 [](auto i, auto j, auto k) { return (i == 3 && j == 3 && (k == 4 || k == 7)) ? 5000.0f : 0.0f; }, 0);
}

TEST(Gaussian, RejectsVolumeOfAnotherGrid) {
  Comm comm;
  const Grid g = make_grid(4, 4, 6);
  Volume3D a = make_volume(g, comm, 0, [](auto, auto, auto) { return 1.0f; });
  Volume3D b = make_volume(make_grid(4, 5, 6), comm, 0, [](auto, auto, auto) { return 1.0f; });
  filters::GaussianFilter f(a.layout, {1.0, 1.0, 1.0});
  EXPECT_THROW(f.apply(a, b, comm), InternalError);
  EXPECT_THROW(filters::GaussianFilter(a.layout, {1.0, -1.0, 1.0}), InputError);
}

namespace {

/// Otsu + body mask: distributed vs the numpy reference (threshold exact, mask voxel by voxel)
/// and vs MPI_COMM_SELF.
void check_otsu(const std::string& name, const Grid& g, const VoxelFn& f, double frac) {
  Comm comm;
  Volume3D s = make_volume(g, comm, 1, f);
  const double t = filters::otsu_threshold(s, comm);
  Volume3D mask = tia::body_mask(s, frac, comm);
  const std::string src = FilterEnv::dir + "/" + name + "_in.nii", txt = FilterEnv::dir + "/" + name + "_t.txt",
                    ref = FilterEnv::dir + "/" + name + "_mask.bin";
  io::write_nifti_map(src, s, {g, ""}, io::MapType::Float32, comm);
  std::ostringstream fr;
  fr.precision(17);
  fr << frac;
  ASSERT_EQ(reference("otsu " + src + " " + txt + " " + ref + " " + fr.str(), name), 0);
  double tref = 0.0;
  {
    std::ifstream in(txt);
    in >> tref;
    ASSERT_TRUE(in.good() || in.eof());
  }
  EXPECT_EQ(t, tref) << name;  // the same float32 bin centre
  EXPECT_EQ(static_cast<double>(static_cast<float>(t)), t);
  const std::vector<float> mine = owned(mask), theirs = read_planes(ref, g, s.layout.slab);
  ASSERT_EQ(mine.size(), theirs.size());
  long long diff = 0, inside = 0;
  for (size_t n = 0; n < mine.size(); ++n) {
    diff += mine[n] != theirs[n];
    inside += mine[n] != 0.0f;
  }
  EXPECT_EQ(comm.sum(diff), 0LL) << name;
  EXPECT_EQ(filters::count_nonzero(mask, comm), comm.sum(inside));
  Comm self{MPI_COMM_SELF};
  Volume3D whole = make_volume(g, self, 0, f);
  EXPECT_EQ(filters::otsu_threshold(whole, self), t);
  const filters::OtsuHistogram h1 = filters::otsu_histogram(whole, self), h = filters::otsu_histogram(s, comm);
  EXPECT_EQ(h1.counts, h.counts);
  EXPECT_EQ(h.n_finite, g.n_voxels());
  if (comm.is_root())
    std::printf("[ %s ] threshold %.9g, %lld voxels in the mask\n", name.c_str(), t, comm.sum(inside));
  else
    comm.sum(inside);
}

}  // namespace

TEST(Otsu, BimodalBodyMatchesSkimage) {
  // air ~ 0-5, body ellipsoid ~ 200-300 with a hot sphere ~ 3000
  const Grid g = make_grid(20, 16, 11);
  check_otsu("bimodal", g,
             [&](auto i, auto j, auto k) {
               const double x = (i - 9.5) / 8.0, y = (j - 7.5) / 6.0, z = (k - 5.0) / 4.5;
               const float u = unit(21, i + 20 * (j + 16 * k));
               if ((i - 12) * (i - 12) + (j - 8) * (j - 8) + (k - 5) * (k - 5) <= 4) return 3000.0f + 100.0f * u;
               if (x * x + y * y + z * z <= 1.0) return 200.0f + 100.0f * u;
               return 5.0f * u;
             },
             0.02);
}

TEST(Otsu, ValuesOnBinEdgesAndFractionOfMax) {
  // integers 0..512 as float: every even value is exactly a bin edge (width 2); the fraction of
  // the max (0.6 * 512) removes part of the upper class
  const Grid g = make_grid(9, 7, 8);
  check_otsu("edges", g,
             [&](auto i, auto j, auto k) {
               const std::int64_t n = i + 9 * (j + 7 * k);
               if (n == 0) return 0.0f;
               if (n == 1) return 512.0f;
               return static_cast<float>(splitmix64(static_cast<std::uint64_t>(n)) % 513);
             },
             0.6);
}

TEST(Otsu, ConstantImageAndNonFinite) {
  Comm comm;
  const Grid g = make_grid(3, 3, 4);
  Volume3D c = make_volume(g, comm, 0, [](auto, auto, auto) { return 42.5f; });
  EXPECT_EQ(filters::otsu_threshold(c, comm), 42.5);
  Volume3D m = tia::body_mask(c, 0.02, comm);
  EXPECT_EQ(filters::count_nonzero(m, comm), 0);  // S > t is false everywhere, as in numpy
  // NaN voxels are skipped by the histogram and are outside the mask
  Volume3D n = make_volume(g, comm, 0, [](auto i, auto, auto k) {
    return i == 1 ? std::nanf("") : (k < 2 ? 1.0f : 9.0f);
  });
  const double t = filters::otsu_threshold(n, comm);
  EXPECT_GT(t, 1.0);
  EXPECT_LT(t, 9.0);
  EXPECT_EQ(filters::otsu_histogram(n, comm).n_finite, 24);
  EXPECT_EQ(filters::count_nonzero(tia::body_mask(n, 0.0, comm), comm), 12);
  Volume3D allnan = make_volume(g, comm, 0, [](auto, auto, auto) { return std::nanf(""); });
  EXPECT_THROW(filters::otsu_threshold(allnan, comm), InputError);
  EXPECT_THROW(tia::body_mask(c, 1.5, comm), InputError);
}

namespace {

/// Masked gaussian on a 4D volume: vs numpy reference and vs MPI_COMM_SELF; returns the owned result.
std::vector<std::vector<float>> check_masked(const std::string& name, const Grid& g, const std::array<double, 3>& sigma,
                                             const VoxelFn& mask_fn,
                                             const std::function<float(std::int64_t, std::int64_t, std::int64_t, int)>& act_fn,
                                             int nt) {
  Comm comm;
  Volume3D mask = make_volume(g, comm, 0, mask_fn);
  Grid g4 = g;
  g4.nt = nt;
  const Slab slab = mask.layout.slab;
  Volume4D act(g4, slab, 1, "act");
  std::vector<Volume3D> frames;
  {
    auto h = Kokkos::create_mirror_view(act.data);
    Kokkos::deep_copy(h, -7.0f);  // halo planes: must stay as they are
    for (int t = 0; t < nt; ++t) {
      frames.push_back(make_volume(g, comm, 0, [&](auto i, auto j, auto k) { return act_fn(i, j, k, t); }));
      for (std::int64_t k = 0; k < slab.nz; ++k)
        for (std::int64_t j = 0; j < g.ny(); ++j)
          for (std::int64_t i = 0; i < g.nx(); ++i) h(act.layout.index(i, j, k), t) = act_fn(i, j, slab.to_global(k), t);
    }
    Kokkos::deep_copy(act.data, h);
  }
  filters::masked_gaussian(act, mask, sigma, comm);
  std::string args = "masked " + FilterEnv::dir + "/" + name + "_mask.nii " + FilterEnv::dir + "/" + name + "_ref.bin " +
                     sigma_args(sigma);
  io::write_nifti_map(FilterEnv::dir + "/" + name + "_mask.nii", mask, {g, ""}, io::MapType::Float32, comm);
  for (int t = 0; t < nt; ++t) {
    const std::string p = FilterEnv::dir + "/" + name + "_a" + std::to_string(t) + ".nii";
    io::write_nifti_map(p, frames[static_cast<size_t>(t)], {g, ""}, io::MapType::Float32, comm);
    args += " " + p;
  }
  EXPECT_EQ(reference(args, name), 0);
  auto h = Kokkos::create_mirror_view(act.data);
  Kokkos::deep_copy(h, act.data);
  const std::int64_t P = g.plane_size();
  for (std::int64_t v = 0; v < P; ++v)  // halo planes untouched
    for (int t = 0; t < nt; ++t) {
      EXPECT_EQ(h(v, t), -7.0f);
      EXPECT_EQ(h(act.layout.stored_voxels() - 1 - v, t), -7.0f);
    }
  std::vector<std::vector<float>> res;
  for (int t = 0; t < nt; ++t) {
    std::vector<float> mine(static_cast<size_t>(act.layout.owned_voxels()));
    for (size_t n = 0; n < mine.size(); ++n) mine[n] = h(act.layout.owned_to_storage(static_cast<std::int64_t>(n)), t);
    const std::vector<float> theirs = read_planes(FilterEnv::dir + "/" + name + "_ref.bin", g, slab, t);
    EXPECT_LE(max_rel_diff(mine, theirs), 1e-6) << name << " t=" << t;
    // 3D variant on the same frame: bitwise the same as the 4D one
    Volume3D f3 = frames[static_cast<size_t>(t)];
    Volume3D copy(g, slab, 0, "copy");
    Kokkos::deep_copy(copy.data, f3.data);
    filters::masked_gaussian(copy, mask, sigma, comm);
    const std::vector<float> mine3 = owned(copy);
    EXPECT_EQ(std::memcmp(mine3.data(), mine.data(), mine.size() * 4), 0) << name << " t=" << t;
    // one rank, whole volume: bitwise equal
    Comm self{MPI_COMM_SELF};
    Volume3D wm = make_volume(g, self, 0, mask_fn);
    Volume3D wa = make_volume(g, self, 2, [&](auto i, auto j, auto k) { return act_fn(i, j, k, t); });
    filters::masked_gaussian(wa, wm, sigma, self);
    const std::vector<float> all = owned(wa);
    EXPECT_EQ(std::memcmp(all.data() + slab.z0 * P, mine.data(), mine.size() * 4), 0) << name << " t=" << t;
    res.push_back(mine);
  }
  return res;
}

bool in_body(std::int64_t i, std::int64_t j, std::int64_t k) {
  const double x = (i - 7.0) / 6.0, y = (j - 6.0) / 5.0, z = (k - 3.0) / 3.2;
  return x * x + y * y + z * z <= 1.0;
}

}  // namespace

TEST(MaskedGaussian, MatchesNumpyAndKeepsBackground) {
  Comm comm;
  const Grid g = make_grid(15, 13, 7, {4.0, 4.0, 5.0});
  const auto sigma = filters::sigma_mm_to_vox(5.0, g.spacing_mm);
  // hot sphere inside a warm body; outside the mask 0 (air) except a very hot "bladder" at the
  // corner that must not bleed in
  auto act = [&](std::int64_t i, std::int64_t j, std::int64_t k, int t) -> float {
    const float u = unit(31 + static_cast<std::uint64_t>(t), i + 15 * (j + 13 * k));
    if (!in_body(i, j, k)) return (i < 2 && j < 2) ? 1.0e6f : 0.0f;
    const float hot = ((i - 8) * (i - 8) + (j - 6) * (j - 6) + (k - 3) * (k - 3) <= 4) ? 5000.0f / float(t + 1) : 0.0f;
    return 100.0f + hot + 20.0f * u;
  };
  const auto res =
      check_masked("masked", g, sigma, [](auto i, auto j, auto k) { return in_body(i, j, k) ? 1.0f : 0.0f; }, act, 3);
  const Slab slab = make_slab(g.nz(), comm.rank(), comm.size());
  for (int t = 0; t < 3; ++t)
    for (std::int64_t k = 0; k < slab.nz; ++k)
      for (std::int64_t j = 0; j < g.ny(); ++j)
        for (std::int64_t i = 0; i < g.nx(); ++i) {
          const float v = res[static_cast<size_t>(t)][static_cast<size_t>(i + g.nx() * (j + g.ny() * k))];
          if (!in_body(i, j, slab.to_global(k)))
            EXPECT_EQ(v, act(i, j, slab.to_global(k), t));  // kept as it was
          else
            EXPECT_TRUE(v >= 100.0f && v <= 5120.0f) << v;  // convex combination of inside values only
        }
}

TEST(MaskedGaussian, ConstantInsideMaskStaysConstant) {
  Comm comm;
  const Grid g = make_grid(12, 11, 5, {3.0, 3.0, 2.0});
  const std::array<double, 3> sigma{1.3, 0.9, 2.0};  // r_z = 8 > nz: wider than every slab
  auto act = [&](std::int64_t i, std::int64_t j, std::int64_t k, int t) -> float {
    return in_body(i, j, k + 1) ? 250.0f * float(t + 1) : 1.0e5f * unit(41, i + 12 * (j + 11 * k));
  };
  const auto res = check_masked("const", g, sigma,
                                [](auto i, auto j, auto k) { return in_body(i, j, k + 1) ? 3.0f : 0.0f; }, act, 2);
  const Slab slab = make_slab(g.nz(), comm.rank(), comm.size());
  long long inside = 0;
  for (int t = 0; t < 2; ++t)
    for (std::int64_t k = 0; k < slab.nz; ++k)
      for (std::int64_t j = 0; j < g.ny(); ++j)
        for (std::int64_t i = 0; i < g.nx(); ++i) {
          const float v = res[static_cast<size_t>(t)][static_cast<size_t>(i + g.nx() * (j + g.ny() * k))];
          const std::int64_t z = slab.to_global(k);
          if (in_body(i, j, z + 1)) {
            EXPECT_NEAR(v, 250.0f * float(t + 1), 1e-6 * 250.0 * (t + 1));
            ++inside;
          } else {
            EXPECT_EQ(v, act(i, j, z, t));
          }
        }
  EXPECT_GT(comm.sum(inside), 100LL);
}

TEST(MaskedGaussian, RejectsMaskOfAnotherGrid) {
  Comm comm;
  const Grid g = make_grid(4, 4, 6);
  Volume3D a = make_volume(g, comm, 0, [](auto, auto, auto) { return 1.0f; });
  Volume3D m = make_volume(make_grid(4, 3, 6), comm, 0, [](auto, auto, auto) { return 1.0f; });
  EXPECT_THROW(filters::masked_gaussian(a, m, {1.0, 1.0, 1.0}, comm), InputError);
}
