// Bar chart with error bars, drawn with cairo (through the shared CairoCanvas).
#include "src/viz/bar_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "src/core/error.hpp"
#include "src/viz/cairo_canvas.hpp"

namespace voxflow::viz {
namespace {
constexpr int kLeft = 90, kRight = 20, kTop = 40, kBottom = 70;
std::string tick3(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", std::fabs(v) < 1e-300 ? 0.0 : v);
  return b;
}
}  // namespace

ImageRGBA render_bar_chart(const BarChart& c) {
  if (c.bars.empty()) throw InputError("a bar chart needs at least one bar");
  double lo = 0.0, hi = 0.0;
  bool any = false;
  for (const auto& b : c.bars) {
    if (!std::isfinite(b.value)) continue;
    const double e = std::isfinite(b.error) && b.error > 0 ? b.error : 0.0;
    lo = std::min(lo, b.value - e);
    hi = std::max(hi, b.value + e);
    any = true;
  }
  if (!any) throw InputError("a bar chart needs at least one finite value");
  if (hi <= lo) hi = lo + 1.0;
  const long long w = kLeft + static_cast<long long>(c.bars.size()) * c.bar_pixels + kRight;
  const long long h = kTop + static_cast<long long>(c.plot_height) + kBottom;
  if (w > detail::kCairoMax || h > detail::kCairoMax) throw InputError("bar chart of " + std::to_string(w) + " x " + std::to_string(h) + " pixels is too large");
  detail::CairoCanvas canvas(static_cast<int>(w), static_cast<int>(h), RGBA{255, 255, 255, 255});
  cairo_t* cr = canvas.cr();
  const double y0 = kTop, y1 = kTop + c.plot_height;  // top and bottom of the plot area
  auto ypix = [&](double v) { return y1 - (v - lo) / (hi - lo) * (y1 - y0); };

  detail::draw_text(cr, c.title, w / 2.0, kTop / 2.0, detail::TextAlign::Centre, 14, true, w - 10.0);
  // axes and ticks
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1.0);
  cairo_move_to(cr, kLeft - 0.5, y0);
  cairo_line_to(cr, kLeft - 0.5, y1 + 0.5);
  cairo_line_to(cr, w - kRight, y1 + 0.5);
  cairo_stroke(cr);
  for (int i = 0; i <= 4; ++i) {
    const double v = lo + (hi - lo) * i / 4.0;
    const double y = std::round(ypix(v)) + 0.5;
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, kLeft - 5, y);
    cairo_line_to(cr, kLeft - 1, y);
    cairo_stroke(cr);
    detail::draw_text(cr, tick3(v), 30, y, detail::TextAlign::Left, 11, false, kLeft - 36.0);
  }
  detail::draw_text_upwards(cr, c.y_label, 12, (y0 + y1) / 2, 12, c.plot_height);
  detail::draw_text(cr, c.x_label, kLeft + (w - kLeft - kRight) / 2.0, h - 15, detail::TextAlign::Centre, 12, false,
                    w - kLeft - kRight);
  // bars
  const double base = ypix(std::max(lo, 0.0));
  for (size_t i = 0; i < c.bars.size(); ++i) {
    const Bar& b = c.bars[i];
    const double x = kLeft + static_cast<double>(i) * c.bar_pixels;
    const double cx = x + c.bar_pixels / 2.0;
    detail::draw_text(cr, b.label, cx, y1 + 15, detail::TextAlign::Centre, 11, false, c.bar_pixels - 2.0);
    if (!std::isfinite(b.value)) continue;
    const double top = ypix(b.value);
    cairo_rectangle(cr, x + 0.2 * c.bar_pixels, std::min(top, base), 0.6 * c.bar_pixels, std::fabs(base - top));
    cairo_set_source_rgb(cr, 33 / 255.0, 145 / 255.0, 140 / 255.0);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_stroke(cr);
    if (std::isfinite(b.error) && b.error > 0) {
      const double ya = ypix(b.value - b.error), yb = ypix(b.value + b.error);
      cairo_move_to(cr, cx, ya);
      cairo_line_to(cr, cx, yb);
      cairo_move_to(cr, cx - 6, ya);
      cairo_line_to(cr, cx + 6, ya);
      cairo_move_to(cr, cx - 6, yb);
      cairo_line_to(cr, cx + 6, yb);
      cairo_stroke(cr);
    }
  }
  return canvas.to_image();
}

}  // namespace voxflow::viz
