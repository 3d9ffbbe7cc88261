// bench_overlay: time to draw a 512 x 512 heatmap overlay and a 3 x 3 montage of 128 x 128
// slices with src/viz (greyscale window, percentile normalisation, viridis, opacity 0.6 blend,
// montage), with and without PNG encoding (io/png_writer), against the numpy + matplotlib + PIL
// baseline bench/overlay_baseline.py on the same synthetic data, printed side by side as ratios.
// Prints figures only; never passes or fails on timing.
//   bench_overlay [--reps N] [--no-baseline] [--python EXE] [--script PATH]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "io/png_writer.hpp"
#include "src/viz/colorbar.hpp"
#include "src/viz/compositing.hpp"
#include "src/viz/montage.hpp"
#include "src/viz/normalization.hpp"
#include "src/viz/overlay.hpp"
#include "src/viz/volume_slice.hpp"

using namespace voxflow;

namespace {

// Same pattern as overlay_baseline.py's synthetic(n, k).
void synthetic(int n, double k, std::vector<float>& grey, std::vector<float>& heat) {
  grey.resize(static_cast<std::size_t>(n) * n);
  heat.resize(grey.size());
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double u = (x + 0.5) / n - 0.5, v = (y + 0.5) / n - 0.5;
      const std::size_t i = static_cast<std::size_t>(y) * n + x;
      grey[i] = static_cast<float>(600.0 * (u * u + v * v < 0.16) + 100.0 * std::sin(8 * u + k) * std::cos(6 * v));
      heat[i] = static_cast<float>(std::exp(-(std::pow(u - 0.1 + 0.01 * k, 2) + std::pow(v + 0.1, 2)) / 0.02));
    }
}

viz::ImageRGBA draw(const std::vector<float>& grey, const std::vector<float>& heat, int n) {
  const viz::ValueRange g = viz::compute_range(grey, viz::Normalization::MinMax);
  viz::ImageRGBA img = viz::greyscale_to_rgba(grey, n, n, g.lo, g.hi);
  viz::OverlayStyle st;
  st.cmap = viz::Colormap::Viridis;
  st.range = viz::compute_range(heat, viz::Normalization::Percentile);
  st.opacity = 0.6;
  viz::overlay_heatmap(img, heat, st);
  return img;
}

template <class F>
double median_ms(F&& f, int reps) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 20;
  bool baseline = true;
  std::string python = "/usr/bin/python3";
  std::string here = __FILE__;
  std::string script = here.substr(0, here.find_last_of('/') + 1) + "overlay_baseline.py";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--no-baseline") baseline = false;
    else if (a == "--python" && i + 1 < argc) python = argv[++i];
    else if (a == "--script" && i + 1 < argc) script = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_overlay [--reps N] [--no-baseline] [--python EXE] [--script PATH]\n");
      return 2;
    }
  }
  if (reps < 1) reps = 1;

  std::vector<float> grey, heat;
  synthetic(512, 0.0, grey, heat);
  std::vector<std::vector<float>> vg(9), vh(9);
  for (int k = 0; k < 9; ++k) synthetic(128, k, vg[static_cast<std::size_t>(k)], vh[static_cast<std::size_t>(k)]);

  std::map<std::string, double> ours;
  std::size_t sink = 0;
  ours["overlay_512_ms"] = median_ms([&] { sink += draw(grey, heat, 512).pixels[0]; }, reps);
  ours["overlay_512_png_ms"] = median_ms([&] { sink += io::encode_png(draw(grey, heat, 512)).size(); }, reps);
  ours["montage_3x3_ms"] = median_ms(
      [&] {
        std::vector<viz::ImageRGBA> tiles;
        for (int k = 0; k < 9; ++k) tiles.push_back(draw(vg[static_cast<std::size_t>(k)], vh[static_cast<std::size_t>(k)], 128));
        sink += viz::montage(tiles, 3, 4, viz::RGBA{0, 0, 0, 255}).pixels[0];
      },
      reps);
  ours["colorbar_512_ms"] = median_ms(
      [&] { sink += viz::add_colorbar(draw(grey, heat, 512), viz::Colormap::Viridis, {0, 1}, "a.u.").pixels[0]; }, reps);

  // where the time goes (voxflow only)
  const double t_range = median_ms([&] { sink += static_cast<std::size_t>(viz::compute_range(heat, viz::Normalization::Percentile).hi); }, reps);
  const viz::ValueRange gr = viz::compute_range(grey, viz::Normalization::MinMax);
  const double t_grey = median_ms([&] { sink += viz::greyscale_to_rgba(grey, 512, 512, gr.lo, gr.hi).pixels[0]; }, reps);
  viz::OverlayStyle st;
  st.range = {0.0, 1.0};
  const viz::ImageRGBA grey_img = viz::greyscale_to_rgba(grey, 512, 512, gr.lo, gr.hi);
  const double t_blend = median_ms([&] { viz::ImageRGBA im = grey_img; viz::overlay_heatmap(im, heat, st); sink += im.pixels[0]; }, reps);

  std::map<std::string, double> base;
  if (baseline) {
    const std::string cmd = python + " " + script + " " + std::to_string(reps);
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char name[128];
      double ms;
      while (std::fscanf(p, "%127s %lf", name, &ms) == 2) base[name] = ms;
      pclose(p);
    }
    if (base.empty()) std::fprintf(stderr, "bench_overlay: baseline %s gave no figures\n", cmd.c_str());
  }
  std::printf("voxflow overlay drawing, median of %d runs (1 thread; synthetic data)\n", reps);
  std::printf("%-22s %12s %16s %8s\n", "case", "voxflow ms", "numpy+mpl ms", "ratio");
  for (const auto& [name, ms] : ours) {
    auto it = base.find(name);
    if (it != base.end())
      std::printf("%-22s %12.3f %16.3f %7.1fx\n", name.c_str(), ms, it->second, it->second / ms);
    else
      std::printf("%-22s %12.3f %16s %8s\n", name.c_str(), ms, "-", "-");
  }
  std::printf("voxflow 512 x 512 parts: percentile range %.3f ms, greyscale %.3f ms, blend %.3f ms\n", t_range, t_grey,
              t_blend);
  std::printf("(ratio = baseline time / voxflow time; baseline: %s)\n", baseline ? script.c_str() : "off");
  return sink == 42 ? 1 : 0;
}
