// voxflow overlay: the command line -> OverlayOptions -> pipelines::run_overlay.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "src/core/error.hpp"
#include "src/pipelines/overlay_pipeline.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace voxflow::apps {
namespace {

po::options_description overlay_options() {
  po::options_description d(
      "voxflow overlay: a heatmap laid over a DICOM or NIfTI image, written as PNG\n\n"
      "usage: voxflow overlay -i IMAGE [--heatmap MAP] [options] -o OUT.png\n"
      "       voxflow overlay --demo [options] -o OUT.png\n\noptions");
  d.add_options()                                                                                           //
      ("help,h", "show this help")                                                                          //
      ("input,i", po::value<std::string>(), "DICOM file, DICOM folder (series) or NIfTI volume")           //
      ("heatmap", po::value<std::string>(),
       "map: .json {\"data\": [[...]]}, .csv, .bin (u32 rows, u32 cols, f32 data), .npy, .nii[.gz], file.h5:DATASET")
      ("output,o", po::value<std::string>(), "output PNG (8-bit RGBA, written atomically)")                //
      ("colormap", po::value<std::string>()->default_value("viridis"), "red, hot, jet, viridis or plasma")  //
      ("opacity", po::value<double>()->default_value(0.6), "heatmap opacity in [0, 1]")                    //
      ("normalization", po::value<std::string>()->default_value("minmax"),
       "minmax, zscore (mean +- 3 SD) or percentile (5th-95th)")                                           //
      ("range", po::value<std::string>(), "LO,HI: fixed map values at the colormap's ends (overrides --normalization)")
      ("threshold", po::value<double>(), "map values below this (map units) are transparent")              //
      ("resize", po::value<std::string>()->default_value("bilinear"),
       "bilinear or nearest: how a map of another size is resampled to the image")                         //
      ("colorbar", po::bool_switch(), "add a labelled colour bar on the right")                             //
      ("units", po::value<std::string>(), "units written by the colour bar (default: the map's own, if any)")
      ("frame", po::value<long long>()->default_value(0), "frame of a multi-frame DICOM / time point of a 4D volume (0-based)")
      ("slice", po::value<long long>(), "slice of a volume along --axis (0-based voxel index; default: middle)")
      ("axis", po::value<std::string>()->default_value("axial"), "axial, coronal or sagittal (volumes)")  //
      ("window", po::value<std::string>(), "C,W: grey window centre and width (default: the file's, else min-max)")
      ("montage", po::value<std::string>(),
       "N (N evenly spaced slices) or K1,K2,...: several slices (or DICOM frames) side by side")          //
      ("demo", po::bool_switch(), "draw a synthetic image and heatmap instead of reading -i");
  return d;
}

// "A,B" -> {A, B}; UsageError naming the option otherwise.
std::pair<double, double> parse_pair(const std::string& text, const std::string& option) {
  const auto comma = text.find(',');
  if (comma != std::string::npos) {
    const std::string a = text.substr(0, comma), b = text.substr(comma + 1);
    char *ea = nullptr, *eb = nullptr;
    const double x = std::strtod(a.c_str(), &ea), y = std::strtod(b.c_str(), &eb);
    if (!a.empty() && !b.empty() && *ea == '\0' && *eb == '\0' && std::isfinite(x) && std::isfinite(y)) return {x, y};
  }
  throw UsageError("overlay: " + option + " expects two numbers A,B (got '" + text + "')");
}

// --montage: "N" or "K1,K2,...". count > 0 for "N", else the list.
pipelines::MontageSpec parse_montage(const std::string& text) {
  pipelines::MontageSpec m;
  std::vector<std::int64_t> values;
  std::size_t p = 0;
  while (true) {
    const auto c = text.find(',', p);
    const std::string tok = text.substr(p, c == std::string::npos ? std::string::npos : c - p);
    char* e = nullptr;
    const long long v = std::strtoll(tok.c_str(), &e, 10);
    if (tok.empty() || *e != '\0' || v < 0) throw UsageError("overlay: --montage expects N or K1,K2,... (got '" + text + "')");
    values.push_back(v);
    if (c == std::string::npos) break;
    p = c + 1;
  }
  if (values.size() == 1) {
    if (values[0] < 1) throw UsageError("overlay: --montage N needs N >= 1");
    m.count = static_cast<int>(values[0]);
  } else {
    m.list = values;
  }
  return m;
}

// InputError from a viz parser (unknown name) as a UsageError: the same on every rank, said once.
template <class F>
auto as_usage(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const InputError& e) {
    throw UsageError(std::string("overlay: ") + e.what());
  }
}

}  // namespace

int cmd_overlay(const Args& args, const Comm& comm) {
  po::options_description desc = overlay_options();
  po::variables_map vm;
  add_config_file_options(desc);
  if (!parse_command_line_and_config(args, desc, vm, "overlay", comm, {"input", "heatmap", "output"})) return 0;
  pipelines::OverlayOptions rq;
  rq.demo = vm["demo"].as<bool>();
  if (rq.demo && vm.count("input")) throw UsageError("overlay: give either -i IMAGE or --demo, not both");
  if (!rq.demo && !vm.count("input"))
    throw UsageError("overlay: give the image with -i FILE|DIR (or ask for the synthetic example with --demo)");
  if (!vm.count("output")) throw UsageError("overlay: give the output PNG with -o FILE.png");
  rq.input = vm.count("input") ? vm["input"].as<std::string>() : "";
  rq.output = vm["output"].as<std::string>();
  rq.heatmap = vm.count("heatmap") ? vm["heatmap"].as<std::string>() : "";
  rq.style.cmap = as_usage([&] { return viz::parse_colormap(vm["colormap"].as<std::string>()); });
  rq.normalization = as_usage([&] { return viz::parse_normalization(vm["normalization"].as<std::string>()); });
  rq.axis = as_usage([&] { return viz::parse_slice_axis(vm["axis"].as<std::string>()); });
  rq.style.opacity = vm["opacity"].as<double>();
  if (!(rq.style.opacity >= 0.0 && rq.style.opacity <= 1.0))
    {
    char got[64];
    std::snprintf(got, sizeof got, "%g", rq.style.opacity);
    throw UsageError(std::string("overlay: --opacity must be in [0, 1] (got ") + got + ")");
  }
  if (vm.count("threshold")) {
    rq.style.threshold = vm["threshold"].as<double>();
    if (std::isnan(*rq.style.threshold)) throw UsageError("overlay: --threshold must be a number");
  }
  if (vm.count("range")) {
    const auto [lo, hi] = parse_pair(vm["range"].as<std::string>(), "--range");
    if (!(hi > lo)) throw UsageError("overlay: --range LO,HI needs HI > LO");
    rq.fixed_range = viz::ValueRange{lo, hi};
  }
  const std::string resize = vm["resize"].as<std::string>();
  if (resize != "bilinear" && resize != "nearest")
    throw UsageError("overlay: unknown --resize '" + resize + "' (valid: bilinear, nearest)");
  rq.nearest = resize == "nearest";
  rq.colorbar = vm["colorbar"].as<bool>();
  rq.units = vm.count("units") ? vm["units"].as<std::string>() : "";
  if (rq.colorbar && rq.heatmap.empty() && !rq.demo) throw UsageError("overlay: --colorbar needs a --heatmap");
  rq.frame = vm["frame"].as<long long>();
  if (rq.frame < 0) throw UsageError("overlay: --frame must be >= 0");
  if (vm.count("slice")) {
    rq.slice = vm["slice"].as<long long>();
    if (*rq.slice < 0) throw UsageError("overlay: --slice must be >= 0");
  }
  if (vm.count("window")) {
    const auto [c, w] = parse_pair(vm["window"].as<std::string>(), "--window");
    if (!(w >= 1.0)) throw UsageError("overlay: --window C,W needs a width W >= 1");
    rq.window = io::DisplayWindow{c, w};
  }
  if (vm.count("montage")) {
    if (rq.demo) throw UsageError("overlay: --montage needs a volume or multi-frame input, not --demo");
    rq.montage = parse_montage(vm["montage"].as<std::string>());
  }
  pipelines::run_overlay(rq, comm);
  return 0;
}

}  // namespace voxflow::apps
