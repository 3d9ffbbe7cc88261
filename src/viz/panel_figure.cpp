#include "src/viz/panel_figure.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "src/core/error.hpp"
#include "src/viz/resample.hpp"

namespace voxflow::viz {
namespace {

// Fixed geometry (pixels). The tick-label column fits "%.4g" numbers such as -1.235e+04 at 11 px.
constexpr int kMargin = 12;
constexpr int kTitleHeight = 40;
constexpr int kPanelTitleHeight = 26;
constexpr int kBottomPad = 10;
constexpr int kBarGap = 10;
constexpr int kBarWidth = 18;
constexpr int kTickLength = 5;
constexpr int kLabelGap = 3;
constexpr int kLabelWidth = 66;
constexpr int kUnitsWidth = 24;
constexpr int kCairoMax = 32767;

constexpr double kTitleFont = 18.0;
constexpr double kPanelTitleFont = 14.0;
constexpr double kTickFont = 11.0;
constexpr double kUnitsFont = 12.0;
constexpr double kMinFont = 6.0;
constexpr double kHalfPi = 1.57079632679489661923;

const RGBA kNanGrey{128, 128, 128, 255};

struct CairoSurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

enum class Align { Left, Centre };

// Draws `text` with its vertical centre (between ascent and descent) at cy, starting at x (Left) or
// centred on x (Centre); the font shrinks until the text fits max_width. Returns the drawn width.
double draw_text(cairo_t* cr, const std::string& text, double x, double cy, Align align, double size,
               bool bold, double max_width) {
  if (text.empty()) return 0.0;
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t te;
  cairo_text_extents(cr, text.c_str(), &te);
  if (te.x_advance > max_width && te.x_advance > 0) {
    size = std::max(kMinFont, size * max_width / te.x_advance);
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, text.c_str(), &te);
  }
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  const double left = align == Align::Left ? x : x - te.x_advance / 2.0;
  cairo_move_to(cr, left, cy + (fe.ascent - fe.descent) / 2.0);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_show_text(cr, text.c_str());
  return te.x_advance;
}

// Same, rotated to read upwards (bottom to top), centred on (cx, cy).
void draw_text_upwards(cairo_t* cr, const std::string& text, double cx, double cy, double size,
                       double max_length) {
  if (text.empty()) return;
  cairo_save(cr);
  cairo_translate(cr, cx, cy);
  cairo_rotate(cr, -kHalfPi);
  draw_text(cr, text, 0.0, 0.0, Align::Centre, size, false, max_length);
  cairo_restore(cr);
}

std::string tick_label(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// Writes an opaque colour into a cairo ARGB32 surface's memory (native-endian 0xAARRGGBB words;
// opaque, so premultiplication changes nothing).
void put_pixel(unsigned char* data, int stride, int x, int y, RGBA c) {
  auto* row = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
  row[x] = (0xFFu << 24) | (std::uint32_t{c.r} << 16) | (std::uint32_t{c.g} << 8) | std::uint32_t{c.b};
}

void check_panel(const Panel& p, std::size_t index) {
  const std::string name = p.title.empty() ? "panel " + std::to_string(index) : "panel '" + p.title + "'";
  if (p.width <= 0 || p.height <= 0 ||
      p.values.size() != static_cast<std::size_t>(p.width) * static_cast<std::size_t>(p.height))
    throw InputError(name + ": " + std::to_string(p.values.size()) + " values for a " +
                     std::to_string(p.width) + " x " + std::to_string(p.height) + " map");
}

}  // namespace

PanelFigureLayout panel_figure_layout(int n_panels, int columns, int panel_pixels) {
  if (n_panels < 1) throw InputError("a panel figure needs at least one panel");
  if (columns < 1) throw InputError("a panel figure needs at least one column, got " + std::to_string(columns));
  if (panel_pixels < 8) throw InputError("panel size " + std::to_string(panel_pixels) + " px is below 8 px");
  PanelFigureLayout l;
  l.columns = std::min(columns, n_panels);
  l.rows = (n_panels + l.columns - 1) / l.columns;
  l.panel_pixels = panel_pixels;
  l.margin = kMargin;
  l.title_height = kTitleHeight;
  l.panel_title_height = kPanelTitleHeight;
  l.bar_gap = kBarGap;
  l.bar_width = kBarWidth;
  l.cell_width = panel_pixels + kBarGap + kBarWidth + kTickLength + kLabelGap + kLabelWidth + kUnitsWidth;
  l.cell_height = kPanelTitleHeight + panel_pixels + kBottomPad;
  const long long w = kMargin + static_cast<long long>(l.columns) * (l.cell_width + kMargin);
  const long long h = kTitleHeight + static_cast<long long>(l.rows) * l.cell_height + kMargin;
  if (w > kCairoMax || h > kCairoMax)
    throw InputError("panel figure of " + std::to_string(w) + " x " + std::to_string(h) +
                     " pixels exceeds 32767; use fewer panels per row or smaller panels");
  l.width = static_cast<int>(w);
  l.height = static_cast<int>(h);
  return l;
}

PanelPlacement panel_placement(const PanelFigureLayout& layout, int index, int map_width, int map_height) {
  const int p = layout.panel_pixels;
  const int longest = std::max(map_width, map_height);
  PanelPlacement pl;
  pl.width = std::max(1, static_cast<int>(std::lround(static_cast<double>(map_width) * p / longest)));
  pl.height = std::max(1, static_cast<int>(std::lround(static_cast<double>(map_height) * p / longest)));
  pl.x = layout.square_x(index) + (p - pl.width) / 2;
  pl.y = layout.square_y(index) + (p - pl.height) / 2;
  return pl;
}

ImageRGBA render_panel_figure(const std::vector<Panel>& panels, int columns, const std::string& title,
                              int panel_pixels) {
  for (std::size_t i = 0; i < panels.size(); ++i) check_panel(panels[i], i);
  const PanelFigureLayout L = panel_figure_layout(static_cast<int>(panels.size()), columns, panel_pixels);
  const int P = L.panel_pixels;

  std::unique_ptr<cairo_surface_t, CairoSurfaceDeleter> surface(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, L.width, L.height));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    throw InternalError(std::string("cairo surface: ") + cairo_status_to_string(cairo_surface_status(surface.get())));
  std::unique_ptr<cairo_t, CairoDeleter> ctx(cairo_create(surface.get()));
  cairo_t* cr = ctx.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  // 1. Pixel blocks (maps and colour bars) straight into the surface's memory.
  cairo_surface_flush(surface.get());
  unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  for (std::size_t n = 0; n < panels.size(); ++n) {
    const Panel& pan = panels[n];
    const int i = static_cast<int>(n);
    const PanelPlacement pl = panel_placement(L, i, pan.width, pan.height);
    const std::vector<float> up = resample_nearest(pan.values, pan.width, pan.height, pl.width, pl.height);
    for (int y = 0; y < pl.height; ++y)
      for (int x = 0; x < pl.width; ++x) {
        const float v = up[static_cast<std::size_t>(y) * static_cast<std::size_t>(pl.width) + static_cast<std::size_t>(x)];
        const RGBA c = std::isnan(v) ? kNanGrey : colormap_lookup(pan.cmap, normalize(v, pan.range));
        put_pixel(data, stride, pl.x + x, pl.y + y, c);
      }
    const int bx = L.bar_x(i), by = L.square_y(i);
    for (int y = 0; y < P; ++y) {
      const RGBA c = colormap_lookup(pan.cmap, 1.0 - (y + 0.5) / P);
      for (int x = 0; x < L.bar_width; ++x) put_pixel(data, stride, bx + x, by + y, c);
    }
  }
  cairo_surface_mark_dirty(surface.get());

  // 2. Lines and text with cairo.
  cairo_set_line_width(cr, 1.0);
  draw_text(cr, title, L.width / 2.0, L.title_height / 2.0, Align::Centre, kTitleFont, true, L.width - 2.0 * L.margin);
  for (std::size_t n = 0; n < panels.size(); ++n) {
    const Panel& pan = panels[n];
    const int i = static_cast<int>(n);
    const PanelPlacement pl = panel_placement(L, i, pan.width, pan.height);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_rectangle(cr, pl.x - 0.5, pl.y - 0.5, pl.width + 1.0, pl.height + 1.0);
    cairo_stroke(cr);

    draw_text(cr, pan.title, L.square_x(i) + P / 2.0, L.cell_y(i) + L.panel_title_height / 2.0, Align::Centre,
              kPanelTitleFont, true, L.cell_width);

    const int bx = L.bar_x(i), by = L.square_y(i);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, bx - 0.5, by - 0.5, L.bar_width + 1.0, P + 1.0);
    cairo_stroke(cr);
    const double tick_x0 = bx + L.bar_width + 0.5;
    const double label_x = tick_x0 + kTickLength + kLabelGap;
    double mid = 0.5 * (pan.range.lo + pan.range.hi);
    if (std::abs(mid) <= 1e-6 * std::abs(pan.range.hi - pan.range.lo)) mid = 0.0;  // print 0, not 2.9e-09
    const double values[3] = {pan.range.hi, mid, pan.range.lo};
    const double ys[3] = {by + 0.0, by + std::floor(P / 2.0), by + static_cast<double>(P - 1)};
    double widest = 0.0;
    for (int k = 0; k < 3; ++k) {
      cairo_set_source_rgb(cr, 0, 0, 0);
      cairo_move_to(cr, tick_x0, ys[k] + 0.5);
      cairo_line_to(cr, tick_x0 + kTickLength, ys[k] + 0.5);
      cairo_stroke(cr);
      widest = std::max(widest, draw_text(cr, tick_label(values[k]), label_x, ys[k] + 0.5, Align::Left,
                                          kTickFont, false, kLabelWidth));
    }
    // Units read upwards just right of the widest tick label (within the cell).
    const double units_cx = std::min(label_x + widest + 4.0 + kUnitsFont / 2.0,
                                     L.cell_x(i) + L.cell_width - kUnitsWidth / 2.0);
    draw_text_upwards(cr, pan.units, units_cx, by + P / 2.0, kUnitsFont, P);
  }
  cairo_surface_flush(surface.get());
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    throw InternalError(std::string("cairo drawing: ") + cairo_status_to_string(cairo_status(cr)));

  // 3. Premultiplied native-endian ARGB32 -> straight RGBA bytes.
  ImageRGBA img(L.width, L.height);
  for (int y = 0; y < L.height; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
    for (int x = 0; x < L.width; ++x) {
      const std::uint32_t p = row[x];
      const unsigned a = p >> 24, r = (p >> 16) & 0xFFu, g = (p >> 8) & 0xFFu, b = p & 0xFFu;
      RGBA c{0, 0, 0, 0};
      if (a == 255) {
        c = RGBA{static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(g), static_cast<std::uint8_t>(b), 255};
      } else if (a > 0) {
        c = RGBA{static_cast<std::uint8_t>(std::min(255u, (r * 255 + a / 2) / a)),
                 static_cast<std::uint8_t>(std::min(255u, (g * 255 + a / 2) / a)),
                 static_cast<std::uint8_t>(std::min(255u, (b * 255 + a / 2) / a)), static_cast<std::uint8_t>(a)};
      }
      const std::size_t o = img.offset(x, y);
      img.pixels[o] = c.r;
      img.pixels[o + 1] = c.g;
      img.pixels[o + 2] = c.b;
      img.pixels[o + 3] = c.a;
    }
  }
  return img;
}

}  // namespace voxflow::viz
