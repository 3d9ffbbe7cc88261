#include "src/viz/cairo_canvas.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "src/core/error.hpp"

namespace voxflow::viz::detail {
namespace {
constexpr double kMinFont = 6.0;
constexpr double kHalfPi = 1.57079632679489661923;
constexpr double kTickFont = 11.0;
constexpr double kUnitsFont = 12.0;
}  // namespace

CairoCanvas::CairoCanvas(int width, int height, RGBA background) : width_(width), height_(height) {
  if (width < 1 || height < 1 || width > kCairoMax || height > kCairoMax)
    throw InputError("picture of " + std::to_string(width) + " x " + std::to_string(height) +
                     " pixels is outside cairo's 1..32767 limit");
  surface_ = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status(surface_) != CAIRO_STATUS_SUCCESS) {
    const std::string why = cairo_status_to_string(cairo_surface_status(surface_));
    cairo_surface_destroy(surface_);
    throw InternalError("cairo surface: " + why);
  }
  cr_ = cairo_create(surface_);
  cairo_set_source_rgb(cr_, background.r / 255.0, background.g / 255.0, background.b / 255.0);
  cairo_paint(cr_);
  data_ = cairo_image_surface_get_data(surface_);
  stride_ = cairo_image_surface_get_stride(surface_);
}

CairoCanvas::~CairoCanvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void CairoCanvas::begin_pixels() { cairo_surface_flush(surface_); }
void CairoCanvas::end_pixels() { cairo_surface_mark_dirty(surface_); }

void CairoCanvas::put_pixel(int x, int y, RGBA c) {
  auto* row = reinterpret_cast<std::uint32_t*>(data_ + static_cast<std::ptrdiff_t>(y) * stride_);
  row[x] = (0xFFu << 24) | (std::uint32_t{c.r} << 16) | (std::uint32_t{c.g} << 8) | std::uint32_t{c.b};
}

void CairoCanvas::draw_image(const ImageRGBA& img, int x0, int y0) {
  begin_pixels();
  for (int y = 0; y < img.height; ++y) {
    if (y0 + y < 0 || y0 + y >= height_) continue;
    for (int x = 0; x < img.width; ++x) {
      if (x0 + x < 0 || x0 + x >= width_) continue;
      const std::size_t o = img.offset(x, y);
      put_pixel(x0 + x, y0 + y, RGBA{img.pixels[o], img.pixels[o + 1], img.pixels[o + 2], 255});
    }
  }
  end_pixels();
}

ImageRGBA CairoCanvas::to_image() {
  cairo_surface_flush(surface_);
  if (cairo_status(cr_) != CAIRO_STATUS_SUCCESS)
    throw InternalError(std::string("cairo drawing: ") + cairo_status_to_string(cairo_status(cr_)));
  ImageRGBA img(width_, height_);
  for (int y = 0; y < height_; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data_ + static_cast<std::ptrdiff_t>(y) * stride_);
    for (int x = 0; x < width_; ++x) {
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

double draw_text(cairo_t* cr, const std::string& text, double x, double cy, TextAlign align, double size, bool bold,
                 double max_width) {
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
  const double left = align == TextAlign::Left ? x : x - te.x_advance / 2.0;
  cairo_move_to(cr, left, cy + (fe.ascent - fe.descent) / 2.0);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_show_text(cr, text.c_str());
  return te.x_advance;
}

void draw_text_upwards(cairo_t* cr, const std::string& text, double cx, double cy, double size, double max_length) {
  if (text.empty()) return;
  cairo_save(cr);
  cairo_translate(cr, cx, cy);
  cairo_rotate(cr, -kHalfPi);
  draw_text(cr, text, 0.0, 0.0, TextAlign::Centre, size, false, max_length);
  cairo_restore(cr);
}

std::string tick_label(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

void draw_colorbar(CairoCanvas& canvas, int bx, int by, int P, Colormap cmap, ValueRange range,
                   const std::string& units, double units_right) {
  canvas.begin_pixels();
  for (int y = 0; y < P; ++y) {
    const RGBA c = colormap_lookup(cmap, 1.0 - (y + 0.5) / P);
    for (int x = 0; x < kBarWidth; ++x) canvas.put_pixel(bx + x, by + y, c);
  }
  canvas.end_pixels();
  cairo_t* cr = canvas.cr();
  cairo_set_line_width(cr, 1.0);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, bx - 0.5, by - 0.5, kBarWidth + 1.0, P + 1.0);
  cairo_stroke(cr);
  const double tick_x0 = bx + kBarWidth + 0.5;
  const double label_x = tick_x0 + kTickLength + kLabelGap;
  double mid = 0.5 * (range.lo + range.hi);
  if (std::abs(mid) <= 1e-6 * std::abs(range.hi - range.lo)) mid = 0.0;  // print 0, not 2.9e-09
  const double values[3] = {range.hi, mid, range.lo};
  const double ys[3] = {by + 0.0, by + std::floor(P / 2.0), by + static_cast<double>(P - 1)};
  double widest = 0.0;
  for (int k = 0; k < 3; ++k) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, tick_x0, ys[k] + 0.5);
    cairo_line_to(cr, tick_x0 + kTickLength, ys[k] + 0.5);
    cairo_stroke(cr);
    widest = std::max(widest, draw_text(cr, tick_label(values[k]), label_x, ys[k] + 0.5, TextAlign::Left, kTickFont,
                                        false, kLabelWidth));
  }
  // Units read upwards just right of the widest tick label (within units_right).
  const double units_cx = std::min(label_x + widest + 4.0 + kUnitsFont / 2.0, units_right - kUnitsWidth / 2.0);
  draw_text_upwards(cr, units, units_cx, by + P / 2.0, kUnitsFont, P);
}

}  // namespace voxflow::viz::detail
