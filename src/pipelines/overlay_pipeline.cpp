// voxflow overlay: a heatmap on a DICOM or NIfTI image, as a PNG.
#include "src/pipelines/overlay_pipeline.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "io/heatmap_reader.hpp"
#include "io/image_reader.hpp"
#include "io/png_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/slab.hpp"
#include "src/viz/colorbar.hpp"
#include "src/viz/colormap.hpp"
#include "src/viz/compositing.hpp"
#include "src/viz/montage.hpp"
#include "src/viz/resample.hpp"

namespace fs = std::filesystem;

namespace voxflow::pipelines {
namespace {

constexpr int kMontageGap = 4;
constexpr int kDemoSize = 256;

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

void draw_overlay(const OverlayOptions& rq) {
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

}  // namespace

void run_overlay(const OverlayOptions& options, const Comm& comm) {
  collective_check(comm, [&] {
    if (comm.is_root()) draw_overlay(options);
  });
}

}  // namespace voxflow::pipelines
