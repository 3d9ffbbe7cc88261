// src/filters/hessian + frangi under 1, 2 and 3 ranks:
//  - symmetric_eigenvalues_3x3 against Eigen's SelfAdjointEigenSolver on random matrices;
//  - frangi_vesselness against skimage.filters.frangi(black_ridges=False, mode='reflect') of
//    Debian's python3-skimage 0.19 on the same float32 volume (a noisy curved tube, a branch, a
//    blob and a plate in HU-like values), at one scale and at three: Pearson correlation >= 0.999
//    over the voxels at least 2 voxels from the border (the test prints the whole-volume figure too);
//  - every map bitwise equal to the same computation on MPI_COMM_SELF (whole volume on one rank):
//    independent of the number of ranks;
//  - a solid cylinder of radius r (anti-aliased) responds most at sigma ~ r / sqrt(2);
//  - isotropic trilinear resampling: exact for a linear function of world position, the affine
//    keeps every voxel's world position, bitwise independent of the number of ranks.
#include <Eigen/Dense>
#include <cstring>
#include <sstream>

#include "src/core/error.hpp"
#include "src/filters/frangi.hpp"
#include "src/filters/frangi_blocks.hpp"
#include "src/filters/hessian.hpp"
#include "src/filters/resample_isotropic.hpp"
#include "tests/vessel_test_support.hpp"

using namespace voxflow;
using namespace voxflow::vessel_test;

namespace {

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new TempDirEnv);

const char* kFrangiOracle = R"PY(
# skimage.filters.frangi of Debian's python3-skimage (0.19) on a raw float32 volume written x
# fastest: reshaped to numpy [z, y, x] (the Hessian's eigenvalues do not depend on the axis order).
import sys
import numpy as np
import skimage
from skimage.filters import frangi
assert skimage.__version__.startswith("0.19"), skimage.__version__
src, dst, nx, ny, nz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
alpha, beta, gamma = float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
sigmas = [float(s) for s in sys.argv[9].split(",")]
a = np.fromfile(src, dtype=np.float32).reshape(nz, ny, nx)
v = frangi(a, sigmas=sigmas, alpha=alpha, beta=beta, gamma=gamma, black_ridges=False, mode="reflect")
np.asarray(v, dtype=np.float32).tofile(dst)
)PY";

/// A CTA-like test volume: fat -100 HU, a curved tube (lumen 350 HU, radius 2.5 voxels) with a
/// thinner branch, a bright blob and a plate, Gaussian-ish noise (sd 15 HU).
float cta_voxel(std::int64_t i, std::int64_t j, std::int64_t k) {
  const double x = double(i), y = double(j), z = double(k);
  double v = -100.0;
  // main tube: centre (12 + 8 sin(z / 6), 14 + 0.3 z), along z
  const double cx = 12.0 + 8.0 * std::sin(z / 6.0), cy = 14.0 + 0.3 * z;
  const double d = std::hypot(x - cx, y - cy);
  v += 450.0 / (1.0 + std::exp((d - 2.5) / 0.4));
  // branch: straight, radius 1.5, along (1, 0.4, 0.5)
  {
    const double px = x - 20.0, py = y - 10.0, pz = z - 6.0;
    const double n = std::sqrt(1.0 + 0.16 + 0.25), ux = 1.0 / n, uy = 0.4 / n, uz = 0.5 / n;
    const double t = px * ux + py * uy + pz * uz;
    const double qx = px - t * ux, qy = py - t * uy, qz = pz - t * uz;
    const double db = std::sqrt(qx * qx + qy * qy + qz * qz);
    if (t > -2.0) v += 400.0 / (1.0 + std::exp((db - 1.5) / 0.4));
  }
  // blob and plate
  if ((x - 30) * (x - 30) + (y - 28) * (y - 28) + (z - 18) * (z - 18) < 9.0) v += 600.0;
  if (std::fabs(y - 30.0) < 1.0 && x < 14.0) v += 300.0;
  const std::int64_t idx = i + 37 * (j + 41 * k);
  const double u1 = unit(5, idx), u2 = unit(6, idx), u3 = unit(7, idx);
  v += 30.0 * (u1 + u2 + u3 - 1.5);  // sd 15 HU (the sum of three uniforms has sd 0.5)
  return static_cast<float>(v);
}

double correlation(const std::vector<float>& a, const std::vector<float>& b, const Grid& g, int margin) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
  for (std::int64_t k = margin; k < g.nz() - margin; ++k)
    for (std::int64_t j = margin; j < g.ny() - margin; ++j)
      for (std::int64_t i = margin; i < g.nx() - margin; ++i) {
        const size_t m = static_cast<size_t>(i + g.nx() * (j + g.ny() * k));
        const double x = a[m], y = b[m];
        sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y; n += 1;
      }
  const double cov = sab / n - (sa / n) * (sb / n);
  const double va = saa / n - (sa / n) * (sa / n), vb = sbb / n - (sb / n) * (sb / n);
  return cov / std::sqrt(va * vb);
}

void check_against_skimage(const std::string& name, const filters::FrangiOptions& o) {
  Comm comm;
  const Grid g = make_grid(37, 41, 29);  // nx != 3: skimage would take a last axis of 3 as colour
  Volume3D img = make_volume(g, comm, 1, cta_voxel);
  const filters::FrangiResult r = filters::frangi_vesselness(img, o, comm);
  const std::vector<float> mine = gather_volume(r.vesselness, comm);
  const std::vector<float> sig = gather_volume(r.best_sigma, comm);
  const std::vector<float> input = gather_volume(img, comm);
  const std::string src = TempDirEnv::dir() + "/" + name + "_in.raw", ref = TempDirEnv::dir() + "/" + name + "_ref.raw";
  if (comm.is_root()) write_raw(src, input);
  std::ostringstream args;
  args.precision(17);
  args << src << " " << ref << " " << g.nx() << " " << g.ny() << " " << g.nz() << " " << o.alpha << " " << o.beta
       << " " << o.c << " ";
  for (size_t n = 0; n < o.sigmas_vox.size(); ++n) args << (n ? "," : "") << o.sigmas_vox[n];
  ASSERT_EQ(run_oracle(kFrangiOracle, args.str(), name), 0);
  if (comm.is_root()) {
    const std::vector<float> theirs = read_raw(ref, static_cast<size_t>(g.n_voxels()));
    const double c_in = correlation(mine, theirs, g, 2), c_all = correlation(mine, theirs, g, 0);
    double maxdiff = 0.0, maxv = 0.0;
    for (size_t m = 0; m < mine.size(); ++m) {
      maxdiff = std::max(maxdiff, double(std::fabs(mine[m] - theirs[m])));
      maxv = std::max(maxv, double(theirs[m]));
    }
    std::printf("[ %s ] correlation with skimage %.7f (interior), %.7f (whole); max |diff| %.3g, max V %.3g\n",
                name.c_str(), c_in, c_all, maxdiff, maxv);
    EXPECT_GE(c_in, 0.999) << name;
    EXPECT_GT(maxv, 0.05) << name << ": the volume has no vessel response at all";
    // best sigma is one of the scales (or 0 where V == 0)
    for (size_t m = 0; m < sig.size(); ++m) {
      bool ok = sig[m] == 0.0f ? mine[m] == 0.0f : false;
      for (double s : o.sigmas_vox) ok = ok || sig[m] == static_cast<float>(s);
      ASSERT_TRUE(ok) << "voxel " << m << " best sigma " << sig[m];
    }
  }
  // one rank, whole volume: bitwise equal maps
  Comm self{MPI_COMM_SELF};
  Volume3D whole = make_volume(g, self, 0, cta_voxel);
  const filters::FrangiResult w = filters::frangi_vesselness(whole, o, self);
  const std::vector<float> wv = gather_volume(w.vesselness, self), ws = gather_volume(w.best_sigma, self);
  if (comm.is_root()) {
    ASSERT_EQ(wv.size(), mine.size());
    EXPECT_EQ(std::memcmp(wv.data(), mine.data(), mine.size() * 4), 0) << name << ": vesselness depends on ranks";
    EXPECT_EQ(std::memcmp(ws.data(), sig.data(), sig.size() * 4), 0) << name << ": best sigma depends on ranks";
  }
}

}  // namespace

TEST(Hessian, ClosedFormEigenvaluesMatchEigen) {
  double worst = 0.0;
  for (int n = 0; n < 2000; ++n) {
    double a[6];
    for (int e = 0; e < 6; ++e) a[e] = 200.0 * (unit(99, 6 * n + e) - 0.5);
    if (n % 7 == 0) a[1] = a[2] = a[4] = 0.0;             // diagonal
    if (n % 11 == 0) { a[3] = a[0]; a[5] = a[0]; a[1] = a[2] = a[4] = 1e-9; }  // nearly a multiple of I
    Eigen::Matrix3d m;
    m << a[0], a[1], a[2], a[1], a[3], a[4], a[2], a[4], a[5];
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> es(m, Eigen::EigenvaluesOnly);
    double ev[3];
    filters::symmetric_eigenvalues_3x3(a[0], a[1], a[2], a[3], a[4], a[5], ev);
    EXPECT_GE(ev[0], ev[1]);
    EXPECT_GE(ev[1], ev[2]);
    const double scale = std::max(1.0, m.norm());
    for (int e = 0; e < 3; ++e) worst = std::max(worst, std::fabs(ev[e] - es.eigenvalues()(2 - e)) / scale);
  }
  EXPECT_LT(worst, 1e-7);
}

TEST(Frangi, OneScaleMatchesSkimage) {
  filters::FrangiOptions o;
  o.sigmas_vox = {2.0};
  check_against_skimage("frangi_one", o);
}

TEST(Frangi, ThreeScalesMatchSkimage) {
  filters::FrangiOptions o;  // the seed's 1, 2, 3 voxels, alpha = beta = 0.5, c = 15
  check_against_skimage("frangi_three", o);
  filters::FrangiOptions p;
  p.sigmas_vox = {0.8, 1.7, 2.6};
  p.alpha = 0.3;
  p.beta = 0.9;
  p.c = 60.0;
  check_against_skimage("frangi_other", p);
}

TEST(Frangi, CylinderRespondsMostAtRadiusOverSqrt2) {
  Comm comm;
  for (double r : {3.0, 5.0}) {
    const Grid g = make_grid(48, 48, 7);
    // solid cylinder along z, centre (23.7, 24.2), anti-aliased by 8x8 sub-samples per voxel
    auto f = [r](std::int64_t i, std::int64_t j, std::int64_t) {
      int in = 0;
      for (int a = 0; a < 8; ++a)
        for (int b = 0; b < 8; ++b) {
          const double x = i - 0.5 + (a + 0.5) / 8.0 - 23.7, y = j - 0.5 + (b + 0.5) / 8.0 - 24.2;
          in += x * x + y * y <= r * r;
        }
      return static_cast<float>(100.0 * in / 64.0);
    };
    Volume3D img = make_volume(g, comm, 0, f);
    filters::FrangiOptions o;
    o.sigmas_vox.clear();
    for (double s = 1.0; s <= 5.0 + 1e-9; s += 0.125) o.sigmas_vox.push_back(s);
    o.c = 1000.0;  // far above S (~26 here): the structure term stays linear in S^2, not saturated
    const filters::FrangiResult res = filters::frangi_vesselness(img, o, comm);
    const std::vector<float> sig = gather_volume(res.best_sigma, comm);
    if (comm.is_root()) {
      const float best = sig[static_cast<size_t>(24 + 48 * (24 + 48 * 3))];
      std::printf("[ cylinder r=%.1f ] best sigma %.3f voxels, r/sqrt(2) = %.3f\n", r, best, r / std::sqrt(2.0));
      EXPECT_NEAR(best, r / std::sqrt(2.0), 0.3) << "radius " << r;
      EXPECT_NEAR(filters::radius_from_sigma_mm(best, 0.5), 0.5 * r, 0.5 * 0.3 * std::sqrt(2.0));
    }
  }
}

TEST(Frangi, RejectsBadOptions) {
  Comm comm;
  const Grid g = make_grid(6, 5, 4);
  Volume3D img = make_volume(g, comm, 0, [](auto, auto, auto) { return 1.0f; });
  filters::FrangiOptions o;
  o.sigmas_vox = {};
  EXPECT_THROW(filters::frangi_vesselness(img, o, comm), InputError);
  o.sigmas_vox = {1.0, -2.0};
  EXPECT_THROW(filters::frangi_vesselness(img, o, comm), InputError);
  o.sigmas_vox = {1.0};
  o.c = 0.0;
  EXPECT_THROW(filters::frangi_vesselness(img, o, comm), InputError);
  o.c_auto = true;  // a constant image: c auto has nothing to scale, V = 0
  const auto r = filters::frangi_vesselness(img, o, comm);
  const auto v = gather_volume(r.vesselness, comm);
  if (comm.is_root()) {
    for (float x : v) EXPECT_EQ(x, 0.0f);
  }
}

TEST(Resample, TrilinearIsExactForLinearFunctionsAndRankIndependent) {
  Comm comm;
  Grid g = make_grid(13, 11, 7, {0.8, 0.7, 2.5});
  g.affine[0][1] = 0.3;  // an oblique affine: the resampled grid keeps its axes
  g.affine[0][3] = -20.0;
  g.affine[2][3] = 7.5;
  auto lin = [](double x, double y, double z) { return 3.0 + 0.5 * x - 1.25 * y + 0.75 * z; };  // of voxel mm
  auto f = [&](std::int64_t i, std::int64_t j, std::int64_t k) { return static_cast<float>(lin(i * 0.8, j * 0.7, k * 2.5)); };
  Volume3D in = make_volume(g, comm, 1, f);
  const Grid og = filters::isotropic_grid(g, 0.5);
  EXPECT_EQ(og.dims[0], 20);  // floor(12 * 0.8 / 0.5) + 1
  EXPECT_EQ(og.dims[1], 15);  // floor(10 * 0.7 / 0.5) + 1
  EXPECT_EQ(og.dims[2], 31);  // floor(6 * 2.5 / 0.5) + 1
  for (int r = 0; r < 3; ++r) EXPECT_DOUBLE_EQ(og.affine[r][3], g.affine[r][3]);
  EXPECT_NEAR(og.affine[0][1], 0.3 * 0.5 / 0.7, 1e-15);
  const Volume3D out = filters::resample_trilinear(in, og, comm);
  const std::vector<float> all = gather_volume(out, comm);
  Comm self{MPI_COMM_SELF};
  const Volume3D whole = filters::resample_trilinear(make_volume(g, self, 0, f), og, self);
  const std::vector<float> one = gather_volume(whole, self);
  if (comm.is_root()) {
    ASSERT_EQ(all.size(), static_cast<size_t>(og.n_voxels()));
    double worst = 0.0;
    for (std::int64_t k = 0; k < og.nz(); ++k)
      for (std::int64_t j = 0; j < og.ny(); ++j)
        for (std::int64_t i = 0; i < og.nx(); ++i)
          worst = std::max(worst, std::fabs(all[static_cast<size_t>(i + og.nx() * (j + og.ny() * k))] -
                                            lin(i * 0.5, j * 0.5, k * 0.5)));
    EXPECT_LT(worst, 1e-4);
    EXPECT_EQ(std::memcmp(all.data(), one.data(), all.size() * 4), 0);
  }
  EXPECT_THROW(filters::isotropic_grid(g, 0.0), InputError);
}

// Block-wise vesselness (filters/frangi_blocks.hpp, the lazy vesselness of voxflow vessel): every
// block's values equal the whole-volume filter's bit for bit, for block edges that do and do not
// divide the volume, at one and three scales, on any number of ranks.
TEST(FrangiBlocks, EveryBlockEqualsTheWholeVolumeFilterBitwise) {
  Comm comm;
  const Grid g = make_grid(37, 41, 29);
  const Volume3D img = make_volume(g, comm, 0, cta_voxel);
  for (const std::vector<double>& sigmas : {std::vector<double>{1.5}, std::vector<double>{1.0, 2.0, 3.0}}) {
    filters::FrangiOptions o;
    o.sigmas_vox = sigmas;
    const filters::FrangiResult full = filters::frangi_vesselness(img, o, comm);
    auto fv = Kokkos::create_mirror_view(full.vesselness.data);
    auto fs = Kokkos::create_mirror_view(full.best_sigma.data);
    Kokkos::deep_copy(fv, full.vesselness.data);
    Kokkos::deep_copy(fs, full.best_sigma.data);
    for (int edge : {8, 13, 64}) {
      filters::FrangiBlocks blocks(img, o, comm, edge);
      const std::int64_t n = img.layout.owned_voxels();
      std::vector<float> v(static_cast<size_t>(n), std::nanf("")), s(static_cast<size_t>(n), std::nanf(""));
      const auto& c = blocks.block_counts();
      EXPECT_EQ(c[0], (37 + edge - 1) / edge);
      for (std::int64_t b = 0; b < c[0] * c[1] * c[2]; ++b) blocks.compute(b, v.data(), s.data());
      std::int64_t differ = 0, nonzero = 0;
      for (std::int64_t m = 0; m < n; ++m) {
        const float a = fv(full.vesselness.layout.owned_to_storage(m)), bs = fs(full.best_sigma.layout.owned_to_storage(m));
        differ += std::memcmp(&a, &v[static_cast<size_t>(m)], 4) != 0 || std::memcmp(&bs, &s[static_cast<size_t>(m)], 4) != 0;
        nonzero += a > 0.0f;
      }
      EXPECT_EQ(comm.sum(static_cast<long long>(differ)), 0) << "edge " << edge << ", " << sigmas.size() << " scales";
      EXPECT_GT(comm.sum(static_cast<long long>(nonzero)), 100);
    }
  }
  filters::FrangiOptions a;
  a.c_auto = true;
  EXPECT_THROW(filters::FrangiBlocks(img, a, comm), InputError);  // needs the whole volume
  EXPECT_THROW(filters::FrangiBlocks(img, filters::FrangiOptions{}, comm, 3), InputError);
}
