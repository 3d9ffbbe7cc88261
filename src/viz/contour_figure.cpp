// Grey images with contour lines, drawn with cairo (through the shared CairoCanvas).
#include "src/viz/contour_figure.hpp"

#include <algorithm>
#include <cmath>

#include "src/core/error.hpp"
#include "src/viz/cairo_canvas.hpp"

namespace voxflow::viz {
namespace {
constexpr int kMargin = 12, kTitle = 34, kLegend = 22, kImageTitle = 20;
}

ImageRGBA render_contour_figure(const ContourFigure& f) {
  if (f.images.empty()) throw InputError("a contour figure needs at least one image");
  if (f.columns < 1 || f.scale < 1) throw InputError("a contour figure needs columns >= 1 and scale >= 1");
  if (!(f.window_hi > f.window_lo)) throw InputError("a contour figure needs window_hi > window_lo");
  int cw = 0, ch = 0;
  for (const auto& im : f.images) {
    if (im.width < 1 || im.height < 1 || im.values.size() != static_cast<size_t>(im.width) * static_cast<size_t>(im.height))
      throw InputError("a contour image needs width * height values");
    cw = std::max(cw, im.width * f.scale);
    ch = std::max(ch, im.height * f.scale);
  }
  const int cols = std::min<int>(f.columns, static_cast<int>(f.images.size()));
  const int rows = static_cast<int>((f.images.size() + static_cast<size_t>(cols) - 1) / static_cast<size_t>(cols));
  const long long W = kMargin + static_cast<long long>(cols) * (cw + kMargin);
  const long long H = kTitle + kLegend + static_cast<long long>(rows) * (ch + kImageTitle + kMargin) + kMargin;
  if (W > detail::kCairoMax || H > detail::kCairoMax) throw InputError("the contour figure would be too large");
  detail::CairoCanvas canvas(static_cast<int>(W), static_cast<int>(H), RGBA{255, 255, 255, 255});
  cairo_t* cr = canvas.cr();
  detail::draw_text(cr, f.title, W / 2.0, kTitle / 2.0, detail::TextAlign::Centre, 15, true, W - 10.0);
  double lx = kMargin;
  for (const auto& [name, col] : f.legend) {
    cairo_set_source_rgb(cr, col.r / 255.0, col.g / 255.0, col.b / 255.0);
    cairo_set_line_width(cr, 3.0);
    cairo_move_to(cr, lx, kTitle + kLegend / 2.0);
    cairo_line_to(cr, lx + 24, kTitle + kLegend / 2.0);
    cairo_stroke(cr);
    lx += 30 + detail::draw_text(cr, name, lx + 30, kTitle + kLegend / 2.0, detail::TextAlign::Left, 12, false, 300) + 20;
  }
  for (size_t n = 0; n < f.images.size(); ++n) {
    const ContourImage& im = f.images[n];
    const int x0 = kMargin + static_cast<int>(n % static_cast<size_t>(cols)) * (cw + kMargin);
    const int y0 = kTitle + kLegend + static_cast<int>(n / static_cast<size_t>(cols)) * (ch + kImageTitle + kMargin) + kImageTitle;
    detail::draw_text(cr, im.title, x0 + im.width * f.scale / 2.0, y0 - kImageTitle / 2.0, detail::TextAlign::Centre, 12,
                      false, cw);
    canvas.begin_pixels();
    for (int r = 0; r < im.height; ++r)
      for (int c = 0; c < im.width; ++c) {
        const float v = im.values[static_cast<size_t>(r) * static_cast<size_t>(im.width) + static_cast<size_t>(c)];
        RGBA px{40, 50, 70, 255};
        if (std::isfinite(v)) {
          const double g = std::clamp((v - f.window_lo) / (f.window_hi - f.window_lo), 0.0, 1.0);
          const auto u = static_cast<std::uint8_t>(std::lround(255.0 * g));
          px = RGBA{u, u, u, 255};
        }
        for (int dy = 0; dy < f.scale; ++dy)
          for (int dx = 0; dx < f.scale; ++dx) canvas.put_pixel(x0 + c * f.scale + dx, y0 + r * f.scale + dy, px);
      }
    canvas.end_pixels();
    cairo_save(cr);
    cairo_rectangle(cr, x0, y0, im.width * f.scale, im.height * f.scale);
    cairo_clip(cr);
    cairo_set_line_width(cr, 2.0);
    for (const auto& line : im.lines) {
      cairo_set_source_rgb(cr, line.colour.r / 255.0, line.colour.g / 255.0, line.colour.b / 255.0);
      bool pen = false;
      for (const auto& [x, y] : line.xy) {
        if (!(std::isfinite(x) && std::isfinite(y))) {
          pen = false;
          continue;
        }
        const double X = x0 + x * f.scale, Y = y0 + y * f.scale;
        if (pen)
          cairo_line_to(cr, X, Y);
        else
          cairo_move_to(cr, X, Y);
        pen = true;
      }
      if (line.closed && pen) cairo_close_path(cr);
      cairo_stroke(cr);
    }
    cairo_restore(cr);
  }
  return canvas.to_image();
}

}  // namespace voxflow::viz
