#include "src/viz/panel_figure.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "src/core/error.hpp"
#include "src/viz/cairo_canvas.hpp"
#include "src/viz/resample.hpp"

namespace voxflow::viz {
namespace {

// Fixed geometry (pixels). The colour bar's own widths live in cairo_canvas.hpp (shared with
// the overlay's colour bar).
constexpr int kMargin = 12;
constexpr int kTitleHeight = 40;
constexpr int kPanelTitleHeight = 26;
constexpr int kBottomPad = 10;
constexpr int kBarGap = 10;

constexpr double kTitleFont = 18.0;
constexpr double kPanelTitleFont = 14.0;

const RGBA kNanGrey{128, 128, 128, 255};

using detail::kBarWidth;
using detail::kColorbarWidth;

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
  l.cell_width = panel_pixels + kBarGap + kColorbarWidth;
  l.cell_height = kPanelTitleHeight + panel_pixels + kBottomPad;
  const long long w = kMargin + static_cast<long long>(l.columns) * (l.cell_width + kMargin);
  const long long h = kTitleHeight + static_cast<long long>(l.rows) * l.cell_height + kMargin;
  if (w > detail::kCairoMax || h > detail::kCairoMax)
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
  detail::CairoCanvas canvas(L.width, L.height, RGBA{255, 255, 255, 255});
  cairo_t* cr = canvas.cr();

  // 1. Map pixels straight into the surface's memory.
  canvas.begin_pixels();
  for (std::size_t n = 0; n < panels.size(); ++n) {
    const Panel& pan = panels[n];
    const PanelPlacement pl = panel_placement(L, static_cast<int>(n), pan.width, pan.height);
    const std::vector<float> up = resample_nearest(pan.values, pan.width, pan.height, pl.width, pl.height);
    for (int y = 0; y < pl.height; ++y)
      for (int x = 0; x < pl.width; ++x) {
        const float v = up[static_cast<std::size_t>(y) * static_cast<std::size_t>(pl.width) + static_cast<std::size_t>(x)];
        const RGBA c = std::isnan(v) ? kNanGrey : colormap_lookup(pan.cmap, normalize(v, pan.range));
        canvas.put_pixel(pl.x + x, pl.y + y, c);
      }
  }
  canvas.end_pixels();

  // 2. Frames, titles and colour bars (bar, ticks, labels, units) with cairo.
  cairo_set_line_width(cr, 1.0);
  detail::draw_text(cr, title, L.width / 2.0, L.title_height / 2.0, detail::TextAlign::Centre, kTitleFont, true,
                    L.width - 2.0 * L.margin);
  for (std::size_t n = 0; n < panels.size(); ++n) {
    const Panel& pan = panels[n];
    const int i = static_cast<int>(n);
    const PanelPlacement pl = panel_placement(L, i, pan.width, pan.height);
    cairo_set_line_width(cr, 1.0);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_rectangle(cr, pl.x - 0.5, pl.y - 0.5, pl.width + 1.0, pl.height + 1.0);
    cairo_stroke(cr);
    detail::draw_text(cr, pan.title, L.square_x(i) + P / 2.0, L.cell_y(i) + L.panel_title_height / 2.0,
                      detail::TextAlign::Centre, kPanelTitleFont, true, L.cell_width);
    detail::draw_colorbar(canvas, L.bar_x(i), L.square_y(i), P, pan.cmap, pan.range, pan.units,
                          L.cell_x(i) + L.cell_width);
  }

  // 3. Premultiplied native-endian ARGB32 -> straight RGBA bytes.
  ImageRGBA img = canvas.to_image();
  return img;
}

}  // namespace voxflow::viz
