// voxflow overlay: a heatmap on a DICOM or NIfTI image, as a PNG (issue 5; seeds/001, the Rust
// dl-heatmap tool). A single-picture command: rank 0 does the work, other ranks only wait for
// its verdict (collective_check), so none hangs and none writes.
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
#include "io/dicom_display.hpp"
#include "io/heatmap_reader.hpp"
#include "io/image_reader.hpp"
#include "io/png_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/slab.hpp"
#include "src/viz/colorbar.hpp"
#include "src/viz/colormap.hpp"
#include "src/viz/compositing.hpp"
#include "src/viz/montage.hpp"
#include "src/viz/normalization.hpp"
#include "src/viz/overlay.hpp"
#include "src/viz/resample.hpp"
#include "src/viz/volume_slice.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace voxflow::apps {
namespace {

constexpr int kMontageGap = 4;
constexpr int kDemoSize = 256;

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
struct MontageSpec {
  int count = 0;
  std::vector<std::int64_t> list;
};
MontageSpec parse_montage(const std::string& text) {
  MontageSpec m;
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

struct OverlayRequest {
  std::string input, heatmap, output, units;
  bool demo = false, colorbar = false, nearest = false;
  viz::OverlayStyle style;
  viz::Normalization normalization = viz::Normalization::MinMax;
  std::optional<viz::ValueRange> fixed_range;
  std::int64_t frame = 0;
  std::optional<std::int64_t> slice;
  viz::SliceAxis axis = viz::SliceAxis::Axial;
  std::optional<io::DisplayWindow> window;
  std::optional<MontageSpec> montage;
};

// One picture of the output: the displayed grey/RGB image and where its map comes from.
struct Tile {
  viz::ImageRGBA image;
  std::int64_t index = 0;  // slice (volume) or frame (DICOM file)
};

// The synthetic image of --demo: a bright disc ("body") with two darker ellipses, 0..1000.
std::vector<float> demo_image(int n) {
  std::vector<float> v(static_cast<std::size_t>(n) * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double u = (x + 0.5) / n - 0.5, w = (y + 0.5) / n - 0.5;
      double g = (u * u + w * w < 0.16) ? 600.0 : 0.0;
      if (std::pow((u + 0.15) / 0.08, 2) + std::pow(w / 0.2, 2) < 1) g = 250.0;
      if (std::pow((u - 0.15) / 0.08, 2) + std::pow(w / 0.2, 2) < 1) g = 250.0;
      g += 100.0 * std::sin(8.0 * u) * std::cos(6.0 * w) * (g > 0);
      v[static_cast<std::size_t>(y) * n + x] = static_cast<float>(g);
    }
  return v;
}
// The synthetic heatmap of --demo: two Gaussian "attention" blobs, 0..1.
std::vector<float> demo_heatmap(int n) {
  std::vector<float> v(static_cast<std::size_t>(n) * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double u = (x + 0.5) / n, w = (y + 0.5) / n;
      const double a = std::exp(-(std::pow(u - 0.35, 2) + std::pow(w - 0.4, 2)) / (2 * 0.06 * 0.06));
      const double b = 0.7 * std::exp(-(std::pow(u - 0.65, 2) + std::pow(w - 0.62, 2)) / (2 * 0.09 * 0.09));
      v[static_cast<std::size_t>(y) * n + x] = static_cast<float>(std::min(1.0, a + b));
    }
  return v;
}

// Window [lo, hi] for greyscale_to_rgba equal to DICOM's linear VOI function with centre c and
// width w (PS3.3 C.11.2.1.2.1): x <= c - 0.5 - (w - 1) / 2 -> black, x > c - 0.5 + (w - 1) / 2 -> white.
viz::ValueRange window_bounds(const io::DisplayWindow& w) {
  return {w.center - 0.5 - (w.width - 1.0) / 2.0, w.center - 0.5 + (w.width - 1.0) / 2.0};
}

// Finite min and max of v ({0, 1} when none is finite).
viz::ValueRange finite_min_max(const std::vector<float>& v) {
  double lo = INFINITY, hi = -INFINITY;
  for (float x : v)
    if (std::isfinite(x)) {
      lo = std::min(lo, static_cast<double>(x));
      hi = std::max(hi, static_cast<double>(x));
    }
  return lo <= hi ? viz::ValueRange{lo, hi} : viz::ValueRange{0.0, 1.0};
}

void run_overlay(const OverlayRequest& rq) {
  enum class Kind { Demo, DicomFile, Volume } kind = Kind::Demo;
  std::vector<Tile> tiles;
  viz::SliceGeometry geom;
  std::array<std::int64_t, 3> image_dims{0, 0, 0};

  std::optional<io::Heatmap> heat;
  if (!rq.heatmap.empty()) heat = io::read_heatmap(rq.heatmap);

  if (rq.demo) {
    Tile t;
    const viz::ValueRange grey = rq.window ? window_bounds(*rq.window) : viz::ValueRange{0.0, 700.0};
    t.image = viz::greyscale_to_rgba(demo_image(kDemoSize), kDemoSize, kDemoSize, grey.lo, grey.hi);
    tiles.push_back(std::move(t));
  } else {
    const io::ImageFormat fmt = io::detect_format(rq.input);  // InputError for a missing path
    if (fmt == io::ImageFormat::Hdf5)
      throw InputError(rq.input + ": -i must be a DICOM file or folder or a NIfTI volume (HDF5 maps go to --heatmap)");
    if (fmt == io::ImageFormat::Dicom && fs::is_regular_file(rq.input)) {
      kind = Kind::DicomFile;
      const std::int64_t first_frame = rq.montage ? 0 : rq.frame;
      const io::DicomDisplay first = io::read_dicom_display(rq.input, first_frame, rq.window);
      std::vector<std::int64_t> frames{rq.frame};
      if (rq.montage) {
        frames = rq.montage->count > 0 ? viz::evenly_spaced_slices(rq.montage->count, first.frames) : rq.montage->list;
      }
      for (std::int64_t f : frames) {
        Tile t;
        t.index = f;
        t.image = f == first_frame ? first.image : io::read_dicom_display(rq.input, f, rq.window).image;
        tiles.push_back(std::move(t));
      }
    } else {
      kind = Kind::Volume;
      const io::ImageInfo info = io::read_image_info(rq.input, fmt);
      const Grid& g = info.grid;
      if (rq.frame < 0 || rq.frame >= g.nt)
        throw InputError(rq.input + ": --frame " + std::to_string(rq.frame) + " is outside its " + std::to_string(g.nt) +
                         " time point(s)");
      const Volume4D v = io::read_image_4d(rq.input, fmt, make_slab(g.nz(), 0, 1), 0);
      auto host = Kokkos::create_mirror_view(v.data);
      Kokkos::deep_copy(host, v.data);
      std::vector<float> vol(static_cast<std::size_t>(g.n_voxels()));
      for (std::size_t i = 0; i < vol.size(); ++i) vol[i] = host(i, static_cast<std::size_t>(rq.frame));
      image_dims = g.dims;
      geom = viz::slice_geometry(g.dims, g.affine, rq.axis);
      std::vector<std::int64_t> ks;
      if (rq.montage)
        ks = rq.montage->count > 0 ? viz::evenly_spaced_slices(rq.montage->count, geom.n_slices) : rq.montage->list;
      else
        ks = {rq.slice ? *rq.slice : geom.n_slices / 2};
      const viz::ValueRange grey = rq.window ? window_bounds(*rq.window) : finite_min_max(vol);
      for (std::int64_t k : ks) {
        Tile t;
        t.index = k;
        t.image = viz::greyscale_to_rgba(viz::extract_slice(vol, g.dims, geom, k), geom.width, geom.height, grey.lo, grey.hi);
        tiles.push_back(std::move(t));
      }
    }
  }

  // ---- the map of each tile -------------------------------------------------------------------
  std::vector<std::vector<float>> maps(tiles.size());
  int map_w = 0, map_h = 0;
  std::vector<float> demo_map;
  const std::vector<float>* range_values = nullptr;  // what --normalization looks at: the whole map
  if (!heat && rq.demo) {
    demo_map = demo_heatmap(kDemoSize);
    maps[0] = demo_map;
    map_w = map_h = kDemoSize;
    range_values = &demo_map;
  } else if (heat && !heat->is_volume) {
    if (tiles.size() > 1)
      throw InputError(heat->source + ": a 2-D heatmap cannot be laid over a montage of " + std::to_string(tiles.size()) +
                       " pictures; give a 3-D map (NIfTI, HDF5, 3-D NPY) on the image's grid");
    maps[0] = heat->values;
    map_w = static_cast<int>(heat->nx());
    map_h = static_cast<int>(heat->ny());
    range_values = &heat->values;
  } else if (heat) {
    range_values = &heat->values;
    if (kind == Kind::Volume) {
      if (heat->dims != image_dims)
        throw InputError(heat->source + ": heatmap volume is " + Grid{heat->dims}.describe() + " but the image " +
                         Grid{image_dims}.describe() + " (a 3-D map must be on the image's grid)");
      for (std::size_t i = 0; i < tiles.size(); ++i) maps[i] = viz::extract_slice(heat->values, heat->dims, geom, tiles[i].index);
      map_w = geom.width;
      map_h = geom.height;
    } else {
      // DICOM file (or demo): the map's x = image column, y = image row (as voxflow's DICOM reader
      // stores a series), z = --slice, else the frame (a single-plane map always plane 0).
      for (std::size_t i = 0; i < tiles.size(); ++i) {
        const std::int64_t z = heat->nz() == 1 ? 0 : (rq.slice ? *rq.slice : tiles[i].index);
        if (z < 0 || z >= heat->nz())
          throw InputError(heat->source + ": plane " + std::to_string(z) + " is outside the heatmap's " +
                           std::to_string(heat->nz()) + " planes (choose one with --slice)");
        const std::size_t plane = static_cast<std::size_t>(heat->nx() * heat->ny());
        maps[i].assign(heat->values.begin() + static_cast<std::ptrdiff_t>(plane * static_cast<std::size_t>(z)),
                       heat->values.begin() + static_cast<std::ptrdiff_t>(plane * static_cast<std::size_t>(z + 1)));
      }
      map_w = static_cast<int>(heat->nx());
      map_h = static_cast<int>(heat->ny());
    }
  }

  viz::OverlayStyle style = rq.style;
  if (range_values) {
    style.range = rq.fixed_range ? *rq.fixed_range : viz::compute_range(*range_values, rq.normalization);
    bool warned = false;
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      viz::ImageRGBA& img = tiles[i].image;
      std::vector<float> m = maps[i];
      if (map_w != img.width || map_h != img.height) {
        if (!warned)
          std::fprintf(stderr, "voxflow: warning: heatmap %d x %d resampled to the image's %d x %d (%s)\n", map_w, map_h,
                       img.width, img.height, rq.nearest ? "nearest" : "bilinear");
        warned = true;
        m = rq.nearest ? viz::resample_nearest(m, map_w, map_h, img.width, img.height)
                       : viz::resample_bilinear(m, map_w, map_h, img.width, img.height);
      }
      viz::overlay_heatmap(img, m, style);
    }
  }

  viz::ImageRGBA picture;
  if (tiles.size() == 1) {
    picture = std::move(tiles[0].image);
  } else {
    std::vector<viz::ImageRGBA> images;
    for (auto& t : tiles) images.push_back(std::move(t.image));
    picture = viz::montage(images, viz::montage_columns(static_cast<int>(images.size())), kMontageGap,
                           viz::RGBA{0, 0, 0, 255});
  }
  if (rq.colorbar) picture = viz::add_colorbar(picture, style.cmap, style.range, rq.units.empty() ? (heat ? heat->units : "") : rq.units);
  io::write_png(rq.output, picture);
  std::printf("overlay: wrote %s (%d x %d)\n", rq.output.c_str(), picture.width, picture.height);
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
  if (!parse_command_line(args, desc, vm, "overlay", comm)) return 0;
  OverlayRequest rq;
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
  collective_check(comm, [&] {
    if (comm.is_root()) run_overlay(rq);
  });
  return 0;
}

}  // namespace voxflow::apps
