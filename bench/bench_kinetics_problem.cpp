// One evaluation of the PROXYL least-squares problem (rss, J^T J, J^T r in one pass over the
// points): the scalar ProxylProblem (voxel_fit.hpp, one voxel per call) against ProxylLanes
// (proxyl_lanes.hpp, simd::kLanes voxels per call), side by side in one run, on phantom-like
// parameters and a 60-point uniform grid (and a non-uniform one). Prints ns per voxel and
// evaluation for both and the ratio; medians of --repeats rounds, the two interleaved.
//   bench_kinetics_problem [--voxels 4096] [--repeats 7] [--points 60]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "src/core/simd_pack.hpp"
#include "src/kinetics/proxyl_lanes.hpp"
#include "src/kinetics/voxel_fit.hpp"

namespace vk = voxflow::kinetics;
namespace param = voxflow::kinetics::param;

namespace {

[[maybe_unused]] double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

[[maybe_unused]] double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  int voxels = 4096, repeats = 7, points = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--voxels") voxels = std::atoi(argv[i + 1]);
    else if (a == "--repeats") repeats = std::atoi(argv[i + 1]);
    else if (a == "--points") points = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "bench_kinetics_problem: unknown option %s\n", a.c_str());
      return 2;
    }
  }
#if !VOXFLOW_SIMD_LANES
  std::printf("bench_kinetics_problem: this build has no SIMD lanes (VOXFLOW_SIMD_LANES 0: a portable "
              "or non-AVX target); nothing to compare (%d voxels, %d repeats, %d points asked)\n",
              voxels, repeats, points);
  return 0;
#else
  namespace simd = voxflow::simd;
  constexpr int kN = vk::kNumParams;
  voxels = (voxels + simd::kLanes - 1) / simd::kLanes * simd::kLanes;
  for (int grid = 0; grid < 2; ++grid) {
    std::vector<double> t(points);
    double ti = 0.0;
    for (int i = 0; i < points; ++i) t[i] = grid == 0 ? 0.5 + i : (ti += (i < points / 3 ? 0.25 : 1.5));
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    std::normal_distribution<double> noise(0.0, 20.0);
    std::vector<double> p(static_cast<size_t>(voxels) * kN), y(static_cast<size_t>(voxels) * points);
    const double span = t.back() - t.front();
    for (int v = 0; v < voxels; ++v) {
      double* pv = &p[static_cast<size_t>(v) * kN];
      pv[param::A0] = 800 + 400 * u01(rng);
      pv[param::A1] = 100 + 300 * u01(rng);
      pv[param::A2] = -50 + 100 * u01(rng);
      pv[param::kb] = 0.05 + 0.5 * u01(rng);
      pv[param::kd] = 0.01 + 0.05 * u01(rng);
      pv[param::knt] = 0.005 + 0.02 * u01(rng);
      pv[param::t0] = t.front() + 0.1 * span * u01(rng);
      pv[param::tmax] = t.front() + (0.2 + 0.6 * u01(rng)) * span;
      for (int i = 0; i < points; ++i) y[static_cast<size_t>(v) * points + i] = vk::proxyl_model(pv, t[i]) + noise(rng);
    }
    // lanes: parameters and samples transposed per group of kLanes voxels
    const int groups = voxels / simd::kLanes;
    std::vector<simd::Pack> pl(static_cast<size_t>(groups) * kN), yl(static_cast<size_t>(groups) * points);
    for (int gi = 0; gi < groups; ++gi)
      for (int j = 0; j < simd::kLanes; ++j) {
        const int v = gi * simd::kLanes + j;
        for (int q = 0; q < kN; ++q) pl[static_cast<size_t>(gi) * kN + q][j] = p[static_cast<size_t>(v) * kN + q];
        for (int i = 0; i < points; ++i) yl[static_cast<size_t>(gi) * points + i][j] = y[static_cast<size_t>(v) * points + i];
      }
    const vk::ProxylProblem probe = vk::make_proxyl_problem(t.data(), t.data(), points);
    std::vector<double> ts, tl;
    double sink = 0.0;
    for (int r = 0; r < repeats; ++r) {
      double s0 = now_s();
      for (int v = 0; v < voxels; ++v) {
        const vk::ProxylProblem pr = vk::make_proxyl_problem(t.data(), &y[static_cast<size_t>(v) * points], points);
        double jtj[kN * kN], jtr[kN];
        sink += pr(&p[static_cast<size_t>(v) * kN], jtj, jtr) + jtj[27] + jtr[6];
      }
      ts.push_back((now_s() - s0) / voxels);
      s0 = now_s();
      for (int gi = 0; gi < groups; ++gi) {
        const vk::ProxylLanes pr{t.data(), &yl[static_cast<size_t>(gi) * points], points, probe.uniform, probe.dt};
        simd::Pack jtj[kN * kN], jtr[kN];
        const simd::Pack f = pr(&pl[static_cast<size_t>(gi) * kN], jtj, jtr) + jtj[27] + jtr[6];
        for (int j = 0; j < simd::kLanes; ++j) sink += f[j];
      }
      tl.push_back((now_s() - s0) / voxels);
    }
    std::printf("%s grid, %d points, %d voxels, %d lanes: scalar ProxylProblem %.1f ns/voxel-evaluation, "
                "ProxylLanes %.1f ns, ratio %.2fx (medians of %d)  [checksum %.6g]\n",
                probe.uniform ? "uniform" : "non-uniform", points, voxels, simd::kLanes, 1e9 * median(ts),
                1e9 * median(tl), median(ts) / median(tl), repeats, sink);
  }
  return 0;
#endif
}
