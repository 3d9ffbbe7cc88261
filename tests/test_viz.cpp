// Unit tests of src/viz (colormaps, normalisation, compositing, resampling, panel figures) and
// io/png_writer. The VizExport tests write files for tests/python/test_viz_colormaps.py when
// VOXFLOW_VIZ_EXPORT_DIR is set (that script runs this executable); otherwise they are skipped.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "io/png_writer.hpp"
#include "src/core/error.hpp"
#include "src/viz/colormap.hpp"
#include "src/viz/compositing.hpp"
#include "src/viz/image_rgba.hpp"
#include "src/viz/normalization.hpp"
#include "src/viz/panel_figure.hpp"
#include "src/viz/resample.hpp"

namespace fs = std::filesystem;
using namespace voxflow;
using namespace voxflow::viz;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

void expect_rgba(RGBA got, int r, int g, int b, int a) {
  EXPECT_EQ(int(got.r), r);
  EXPECT_EQ(int(got.g), g);
  EXPECT_EQ(int(got.b), b);
  EXPECT_EQ(int(got.a), a);
}

// Relative luminance of an sRGB colour (IEC 61966-2-1 linearisation, Rec. 709 weights).
double luminance(RGBA c) {
  auto lin = [](double u) { return u <= 0.04045 ? u / 12.92 : std::pow((u + 0.055) / 1.055, 2.4); };
  return 0.2126 * lin(c.r / 255.0) + 0.7152 * lin(c.g / 255.0) + 0.0722 * lin(c.b / 255.0);
}

// A fresh folder under the system's temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vf-viz-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Reads a PNG with libpng's simplified API as 8-bit RGBA; width/height out.
std::vector<std::uint8_t> read_png_rgba(const std::string& path, int& w, int& h) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) throw std::runtime_error(image.message);
  image.format = PNG_FORMAT_RGBA;
  std::vector<std::uint8_t> buf(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, buf.data(), 0, nullptr)) {
    png_image_free(&image);
    throw std::runtime_error(image.message);
  }
  w = static_cast<int>(image.width);
  h = static_cast<int>(image.height);
  return buf;
}

// The deterministic pattern that tests/python/test_viz_colormaps.py recomputes.
ImageRGBA pattern_image(int w, int h) {
  ImageRGBA img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      img.set(x, y, RGBA{std::uint8_t(x * 37 % 256), std::uint8_t(y * 53 % 256), std::uint8_t((x + y) * 11 % 256),
                         std::uint8_t(255 - (x * 7 + y * 3) % 200)});
  return img;
}

// 3 panels, the first a 4 x 4 map with a NaN at (1, 2); used by the C++ and the Python checks.
std::vector<Panel> sample_panels() {
  std::vector<Panel> panels(3);
  panels[0].title = "kb";
  panels[0].units = "1/min";
  panels[0].width = panels[0].height = 4;
  for (int i = 0; i < 16; ++i) panels[0].values.push_back(static_cast<float>(i));
  panels[0].values[2 * 4 + 1] = kNaN;
  panels[0].range = compute_range(panels[0].values, Normalization::MinMax);
  panels[1].title = "A0";
  panels[1].units = "a.u.";
  panels[1].width = 8;
  panels[1].height = 4;
  for (int i = 0; i < 32; ++i) panels[1].values.push_back(static_cast<float>(i % 8));
  panels[1].range = ValueRange{0.0, 7.0};
  panels[1].cmap = Colormap::Hot;
  panels[2].title = "r_squared";
  panels[2].width = panels[2].height = 2;
  panels[2].values = {0.1f, 0.5f, 0.9f, 1.0f};
  panels[2].range = ValueRange{0.0, 1.0};
  panels[2].cmap = Colormap::Jet;
  return panels;
}

}  // namespace

// ---- colormaps --------------------------------------------------------------------------------

TEST(Colormap, EndpointsMatchMatplotlibTables) {
  expect_rgba(colormap_lookup(Colormap::Viridis, 0.0), 68, 1, 84, 255);      // 0.267004 0.004874 0.329415
  expect_rgba(colormap_lookup(Colormap::Viridis, 1.0), 253, 231, 37, 255);   // 0.993248 0.906157 0.143936
  expect_rgba(colormap_lookup(Colormap::Plasma, 0.0), 13, 8, 135, 255);      // 0.050383 0.029803 0.527975
  expect_rgba(colormap_lookup(Colormap::Plasma, 1.0), 240, 249, 33, 255);    // 0.940015 0.975158 0.131326
  expect_rgba(colormap_lookup(Colormap::Hot, 0.0), 11, 0, 0, 255);           // 0.0416 * 255 = 10.6
  expect_rgba(colormap_lookup(Colormap::Hot, 1.0), 255, 255, 255, 255);
  expect_rgba(colormap_lookup(Colormap::Jet, 0.0), 0, 0, 128, 255);          // blue 0.5
  expect_rgba(colormap_lookup(Colormap::Jet, 1.0), 128, 0, 0, 255);          // red 0.5
  expect_rgba(colormap_lookup(Colormap::Red, 0.0), 0, 0, 0, 255);
  expect_rgba(colormap_lookup(Colormap::Red, 1.0), 255, 0, 0, 255);
  expect_rgba(colormap_lookup(Colormap::Red, 0.5), 128, 0, 0, 255);          // entry floor(0.5 * 256)
}

TEST(Colormap, ClampsAndNaN) {
  for (Colormap c : {Colormap::Red, Colormap::Hot, Colormap::Jet, Colormap::Viridis, Colormap::Plasma}) {
    EXPECT_EQ(colormap_lookup(c, -3.0), colormap_lookup(c, 0.0));
    EXPECT_EQ(colormap_lookup(c, 7.0), colormap_lookup(c, 1.0));
    EXPECT_EQ(colormap_lookup(c, std::numeric_limits<double>::infinity()), colormap_lookup(c, 1.0));
    expect_rgba(colormap_lookup(c, std::nan("")), 0, 0, 0, 0);
  }
}

TEST(Colormap, ViridisLuminanceIsMonotonic) {
  // 8-bit rounding of the table makes a few neighbours tie or dip by < 3e-4; every second entry
  // increases strictly.
  std::vector<double> lum;
  for (int i = 0; i < 256; ++i) lum.push_back(luminance(colormap_lookup(Colormap::Viridis, (i + 0.5) / 256.0)));
  for (int i = 0; i + 1 < 256; ++i) EXPECT_GE(lum[i + 1], lum[i] - 5e-4) << "entry " << i;
  for (int i = 0; i + 2 < 256; i += 2) EXPECT_GT(lum[i + 2], lum[i]) << "entry " << i;
  EXPECT_GT(lum[255] - lum[0], 0.7);
}

TEST(Colormap, HotAndJetSegments) {
  // hot: red reaches 1 at x = 0.365079, green at 0.746032; entry i is the segment at i / 255.
  const RGBA h = colormap_lookup(Colormap::Hot, 0.5);  // entry 128, t = 0.50196
  EXPECT_EQ(int(h.r), 255);
  EXPECT_EQ(int(h.g), int(std::lround((128 / 255.0 - 0.365079) / (0.746032 - 0.365079) * 255)));
  EXPECT_EQ(int(h.b), 0);
  // jet at entry 128: red (t - 0.35) / 0.31, green 1, blue (0.65 - t) / 0.31.
  const double t = 128 / 255.0;
  expect_rgba(colormap_lookup(Colormap::Jet, 0.5), int(std::lround((t - 0.35) / 0.31 * 255)), 255,
              int(std::lround((0.65 - t) / 0.31 * 255)), 255);
}

TEST(Colormap, ParseNamesAndErrors) {
  EXPECT_EQ(parse_colormap("viridis"), Colormap::Viridis);
  EXPECT_EQ(parse_colormap("Plasma"), Colormap::Plasma);
  EXPECT_EQ(parse_colormap("HOT"), Colormap::Hot);
  EXPECT_EQ(parse_colormap("jet"), Colormap::Jet);
  EXPECT_EQ(parse_colormap("red"), Colormap::Red);
  for (const auto& n : colormap_names()) EXPECT_EQ(colormap_name(parse_colormap(n)), n);
  try {
    parse_colormap("magma");
    FAIL() << "no exception";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'magma'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("red, hot, jet, viridis, plasma"), std::string::npos) << msg;
    EXPECT_EQ(e.exit_code(), 2);
  }
  EXPECT_THROW(parse_colormap(""), InputError);
  EXPECT_EQ(parse_normalization("ZScore"), Normalization::ZScore);
  EXPECT_EQ(parse_normalization("minmax"), Normalization::MinMax);
  EXPECT_EQ(parse_normalization("percentile"), Normalization::Percentile);
  EXPECT_THROW(parse_normalization("robust"), InputError);
}

// ---- normalisation ----------------------------------------------------------------------------

TEST(Normalization, RangesOnKnownData) {
  // 1..10 shuffled, with NaN and +-inf that must be ignored.
  const std::vector<float> v = {7, kNaN, 3, 10, 1, kInf, 5, 2, 9, -kInf, 4, 8, 6};
  const ValueRange mm = compute_range(v, Normalization::MinMax);
  EXPECT_DOUBLE_EQ(mm.lo, 1.0);
  EXPECT_DOUBLE_EQ(mm.hi, 10.0);
  // mean 5.5, population sd sqrt(8.25).
  const ValueRange z = compute_range(v, Normalization::ZScore);
  EXPECT_NEAR(z.lo, 5.5 - 3 * std::sqrt(8.25), 1e-12);
  EXPECT_NEAR(z.hi, 5.5 + 3 * std::sqrt(8.25), 1e-12);
  // numpy.percentile(np.arange(1, 11), [5, 95]) = [1.45, 9.55]: positions 0.45 and 8.55.
  const ValueRange p = compute_range(v, Normalization::Percentile);
  EXPECT_NEAR(p.lo, 1.45, 1e-12);
  EXPECT_NEAR(p.hi, 9.55, 1e-12);
}

TEST(Normalization, PercentileMatchesNumpyOnUnevenData) {
  // numpy 1.24: d = [3, -1, 7.5, 2, 2, 10, 0.5, 4.25]; np.percentile(d, 5) = -0.475,
  // np.percentile(d, 95) = 9.125, d.mean() -+ 3 * d.std() = -6.686639872057734, 13.749139872057734.
  const std::vector<float> d = {3, -1, 7.5f, 2, 2, 10, 0.5f, 4.25f};
  const ValueRange p = compute_range(d, Normalization::Percentile);
  EXPECT_NEAR(p.lo, -0.475, 1e-12);
  EXPECT_NEAR(p.hi, 9.125, 1e-12);
  const ValueRange z = compute_range(d, Normalization::ZScore);
  EXPECT_NEAR(z.lo, -6.686639872057734, 1e-12);
  EXPECT_NEAR(z.hi, 13.749139872057734, 1e-12);
  EXPECT_NEAR(percentile(d, 50), 2.5, 1e-12);  // np.median(d)
  EXPECT_DOUBLE_EQ(percentile(d, 0), -1.0);
  EXPECT_DOUBLE_EQ(percentile(d, 100), 10.0);
  EXPECT_THROW(percentile(d, 101), InputError);
  EXPECT_THROW(percentile({kNaN}, 50), InputError);
}

TEST(Normalization, DegenerateInputsAndNormalize) {
  const ValueRange none = compute_range({kNaN, kInf}, Normalization::MinMax);
  EXPECT_EQ(none.lo, 0.0);
  EXPECT_EQ(none.hi, 1.0);
  const ValueRange one = compute_range({4.f, 4.f, kNaN}, Normalization::ZScore);
  EXPECT_EQ(one.lo, 4.0);
  EXPECT_EQ(one.hi, 4.0);
  EXPECT_DOUBLE_EQ(normalize(2.5, {0, 10}), 0.25);
  EXPECT_DOUBLE_EQ(normalize(-5, {0, 10}), 0.0);
  EXPECT_DOUBLE_EQ(normalize(15, {0, 10}), 1.0);
  EXPECT_DOUBLE_EQ(normalize(-1, {-2, 2}), 0.25);
  EXPECT_DOUBLE_EQ(normalize(4, one), 0.0);
  EXPECT_TRUE(std::isnan(normalize(std::nan(""), {0, 1})));
}

// ---- compositing ------------------------------------------------------------------------------

TEST(Compositing, GreyscaleWindow) {
  const ImageRGBA g = greyscale_to_rgba({0, 50, 100, kNaN, -20, 300}, 3, 2, 0.0, 100.0);
  ASSERT_EQ(g.width, 3);
  ASSERT_EQ(g.height, 2);
  expect_rgba(g.at(0, 0), 0, 0, 0, 255);
  expect_rgba(g.at(1, 0), 128, 128, 128, 255);  // 127.5 rounds up
  expect_rgba(g.at(2, 0), 255, 255, 255, 255);
  expect_rgba(g.at(0, 1), 0, 0, 0, 255);        // NaN
  expect_rgba(g.at(1, 1), 0, 0, 0, 255);
  expect_rgba(g.at(2, 1), 255, 255, 255, 255);
  EXPECT_THROW(greyscale_to_rgba({1, 2, 3}, 2, 2, 0, 1), InputError);
}

TEST(Compositing, BlendOpacityAndTransparency) {
  const std::vector<float> grey = {10, 20, 30, 40, 50, 60};
  const ImageRGBA base = greyscale_to_rgba(grey, 3, 2, 0.0, 100.0);
  const std::vector<float> heat = {0.2f, 0.9f, kNaN, 0.5f, 0.0f, 1.0f};

  ImageRGBA a = base;
  blend_heatmap(a, heat, {0, 1}, Colormap::Jet, 0.0, 0.0);
  EXPECT_EQ(a.pixels, base.pixels);  // opacity 0: the base unchanged

  for (Colormap c : {Colormap::Red, Colormap::Hot, Colormap::Jet, Colormap::Viridis, Colormap::Plasma}) {
    ImageRGBA b = base;
    blend_heatmap(b, std::vector<float>(6, 0.0f), {0, 1}, c, 1.0, 0.0);
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) EXPECT_EQ(b.at(x, y), colormap_lookup(c, 0.0)) << colormap_name(c);
  }

  ImageRGBA n = base;
  blend_heatmap(n, heat, {0, 1}, Colormap::Viridis, 1.0, 0.0);
  EXPECT_EQ(n.at(2, 0), base.at(2, 0));  // NaN transparent
  EXPECT_EQ(n.at(1, 0), colormap_lookup(Colormap::Viridis, 0.9));

  ImageRGBA t = base;
  blend_heatmap(t, heat, {0, 1}, Colormap::Viridis, 1.0, 0.5);  // threshold on the normalised value
  EXPECT_EQ(t.at(0, 0), base.at(0, 0));                          // 0.2 < 0.5
  EXPECT_EQ(t.at(1, 1), base.at(1, 1));                          // 0.0 < 0.5
  EXPECT_EQ(t.at(0, 1), colormap_lookup(Colormap::Viridis, 0.5));  // 0.5 is not below
  EXPECT_EQ(t.at(2, 1), colormap_lookup(Colormap::Viridis, 1.0));
}

TEST(Compositing, OverOperatorArithmetic) {
  // red (255, 0, 0) at alpha 0.5 over opaque grey 100: (255 * 0.5 + 100 * 0.5) = 177.5 -> 178, 50, 50.
  ImageRGBA img(2, 1, RGBA{100, 100, 100, 255});
  img.set(1, 0, RGBA{100, 100, 100, 0});  // fully transparent base pixel
  blend_heatmap(img, {1.0f, 1.0f}, {0, 1}, Colormap::Red, 0.5, 0.0);
  expect_rgba(img.at(0, 0), 178, 50, 50, 255);
  expect_rgba(img.at(1, 0), 255, 0, 0, 128);  // over a transparent pixel: the source, alpha 127.5
  EXPECT_THROW(blend_heatmap(img, {1.0f}, {0, 1}, Colormap::Red, 0.5, 0.0), InputError);
  EXPECT_THROW(blend_heatmap(img, {1.0f, 1.0f}, {0, 1}, Colormap::Red, 1.5, 0.0), InputError);
  EXPECT_THROW(blend_heatmap(img, {1.0f, 1.0f}, {0, 1}, Colormap::Red, std::nan(""), 0.0), InputError);
}

// ---- resampling -------------------------------------------------------------------------------

TEST(Resample, ConstantStaysConstant) {
  const std::vector<float> c(5 * 4, 3.5f);
  for (const auto& out : {resample_bilinear(c, 5, 4, 13, 7), resample_nearest(c, 5, 4, 13, 7),
                          resample_bilinear(c, 5, 4, 2, 3), resample_nearest(c, 5, 4, 2, 3)})
    for (float v : out) EXPECT_EQ(v, 3.5f);
  EXPECT_EQ(resample_bilinear(c, 5, 4, 13, 7).size(), 13u * 7u);
}

TEST(Resample, BilinearReproducesLinearRamp) {
  // v(x, y) = 2 x + 10 y on 4 x 3, doubled: output (x, y) samples source (0.5 x - 0.25, 0.5 y - 0.25),
  // clamped to [0, 3] x [0, 2]; a linear function is reproduced exactly.
  std::vector<float> src;
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) src.push_back(static_cast<float>(2 * x + 10 * y));
  const std::vector<float> out = resample_bilinear(src, 4, 3, 8, 6);
  ASSERT_EQ(out.size(), 48u);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x) {
      const double sx = std::clamp(0.5 * x - 0.25, 0.0, 3.0), sy = std::clamp(0.5 * y - 0.25, 0.0, 2.0);
      EXPECT_NEAR(out[y * 8 + x], 2 * sx + 10 * sy, 1e-5) << x << "," << y;
    }
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 0.5f);
  EXPECT_FLOAT_EQ(out[47], 26.0f);
}

TEST(Resample, NearestReplicatesAndPicks) {
  std::vector<float> src;
  for (int i = 0; i < 12; ++i) src.push_back(static_cast<float>(i));  // 4 x 3
  const std::vector<float> up = resample_nearest(src, 4, 3, 8, 6);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x) EXPECT_EQ(up[y * 8 + x], src[(y / 2) * 4 + x / 2]);
  const std::vector<float> down = resample_nearest(src, 4, 3, 2, 3);  // columns 1 and 3
  EXPECT_EQ(down, (std::vector<float>{1, 3, 5, 7, 9, 11}));
}

TEST(Resample, NaNAndErrors) {
  const std::vector<float> out = resample_bilinear({1.0f, kNaN}, 2, 1, 4, 1);
  EXPECT_EQ(out[0], 1.0f);  // lies on the first centre: the NaN has weight 0
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_TRUE(std::isnan(out[3]));
  EXPECT_THROW(resample_bilinear({1, 2, 3}, 2, 2, 4, 4), InputError);
  EXPECT_THROW(resample_nearest({1, 2, 3, 4}, 2, 2, 0, 4), InputError);
}

// ---- panel figure -----------------------------------------------------------------------------

TEST(PanelFigure, SizeNaNGreyColoursAndText) {
  const std::vector<Panel> panels = sample_panels();
  const ImageRGBA img = render_panel_figure(panels, 2, "Pixel maps, slice 3", 64);
  // cell 64 + 126 = 190 wide, 26 + 64 + 10 = 100 high; 2 columns, 2 rows; margins 12; title 40.
  EXPECT_EQ(img.width, 12 + 2 * (190 + 12));
  EXPECT_EQ(img.height, 40 + 2 * 100 + 12);
  ASSERT_EQ(img.pixels.size(), 4u * img.width * img.height);
  const PanelFigureLayout L = panel_figure_layout(3, 2, 64);
  EXPECT_EQ(L.width, img.width);
  EXPECT_EQ(L.height, img.height);

  // Panel 0: 4 x 4 upscaled x16 into the square at (12, 66); NaN at map (1, 2).
  const PanelPlacement pl = panel_placement(L, 0, 4, 4);
  EXPECT_EQ(pl.x, 12);
  EXPECT_EQ(pl.y, 66);
  EXPECT_EQ(pl.width, 64);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) expect_rgba(img.at(pl.x + 16 + x, pl.y + 32 + y), 128, 128, 128, 255);
  // Map (3, 0) = 3 in the range [0, 15].
  EXPECT_EQ(img.at(pl.x + 3 * 16 + 8, pl.y + 8), colormap_lookup(Colormap::Viridis, 3.0 / 15.0));
  // Panel 1: 8 x 4 drawn 64 x 32, centred vertically: rows 16..47 of its square.
  const PanelPlacement p1 = panel_placement(L, 1, 8, 4);
  EXPECT_EQ(p1.width, 64);
  EXPECT_EQ(p1.height, 32);
  EXPECT_EQ(p1.y, L.square_y(1) + 16);
  EXPECT_EQ(img.at(p1.x + 7 * 8 + 4, p1.y + 4), colormap_lookup(Colormap::Hot, 1.0));
  expect_rgba(img.at(p1.x + 20, L.square_y(1) + 4), 255, 255, 255, 255);  // above the drawn map
  // Colour bar of panel 2 (jet): top row is the high end, bottom row the low end.
  const int bx = L.bar_x(2) + L.bar_width / 2;
  EXPECT_EQ(img.at(bx, L.square_y(2)), colormap_lookup(Colormap::Jet, 1.0 - 0.5 / 64));
  EXPECT_EQ(img.at(bx, L.square_y(2) + 63), colormap_lookup(Colormap::Jet, 0.5 / 64));

  auto count_dark = [&](int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) {
        const RGBA c = img.at(x, y);
        if (c.r < 100 && c.g < 100 && c.b < 100) ++n;
      }
    return n;
  };
  EXPECT_GT(count_dark(0, 0, img.width, L.title_height), 50);                                  // figure title
  EXPECT_GT(count_dark(L.cell_x(0), L.cell_y(0), L.cell_x(0) + 64, L.square_y(0) - 2), 10);   // "kb"
  const int label_x = L.bar_x(0) + L.bar_width + 2;
  EXPECT_GT(count_dark(label_x + 6, L.square_y(0) - 6, L.cell_x(0) + L.cell_width - 24, L.square_y(0) + 8), 5);
  // The units: drawing them changes only pixels right of the tick marks, inside cell 0.
  std::vector<Panel> no_units = panels;
  no_units[0].units.clear();
  const ImageRGBA img2 = render_panel_figure(no_units, 2, "Pixel maps, slice 3", 64);
  int changed = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (img.at(x, y) != img2.at(x, y)) {
        ++changed;
        EXPECT_GT(x, L.bar_x(0) + L.bar_width + 5);
        EXPECT_LT(x, L.cell_x(0) + L.cell_width);
        EXPECT_GE(y, L.square_y(0));
        EXPECT_LT(y, L.square_y(0) + 64);
      }
  EXPECT_GT(changed, 20);
  // The unused fourth cell and the corners stay white and opaque.
  expect_rgba(img.at(L.cell_x(3) + 30, L.square_y(3) + 30), 255, 255, 255, 255);
  expect_rgba(img.at(0, img.height - 1), 255, 255, 255, 255);
  expect_rgba(img.at(img.width - 1, 0), 255, 255, 255, 255);
}

TEST(PanelFigure, Errors) {
  std::vector<Panel> panels = sample_panels();
  panels[1].values.pop_back();
  try {
    render_panel_figure(panels, 2, "t", 64);
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'A0'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(render_panel_figure({}, 2, "t", 64), InputError);
  EXPECT_THROW(render_panel_figure(sample_panels(), 0, "t", 64), InputError);
  EXPECT_THROW(render_panel_figure(sample_panels(), 1, "t", 4), InputError);
  EXPECT_THROW(panel_figure_layout(3, 3, 20000), InputError);
  EXPECT_EQ(panel_figure_layout(3, 5, 64).columns, 3);
}

// ---- PNG --------------------------------------------------------------------------------------

TEST(PngWriter, WriteAndReadBackEqualPixels) {
  TempDir dir;
  const ImageRGBA img = pattern_image(7, 5);
  const std::string path = (dir.path / "pattern.png").string();
  io::write_png(path, img);
  int w = 0, h = 0;
  const std::vector<std::uint8_t> back = read_png_rgba(path, w, h);
  EXPECT_EQ(w, 7);
  EXPECT_EQ(h, 5);
  EXPECT_EQ(back, img.pixels);
  // Atomic: nothing but the final file in the folder.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "pattern.png");
  }
  EXPECT_EQ(entries, 1);

  const ImageRGBA fig = render_panel_figure(sample_panels(), 2, "figure", 32);
  const std::string fig_path = (dir.path / "fig.png").string();
  io::write_png(fig_path, fig);
  const std::vector<std::uint8_t> fig_back = read_png_rgba(fig_path, w, h);
  EXPECT_EQ(w, fig.width);
  EXPECT_EQ(h, fig.height);
  EXPECT_EQ(fig_back, fig.pixels);
}

TEST(PngWriter, Errors) {
  TempDir dir;
  const std::string missing = (dir.path / "no_such_folder" / "x.png").string();
  try {
    io::write_png(missing, pattern_image(2, 2));
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_THROW(io::write_png((dir.path / "e.png").string(), ImageRGBA()), InputError);
  ImageRGBA bad = pattern_image(2, 2);
  bad.pixels.pop_back();
  EXPECT_THROW(io::write_png((dir.path / "b.png").string(), bad), InputError);
  EXPECT_TRUE(fs::is_empty(dir.path));
}

// ---- files for tests/python/test_viz_colormaps.py ---------------------------------------------

TEST(VizExport, WriteFilesForPython) {
  const char* out = std::getenv("VOXFLOW_VIZ_EXPORT_DIR");
  if (!out) GTEST_SKIP() << "VOXFLOW_VIZ_EXPORT_DIR not set (run by test_viz_colormaps.py)";
  const fs::path dir(out);
  // colormap_lookup at the five probe points and at the centre of every 1/256 bin.
  std::ofstream table(dir / "colormap_table.txt");
  table.precision(17);
  for (const std::string& name : colormap_names()) {
    const Colormap c = parse_colormap(name);
    std::vector<double> xs = {0.0, 0.25, 0.5, 0.75, 1.0};
    for (int i = 0; i < 256; ++i) xs.push_back((i + 0.5) / 256.0);
    for (double x : xs) {
      const RGBA p = colormap_lookup(c, x);
      table << name << ' ' << x << ' ' << int(p.r) << ' ' << int(p.g) << ' ' << int(p.b) << ' ' << int(p.a) << '\n';
    }
  }
  table.close();
  ASSERT_TRUE(table);
  io::write_png((dir / "pattern.png").string(), pattern_image(7, 5));
  const PanelFigureLayout L = panel_figure_layout(3, 2, 64);
  io::write_png((dir / "panels.png").string(), render_panel_figure(sample_panels(), 2, "Pixel maps", 64));
  const PanelPlacement pl = panel_placement(L, 0, 4, 4);
  std::ofstream geo(dir / "panels.txt");  // width height x0 y0 x1 y1 of the NaN block
  geo << L.width << ' ' << L.height << ' ' << pl.x + 16 << ' ' << pl.y + 32 << ' ' << pl.x + 32 << ' '
      << pl.y + 48 << '\n';
  geo.close();
  ASSERT_TRUE(geo);
}
