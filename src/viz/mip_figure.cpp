#include "src/viz/mip_figure.hpp"

#include <algorithm>
#include <cmath>

#include "src/core/error.hpp"
#include "src/viz/cairo_canvas.hpp"
#include "src/viz/normalization.hpp"

namespace voxflow::viz {

ImageRGBA render_mip_figure(const MipFigure& f) {
  if (f.nx <= 0 || f.ny <= 0 || f.mip.size() != static_cast<size_t>(f.nx) * static_cast<size_t>(f.ny))
    throw InputError("mip figure: the projection has " + std::to_string(f.mip.size()) + " values for " +
                     std::to_string(f.nx) + " x " + std::to_string(f.ny) + " pixels");
  std::vector<float> finite;
  finite.reserve(f.mip.size());
  for (float x : f.mip)
    if (std::isfinite(x)) finite.push_back(x);
  double lo = 0.0, hi = 1.0;
  if (!finite.empty()) {
    lo = percentile(finite, 1.0);
    hi = percentile(finite, 99.5);
    if (!(hi > lo)) hi = lo + 1.0;
  }
  const double aspect = f.aspect > 0.0 && std::isfinite(f.aspect) ? f.aspect : 1.0;
  const double longest = std::max(double(f.nx), f.ny * aspect);
  const double scale = std::max(1.0, std::min(8.0, 512.0 / longest));  // pixels per voxel along x
  const int w = std::max(1, static_cast<int>(std::lround(f.nx * scale)));
  const int ih = std::max(1, static_cast<int>(std::lround(f.ny * scale * aspect)));
  const int top = 28;
  detail::CairoCanvas canvas(w, ih + top, RGBA{255, 255, 255, 255});
  canvas.begin_pixels();
  for (int y = 0; y < ih; ++y) {
    const int j = std::min(f.ny - 1, static_cast<int>((y + 0.5) / (scale * aspect)));
    for (int x = 0; x < w; ++x) {
      const int i = std::min(f.nx - 1, static_cast<int>((x + 0.5) / scale));
      const float v = f.mip[static_cast<size_t>(i) + static_cast<size_t>(f.nx) * static_cast<size_t>(j)];
      std::uint8_t g = 0;
      if (std::isfinite(v)) g = static_cast<std::uint8_t>(std::lround(255.0 * std::clamp((v - lo) / (hi - lo), 0.0, 1.0)));
      canvas.put_pixel(x, top + y, RGBA{g, g, g, 255});
    }
  }
  canvas.end_pixels();
  cairo_t* cr = canvas.cr();
  auto px = [&](const std::array<double, 2>& p) {
    return std::array<double, 2>{(p[0] + 0.5) * scale, top + (p[1] + 0.5) * scale * aspect};
  };
  if (!f.path.empty()) {
    cairo_set_source_rgb(cr, 0.9, 0.1, 0.1);
    cairo_set_line_width(cr, 2.0);
    const auto p0 = px(f.path.front());
    cairo_move_to(cr, p0[0], p0[1]);
    for (size_t n = 1; n < f.path.size(); ++n) {
      const auto p = px(f.path[n]);
      cairo_line_to(cr, p[0], p[1]);
    }
    cairo_stroke(cr);
  }
  for (int e = 0; e < 2; ++e) {
    const auto p = px(e == 0 ? f.start : f.end);
    if (e == 0)
      cairo_set_source_rgb(cr, 0.1, 0.8, 0.1);
    else
      cairo_set_source_rgb(cr, 0.2, 0.4, 1.0);
    cairo_arc(cr, p[0], p[1], 4.0, 0.0, 2.0 * M_PI);
    cairo_fill(cr);
  }
  detail::draw_text(cr, f.title, 6.0, top / 2.0, detail::TextAlign::Left, 13.0, false, w - 12.0);
  return canvas.to_image();
}

}  // namespace voxflow::viz
