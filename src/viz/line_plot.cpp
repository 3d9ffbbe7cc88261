// x-y line plot, drawn with cairo (through the shared CairoCanvas).
#include "src/viz/line_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "src/core/error.hpp"
#include "src/viz/cairo_canvas.hpp"

namespace voxflow::viz {
namespace {
constexpr int kLeft = 80, kRight = 20, kTop = 60, kBottom = 55;
std::string tick3(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", std::fabs(v) < 1e-12 ? 0.0 : v);
  return b;
}
}  // namespace

ImageRGBA render_line_plot(const LinePlot& p) {
  if (p.width < 200 || p.height < 200 || p.width > detail::kCairoMax || p.height > detail::kCairoMax)
    throw InputError("a line plot needs a size within [200, 32767] pixels");
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : p.series) {
    if (s.x.size() != s.y.size()) throw InputError("a plot series needs as many x as y values");
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        x0 = std::min(x0, s.x[i]);
        x1 = std::max(x1, s.x[i]);
        y0 = std::min(y0, s.y[i]);
        y1 = std::max(y1, s.y[i]);
      }
  }
  if (!std::isfinite(x0)) throw InputError("a line plot needs at least one finite point");
  if (y0 >= 0.0) y0 = 0.0;
  if (x1 <= x0) x1 = x0 + 1.0;
  if (y1 <= y0) y1 = y0 + 1.0;
  y1 += 0.05 * (y1 - y0);
  detail::CairoCanvas canvas(p.width, p.height, RGBA{255, 255, 255, 255});
  cairo_t* cr = canvas.cr();
  const double L = kLeft, R = p.width - kRight, T = kTop, B = p.height - kBottom;
  auto X = [&](double x) { return L + (x - x0) / (x1 - x0) * (R - L); };
  auto Y = [&](double y) { return B - (y - y0) / (y1 - y0) * (B - T); };
  detail::draw_text(cr, p.title, p.width / 2.0, 16, detail::TextAlign::Centre, 14, true, p.width - 10.0);
  // legend
  double lx = L;
  for (const auto& s : p.series) {
    cairo_set_source_rgb(cr, s.colour.r / 255.0, s.colour.g / 255.0, s.colour.b / 255.0);
    cairo_set_line_width(cr, 2.5);
    cairo_move_to(cr, lx, 38);
    cairo_line_to(cr, lx + 24, 38);
    cairo_stroke(cr);
    lx += 30 + detail::draw_text(cr, s.name, lx + 30, 38, detail::TextAlign::Left, 12, false, 260) + 20;
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1.0);
  cairo_move_to(cr, L - 0.5, T);
  cairo_line_to(cr, L - 0.5, B + 0.5);
  cairo_line_to(cr, R, B + 0.5);
  cairo_stroke(cr);
  for (int i = 0; i <= 4; ++i) {
    const double yv = y0 + (y1 - y0) * i / 4.0, xv = x0 + (x1 - x0) * i / 4.0;
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, L - 5, std::round(Y(yv)) + 0.5);
    cairo_line_to(cr, L - 1, std::round(Y(yv)) + 0.5);
    cairo_move_to(cr, std::round(X(xv)) + 0.5, B + 1);
    cairo_line_to(cr, std::round(X(xv)) + 0.5, B + 5);
    cairo_stroke(cr);
    detail::draw_text(cr, tick3(yv), 28, Y(yv), detail::TextAlign::Left, 11, false, L - 34.0);
    detail::draw_text(cr, tick3(xv), X(xv), B + 15, detail::TextAlign::Centre, 11, false, 60);
  }
  detail::draw_text_upwards(cr, p.y_label, 12, (T + B) / 2, 12, B - T);
  detail::draw_text(cr, p.x_label, (L + R) / 2, p.height - 14, detail::TextAlign::Centre, 12, false, R - L);
  for (const auto& m : p.markers) {
    if (!std::isfinite(m.x)) continue;
    const double xm = X(std::clamp(m.x, x0, x1));
    cairo_set_source_rgb(cr, m.colour.r / 255.0, m.colour.g / 255.0, m.colour.b / 255.0);
    const double dash[2] = {6.0, 4.0};
    cairo_set_dash(cr, dash, 2, 0.0);
    cairo_set_line_width(cr, 1.5);
    cairo_move_to(cr, xm, T);
    cairo_line_to(cr, xm, B);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0.0);
    detail::draw_text(cr, m.label, std::clamp(xm, L + 80, R - 80), T - 6, detail::TextAlign::Centre, 11, false, 200);
  }
  cairo_save(cr);
  cairo_rectangle(cr, L, T, R - L, B - T);
  cairo_clip(cr);
  for (const auto& s : p.series) {
    cairo_set_source_rgb(cr, s.colour.r / 255.0, s.colour.g / 255.0, s.colour.b / 255.0);
    cairo_set_line_width(cr, 2.0);
    bool pen = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!(std::isfinite(s.x[i]) && std::isfinite(s.y[i]))) {
        pen = false;
        continue;
      }
      if (pen)
        cairo_line_to(cr, X(s.x[i]), Y(s.y[i]));
      else
        cairo_move_to(cr, X(s.x[i]), Y(s.y[i]));
      pen = true;
    }
    cairo_stroke(cr);
  }
  cairo_restore(cr);
  return canvas.to_image();
}

}  // namespace voxflow::viz
