// bench_kinetics_fit: speed and quality of voxflow's per-voxel PROXYL fit (fit_voxel) on the
// built-in phantom, against the original Python/scipy fit (bench/original_fit.py).
//
// Usage: bench_kinetics_fit [--nx N --ny N --nz N --nt N] [--sample N --dump DIR]
//                           [--sample-only] [--no-baseline] [--python EXE] [--script PATH]
//                           [--solver trf|varpro|both] [--repeats N] [--reuse-baseline]
//   --solver: trf = fit_voxel (the pipeline's solver, default), varpro = fit_voxel_varpro,
//   both = the two side by side (dumps and the quality test use the first, trf);
//   trf-scalar = fit_voxel with the scalar J^T J accumulation (the pre-vector baseline, same
//   bits); rows = trf-scalar and trf side by side (speed ratio, results compared bit for bit);
//   lanes = fit_voxels_lanes (the TRF state machine in simd::Pack lanes with refill, blocks of
//   kLaneBlock voxels, ProxylLanes); lanes-bylane = the same with the scalar problem per lane
//   (the same bits as trf); simd = trf, lanes-bylane and lanes side by side;
//   --lane-block N: voxels per block of the lanes solvers (default kLaneBlock);
//   --repeats: full-phantom timings repeated N times, solvers interleaved, medians printed;
//   --reuse-baseline: keep DIR/scipy_*.npy from an earlier run with the same sample.
//   1. generates the phantom in memory (phantom.hpp) and fits every voxel with
//      Kokkos::parallel_for on the default execution space; prints voxels/s
//      (--sample-only skips this and fits only the sample);
//   2. with --dump DIR --sample N: picks a deterministic sample of N voxels, stratified by
//      region (N/3 of each, in a fixed hash order),
//      writes DIR/series.npy [N, nt], times.npy [nt] (minutes), truth.npy [N, 8],
//      region.npy [N], voxflow_params.npy [N, 8], voxflow_rss.npy [N], voxflow_status.npy [N],
//      voxflow_summary.json; runs `EXE SCRIPT DIR` (default /usr/bin/python3 and
//      original_fit.py next to this source file) unless --no-baseline, reads its
//      scipy_params.npy / scipy_rss.npy / scipy_summary.json, and prints voxflow vs scipy:
//      voxels/s and ratio, the fraction of voxels whose rss <= scipy's rss * 1.001, and the
//      median |param - truth| per parameter (all voxels, then per region).
// All arrays are float64, little-endian, C order (.npy version 1.0). Exit 2 on bad usage.
#include <Kokkos_Core.hpp>
#include <filesystem>

#include "io/npy_writer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <unistd.h>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/kinetics/phantom.hpp"
#include "src/kinetics/varpro_fit.hpp"
#include "src/kinetics/voxel_fit.hpp"
#include "src/kinetics/voxel_fit_lanes.hpp"

namespace vk = voxflow::kinetics;

namespace {

// ---- .npy through voxflow's writer (float64, C order) -----------------------------------
void write_npy(const std::string& path, const std::vector<double>& data, const std::vector<long>& shape) {
  voxflow::io::write_npy(path, data.data(), std::vector<std::int64_t>(shape.begin(), shape.end()), false);
}

std::vector<double> read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char head[10];
  in.read(head, 10);
  if (!in || std::string(head, 6) != "\x93NUMPY") throw std::runtime_error("not .npy: " + path);
  std::size_t hlen = static_cast<unsigned char>(head[8]) | (static_cast<unsigned char>(head[9]) << 8);
  if (head[6] != 1) {  // version 2/3: 4-byte header length
    char more[2];
    in.read(more, 2);
    hlen |= (static_cast<std::size_t>(static_cast<unsigned char>(more[0])) << 16) |
            (static_cast<std::size_t>(static_cast<unsigned char>(more[1])) << 24);
  }
  std::string dict(hlen, '\0');
  in.read(&dict[0], static_cast<std::streamsize>(hlen));
  if (dict.find("'<f8'") == std::string::npos || dict.find("'fortran_order': False") == std::string::npos) {
    throw std::runtime_error(path + ": expected C-ordered <f8");
  }
  std::vector<double> data;
  double v;
  while (in.read(reinterpret_cast<char*>(&v), sizeof v)) data.push_back(v);
  return data;
}

double json_number(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  const std::size_t k = s.find("\"" + key + "\"");
  if (k == std::string::npos) throw std::runtime_error(path + ": no key " + key);
  const std::size_t c = s.find(':', k);
  return std::strtod(s.c_str() + c + 1, nullptr);
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size();
  return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

struct Options {
  vk::PhantomSpec spec;
  long sample = 0;
  std::string dump;
  bool sample_only = false;
  bool baseline = true;
  std::string python = "/usr/bin/python3";
  std::string script;
  bool reuse_baseline = false;
  int repeats = 1;
  std::vector<std::string> solvers{"trf"};
};

[[noreturn]] void usage(const std::string& msg) {
  std::cerr << "bench_kinetics_fit: " << msg << "\n"
            << "usage: bench_kinetics_fit [--nx N --ny N --nz N --nt N] [--sample N --dump DIR]"
               " [--sample-only] [--no-baseline] [--python EXE] [--script PATH]"
               " [--solver varpro|trf|trf-scalar|both|rows|lanes|lanes-bylane|simd] [--repeats N] [--reuse-baseline]\n";
  std::exit(2);
}

// voxels per block of the lanes solvers (--lane-block; the pipeline uses vk::kLaneBlock)
long g_lane_block = 0;

Options parse(int argc, char** argv) {
  Options o;
  std::string here = __FILE__;
  o.script = here.substr(0, here.find_last_of('/') + 1) + "original_fit.py";
  // ccache's base_dir makes __FILE__ relative to the object's build folder (build/bench), which
  // is this executable's folder: resolve it from there, not from the current directory
  if (!o.script.empty() && o.script[0] != '/') {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) o.script = (exe.parent_path() / o.script).lexically_normal().string();
  }
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    auto value = [&]() -> std::string {
      if (a + 1 >= argc) usage(arg + " needs a value");
      return argv[++a];
    };
    auto int_value = [&]() -> long {
      const std::string v = value();
      char* end = nullptr;
      const long x = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || x < 0) usage(arg + ": not a non-negative integer: " + v);
      return x;
    };
    if (arg == "--nx") o.spec.nx = static_cast<int>(int_value());
    else if (arg == "--ny") o.spec.ny = static_cast<int>(int_value());
    else if (arg == "--nz") o.spec.nz = static_cast<int>(int_value());
    else if (arg == "--nt") o.spec.nt = static_cast<int>(int_value());
    else if (arg == "--sample") o.sample = int_value();
    else if (arg == "--dump") o.dump = value();
    else if (arg == "--sample-only") o.sample_only = true;
    else if (arg == "--no-baseline") o.baseline = false;
    else if (arg == "--python") o.python = value();
    else if (arg == "--script") o.script = value();
    else if (arg == "--reuse-baseline") o.reuse_baseline = true;
    else if (arg == "--repeats") o.repeats = static_cast<int>(int_value());
    else if (arg == "--lane-block") g_lane_block = int_value();
    else if (arg == "--solver") {
      const std::string v = value();
      if (v == "both") o.solvers = {"trf", "varpro"};
      else if (v == "rows") o.solvers = {"trf-scalar", "trf"};
      else if (v == "simd") o.solvers = {"trf", "lanes-bylane", "lanes"};
      else if (v == "varpro" || v == "trf" || v == "trf-scalar" || v == "lanes" || v == "lanes-bylane") o.solvers = {v};
      else usage("--solver must be varpro, trf, trf-scalar, both, rows, lanes, lanes-bylane or simd: " + v);
    }
    else if (arg.rfind("--kokkos", 0) == 0) continue;
    else usage("unknown option " + arg);
  }
  if (o.spec.nx < 1 || o.spec.ny < 1 || o.spec.nz < 1) usage("grid sizes must be >= 1");
  if (o.spec.nt < vk::kMinTimePoints || o.spec.nt > vk::kMaxTimePoints) {
    usage("--nt must be in [8, 512]");
  }
  if (o.sample > 0 && o.dump.empty()) usage("--sample needs --dump DIR");
  if (!o.dump.empty() && o.sample <= 0) usage("--dump needs --sample N (N >= 1)");
  if (o.repeats < 1) usage("--repeats must be >= 1");
  if (o.sample_only && o.sample <= 0) usage("--sample-only needs --sample N --dump DIR");
  return o;
}

using View2 = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::DefaultExecutionSpace>;
using View1 = Kokkos::View<double*, Kokkos::DefaultExecutionSpace>;

struct FitOut {
  std::vector<double> params;  // [n, 8]
  std::vector<double> rss;     // [n]
  std::vector<double> status;  // [n]
  std::vector<double> evals;   // [n] model evaluations per voxel (all attempts)
  double seconds = 0;
  long evaluations = 0;
};

// Fits every row of `series` (n x nt, times in `times`) with one parallel_for.
// solver: "trf" (fit_voxel, the pipeline's solver) or "varpro" (fit_voxel_varpro, the
// variable-projection solver).
FitOut fit_all(const std::vector<double>& series_host, const std::vector<double>& times_host,
               long n, int nt, const std::string& solver) {
  const bool varpro = solver == "varpro";
  const bool vector_rows = solver != "trf-scalar";
  View2 series("series", n, nt);
  View1 times("times", nt);
  auto hs = Kokkos::create_mirror_view(series);
  auto ht = Kokkos::create_mirror_view(times);
  for (long v = 0; v < n; ++v) {
    for (int t = 0; t < nt; ++t) hs(v, t) = series_host[v * nt + t];
  }
  for (int t = 0; t < nt; ++t) ht(t) = times_host[t];
  Kokkos::deep_copy(series, hs);
  Kokkos::deep_copy(times, ht);
  View2 params("params", n, vk::kNumParams);
  View1 rss("rss", n), status("status", n), evals("evals", n);
  Kokkos::fence();
  const auto start = std::chrono::steady_clock::now();
#if VOXFLOW_SIMD_LANES
  if (solver == "lanes" || solver == "lanes-bylane") {
    const bool bylane = solver == "lanes-bylane";
    const long lane_block = g_lane_block > 0 ? g_lane_block : vk::kLaneBlock;
    const long nblocks = (n + lane_block - 1) / lane_block;
    Kokkos::parallel_for(
        "fit_voxels_lanes", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, nblocks), [=](const long blk) {
          const long b0 = blk * lane_block;
          const long cnt = std::min<long>(lane_block, n - b0);
          auto row = [&](std::int64_t k) { return &series(b0 + k, 0); };
          auto sink = [&](std::int64_t k, const vk::VoxelFit& f) {
            for (int i = 0; i < vk::kNumParams; ++i) params(b0 + k, i) = f.p[i];
            rss(b0 + k) = f.rss;
            status(b0 + k) = static_cast<double>(static_cast<int>(f.status));
            evals(b0 + k) = f.iterations;
          };
          if (bylane) {
            vk::fit_voxels_lanes<vk::detail::ProxylLanesByLane>(times.data(), nt, cnt, row, sink);
          } else {
            vk::fit_voxels_lanes(times.data(), nt, cnt, row, sink);
          }
        });
  } else
#else
  if (solver == "lanes" || solver == "lanes-bylane") usage("this build has no SIMD lanes (VOXFLOW_SIMD_LANES 0)");
#endif
  Kokkos::parallel_for(
      "fit_voxels", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(const long v) {
        const vk::VoxelFit f = varpro ? vk::fit_voxel_varpro(times.data(), &series(v, 0), nt)
                                      : vk::fit_voxel(times.data(), &series(v, 0), nt, vector_rows);
        for (int i = 0; i < vk::kNumParams; ++i) params(v, i) = f.p[i];
        rss(v) = f.rss;
        status(v) = static_cast<double>(static_cast<int>(f.status));
        evals(v) = f.iterations;
      });
  Kokkos::fence();
  FitOut out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto hp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), params);
  auto hr = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), rss);
  auto hst = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), status);
  auto he = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), evals);
  out.params.resize(n * vk::kNumParams);
  out.rss.resize(n);
  out.status.resize(n);
  out.evals.resize(n);
  for (long v = 0; v < n; ++v) {
    for (int i = 0; i < vk::kNumParams; ++i) out.params[v * vk::kNumParams + i] = hp(v, i);
    out.rss[v] = hr(v);
    out.status[v] = hst(v);
    out.evals[v] = he(v);
    out.evaluations += static_cast<long>(he(v));
  }
  return out;
}

void print_status_counts(const FitOut& f) {
  long counts[5] = {0, 0, 0, 0, 0};
  for (double s : f.status) counts[std::min(4, std::max(0, static_cast<int>(s)))]++;
  std::printf("  status: Ok %ld, AtBound %ld, FitFailed %ld, TooFewPoints %ld; mean evaluations %.1f\n",
              counts[1], counts[4], counts[2], counts[3],
              static_cast<double>(f.evaluations) / static_cast<double>(f.status.size()));
  // the tail of the evaluation counts: voxels that spent an attempt's budget (kAttemptMaxNfev)
  // and their share of all evaluations
  std::vector<double> e = f.evals;
  if (e.empty()) return;
  std::sort(e.begin(), e.end());
  auto q = [&](double p) { return e[std::min(e.size() - 1, static_cast<size_t>(p * static_cast<double>(e.size())))]; };
  long tail = 0;
  double tail_evals = 0, all_evals = 0;
  for (double x : e) {
    all_evals += x;
    if (x >= vk::kAttemptMaxNfev) {
      ++tail;
      tail_evals += x;
    }
  }
  std::printf("  evaluations per voxel: median %.0f, p90 %.0f, p99 %.0f, p99.9 %.0f, max %.0f; "
              ">= %d (an attempt's budget): %ld voxels, %.1f %% of all evaluations\n",
              q(0.5), q(0.9), q(0.99), q(0.999), e.back(), vk::kAttemptMaxNfev, tail,
              all_evals > 0 ? 100.0 * tail_evals / all_evals : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  Kokkos::initialize(argc, argv);
  int rc = 0;
  try {
    const Options o = parse(argc, argv);
    const vk::PhantomSpec& spec = o.spec;
    const long nvox = static_cast<long>(spec.nx) * spec.ny * spec.nz;
    const int nt = spec.nt;
    std::vector<double> times(nt);
    for (int t = 0; t < nt; ++t) times[t] = vk::phantom_time_min(spec, t);
    auto voxel_ijk = [&](long v, int& i, int& j, int& k) {
      i = static_cast<int>(v % spec.nx);
      j = static_cast<int>((v / spec.nx) % spec.ny);
      k = static_cast<int>(v / (static_cast<long>(spec.nx) * spec.ny));
    };
    auto series_of = [&](const std::vector<long>& voxels) {
      std::vector<double> s(voxels.size() * nt);
      for (std::size_t r = 0; r < voxels.size(); ++r) {
        int i, j, k;
        voxel_ijk(voxels[r], i, j, k);
        for (int t = 0; t < nt; ++t) s[r * nt + t] = vk::phantom_signal(spec, i, j, k, t);
      }
      return s;
    };
    std::printf("bench_kinetics_fit: phantom %d x %d x %d x %d (%.0f s frames, noise %.1f), "
                "Kokkos %s, concurrency %d\n",
                spec.nx, spec.ny, spec.nz, nt, spec.frame_interval_s, spec.noise_sigma,
                Kokkos::DefaultExecutionSpace::name(), Kokkos::DefaultExecutionSpace().concurrency());

    if (!o.sample_only) {
      std::vector<long> all(nvox);
      for (long v = 0; v < nvox; ++v) all[v] = v;
      const auto gen0 = std::chrono::steady_clock::now();
      const std::vector<double> series = series_of(all);
      const double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - gen0).count();
      std::printf("phantom generated in %.2f s; median of %d repeat(s), solvers interleaved\n", gen_s,
                  o.repeats);
      std::vector<std::vector<double>> secs(o.solvers.size());
      std::vector<FitOut> fits(o.solvers.size());
      for (int rep = 0; rep < o.repeats; ++rep) {
        for (std::size_t q = 0; q < o.solvers.size(); ++q) {
          fits[q] = fit_all(series, times, nvox, nt, o.solvers[q]);
          secs[q].push_back(fits[q].seconds);
        }
      }
      for (std::size_t q = 0; q < o.solvers.size(); ++q) {
        const double sec = median(secs[q]);
        std::printf("%-7s full phantom: %ld voxels fitted in %.3f s = %.0f voxels/s (%.1f us/voxel)",
                    o.solvers[q].c_str(), nvox, sec, nvox / sec, 1e6 * sec / nvox);
        if (q > 0) std::printf("; speed vs %s: %.2fx", o.solvers[0].c_str(), median(secs[0]) / sec);
        std::printf("\n");
        if (q > 0 && o.solvers[q] == "lanes") {
          long close = 0, worse = 0, better = 0;
          for (long v = 0; v < nvox; ++v) {
            const double a = fits[0].rss[v], b = fits[q].rss[v];
            if (std::isnan(a) || std::isnan(b)) {
              close += std::isnan(a) == std::isnan(b) ? 1 : 0;
              continue;
            }
            close += std::fabs(a - b) <= 1e-9 * a ? 1 : 0;
            worse += b > a * (1 + 1e-3) ? 1 : 0;
            better += a > b * (1 + 1e-3) ? 1 : 0;
          }
          std::printf("  rss vs %s: within 1e-9 on %.3f %% of the voxels, > 0.1 %% higher on %ld, > 0.1 %% lower on %ld\n",
                      o.solvers[0].c_str(), 100.0 * close / nvox, worse, better);
        }
        if (q > 0 && o.solvers[0].rfind("trf", 0) == 0 &&
            (o.solvers[q].rfind("trf", 0) == 0 || o.solvers[q] == "lanes-bylane")) {
          const bool same = std::memcmp(fits[0].params.data(), fits[q].params.data(),
                                        fits[0].params.size() * sizeof(double)) == 0 &&
                            std::memcmp(fits[0].rss.data(), fits[q].rss.data(),
                                        fits[0].rss.size() * sizeof(double)) == 0;
          std::printf("  parameters and rss bit-identical to %s: %s\n", o.solvers[0].c_str(),
                      same ? "yes" : "NO");
        }
        print_status_counts(fits[q]);
      }
    }
    if (o.sample <= 0) {
      Kokkos::finalize();
      return 0;
    }

    // ---- deterministic sample ------------------------------------------------------------
    // stratified by region: N / 3 voxels of each region (the remainder to the first regions),
    // each region's voxels taken in a fixed hash order
    std::vector<std::vector<std::pair<std::uint64_t, long>>> by_region(vk::kNumRegions);
    for (long v = 0; v < nvox; ++v) {
      int i, j, k;
      voxel_ijk(v, i, j, k);
      by_region[vk::phantom_region(spec, i, j, k)].push_back(
          {splitmix64(static_cast<std::uint64_t>(v) ^ 0x5EEDULL), v});
    }
    std::vector<long> voxels;
    for (int reg = 0; reg < vk::kNumRegions; ++reg) {
      auto& list = by_region[reg];
      const long want = o.sample / vk::kNumRegions + (reg < o.sample % vk::kNumRegions ? 1 : 0);
      const long take = std::min<long>(want, static_cast<long>(list.size()));
      std::partial_sort(list.begin(), list.begin() + take, list.end());
      for (long r = 0; r < take; ++r) voxels.push_back(list[r].second);
    }
    const long ns = static_cast<long>(voxels.size());
    std::sort(voxels.begin(), voxels.end());
    const std::vector<double> series = series_of(voxels);
    std::vector<double> truth(ns * vk::kNumParams), region(ns);
    for (long r = 0; r < ns; ++r) {
      int i, j, k;
      voxel_ijk(voxels[r], i, j, k);
      vk::phantom_truth(spec, i, j, k, &truth[r * vk::kNumParams]);
      region[r] = vk::phantom_region(spec, i, j, k);
    }
    // the sample is small: time it 3 times per solver (interleaved), best of 3
    std::vector<FitOut> fits(o.solvers.size());
    std::vector<double> rates(o.solvers.size());
    for (std::size_t q = 0; q < o.solvers.size(); ++q) {
      fits[q] = fit_all(series, times, ns, nt, o.solvers[q]);
      rates[q] = fits[q].seconds;
    }
    for (int rep = 0; rep < 2; ++rep) {
      for (std::size_t q = 0; q < o.solvers.size(); ++q) {
        rates[q] = std::min(rates[q], fit_all(series, times, ns, nt, o.solvers[q]).seconds);
      }
    }
    for (std::size_t q = 0; q < o.solvers.size(); ++q) {
      rates[q] = ns / rates[q];
      std::printf("%-7s sample: %ld voxels, %.0f voxels/s\n", o.solvers[q].c_str(), ns, rates[q]);
      print_status_counts(fits[q]);
    }
    const FitOut& f = fits[0];
    const double best_s = ns / rates[0];
    const double vx_rate = rates[0];

    const std::string& d = o.dump;
    std::filesystem::create_directories(d);
    const long np = vk::kNumParams;
    write_npy(d + "/series.npy", series, {ns, nt});
    write_npy(d + "/times.npy", times, {nt});
    write_npy(d + "/truth.npy", truth, {ns, np});
    write_npy(d + "/region.npy", region, {ns});
    write_npy(d + "/voxflow_params.npy", f.params, {ns, np});
    write_npy(d + "/voxflow_rss.npy", f.rss, {ns});
    write_npy(d + "/voxflow_status.npy", f.status, {ns});
    {
      std::vector<double> idx(voxels.begin(), voxels.end());
      write_npy(d + "/voxel_index.npy", idx, {ns});
      std::ofstream js(d + "/voxflow_summary.json");
      js << "{\"voxels\": " << ns << ", \"seconds\": " << best_s << ", \"voxels_per_s\": " << vx_rate
         << ", \"threads\": " << Kokkos::DefaultExecutionSpace().concurrency() << "}\n";
    }
    if (!o.baseline) {
      Kokkos::finalize();
      return 0;
    }
    const std::string cmd = "'" + o.python + "' '" + o.script + "' '" + d + "'";
    if (o.reuse_baseline && std::filesystem::exists(d + "/scipy_rss.npy")) {
      std::printf("reusing the baseline in %s (--reuse-baseline)\n", d.c_str());
    } else {
      std::printf("running baseline: %s\n", cmd.c_str());
      std::fflush(stdout);
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("baseline failed: " + cmd);
    }
    const std::vector<double> sp = read_npy(d + "/scipy_params.npy");
    const std::vector<double> sr = read_npy(d + "/scipy_rss.npy");
    if (static_cast<long>(sr.size()) != ns || static_cast<long>(sp.size()) != ns * np) {
      throw std::runtime_error("baseline output has the wrong size");
    }
    const double sc_rate = json_number(d + "/scipy_summary.json", "voxels_per_s");
    const int nsol = static_cast<int>(o.solvers.size());
    std::printf("\n%-30s", "");
    for (int q = 0; q < nsol; ++q) std::printf(" %14s", o.solvers[q].c_str());
    std::printf(" %14s\n", "scipy TRF");
    std::printf("%-30s", "voxels/s");
    for (int q = 0; q < nsol; ++q) std::printf(" %14.0f", rates[q]);
    std::printf(" %14.1f   (voxflow on %d thread(s))\n", sc_rate,
                Kokkos::DefaultExecutionSpace().concurrency());
    std::printf("%-30s", "speed ratio vs scipy");
    for (int q = 0; q < nsol; ++q) std::printf(" %13.0fx", rates[q] / sc_rate);
    std::printf(" %14s\n", "1x");
    std::printf("%-30s", "passes over the data / voxel");
    for (int q = 0; q < nsol; ++q) std::printf(" %14.1f", static_cast<double>(fits[q].evaluations) / ns);
    std::printf("\n");
    std::vector<long> no_worse(nsol, 0), better(nsol, 0), worse_than_trf(nsol, 0), vx_fail(nsol, 0);
    long sc_fail = 0;
    for (long r = 0; r < ns; ++r) sc_fail += !std::isfinite(sr[r]);
    for (int q = 0; q < nsol; ++q) {
      const FitOut& fq = fits[q];
      for (long r = 0; r < ns; ++r) {
        const bool vf = std::isfinite(fq.rss[r]), sf = std::isfinite(sr[r]);
        vx_fail[q] += !vf;
        if ((vf && (!sf || fq.rss[r] <= sr[r] * 1.001)) || (!vf && !sf)) ++no_worse[q];
        if (vf && (!sf || fq.rss[r] < sr[r] * (1 - 1e-6))) ++better[q];
      }
    }
    std::printf("%-30s", "failed fits");
    for (int q = 0; q < nsol; ++q) std::printf(" %14ld", vx_fail[q]);
    std::printf(" %14ld\n", sc_fail);
    std::printf("%-30s", "rss <= scipy rss * 1.001 (%)");
    for (int q = 0; q < nsol; ++q) std::printf(" %14.2f", 100.0 * no_worse[q] / ns);
    std::printf("\n%-30s", "rss < scipy rss (1e-6) (%)");
    for (int q = 0; q < nsol; ++q) std::printf(" %14.2f", 100.0 * better[q] / ns);
    std::printf("\n");
    for (int q = 0; q < nsol; ++q) {
      std::printf("%s: rss <= scipy rss * 1.001: %.2f %% of %ld voxels (strictly lower by > 1e-6: %.2f %%)\n",
                  o.solvers[q].c_str(), 100.0 * no_worse[q] / ns, ns, 100.0 * better[q] / ns);
    }
    for (int reg = -1; reg < vk::kNumRegions; ++reg) {
      long count = 0;
      for (long r = 0; r < ns; ++r) count += (reg < 0 || region[r] == reg);
      if (count == 0) continue;
      std::printf("\nmedian |param - truth|, %s (%ld voxels)\n", reg < 0 ? "all voxels" : vk::kRegionNames[reg],
                  count);
      std::printf("  %-6s", "param");
      for (int q = 0; q < nsol; ++q) std::printf(" %14s", o.solvers[q].c_str());
      std::printf(" %14s   %s/scipy\n", "scipy TRF", o.solvers[0].c_str());
      for (int p = 0; p < np; ++p) {
        std::vector<double> es;
        for (long r = 0; r < ns; ++r) {
          if (reg >= 0 && region[r] != reg) continue;
          es.push_back(std::fabs(sp[r * np + p] - truth[r * np + p]));
        }
        std::printf("  %-6s", vk::kParamNames[p]);
        double m0 = 0;
        for (int q = 0; q < nsol; ++q) {
          std::vector<double> ev;
          for (long r = 0; r < ns; ++r) {
            if (reg >= 0 && region[r] != reg) continue;
            ev.push_back(std::fabs(fits[q].params[r * np + p] - truth[r * np + p]));
          }
          const double m = median(ev);
          if (q == 0) m0 = m;
          std::printf(" %14.6g", m);
        }
        const double ms = median(es);
        std::printf(" %14.6g   %.3f\n", ms, m0 / ms);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_kinetics_fit: " << e.what() << "\n";
    rc = 1;
  }
  Kokkos::finalize();
  return rc;
}
