#pragma once
// A cairo ARGB32 drawing surface with the text and colour-bar primitives shared by the figures of
// src/viz (panel_figure, colorbar). Internal to src/viz; no I/O here.
#include <cairo.h>

#include <memory>
#include <string>

#include "src/viz/colormap.hpp"
#include "src/viz/image_rgba.hpp"
#include "src/viz/normalization.hpp"

namespace voxflow::viz::detail {

/// Largest width or height of a cairo image surface, in pixels.
constexpr int kCairoMax = 32767;

/// An opaque width x height cairo image surface (CAIRO_FORMAT_ARGB32) and its context, filled
/// with `background`. Throws InputError for a size outside [1, 32767] (cairo's limit),
/// InternalError when cairo fails.
class CairoCanvas {
 public:
  CairoCanvas(int width, int height, RGBA background);
  ~CairoCanvas();
  CairoCanvas(const CairoCanvas&) = delete;
  CairoCanvas& operator=(const CairoCanvas&) = delete;

  cairo_t* cr() const { return cr_; }
  int width() const { return width_; }
  int height() const { return height_; }

  /// Direct pixel access: call begin_pixels(), then put_pixel() any number of times, then
  /// end_pixels() before drawing with cairo again. Colours are written opaque.
  void begin_pixels();
  void put_pixel(int x, int y, RGBA c);
  void end_pixels();
  /// Copies `img` with its top-left corner at (x, y) (clipped to the canvas; alpha ignored: opaque).
  void draw_image(const ImageRGBA& img, int x, int y);

  /// The canvas as straight-alpha RGBA (cairo's premultiplied native-endian words converted).
  /// Throws InternalError when cairo reports an error.
  ImageRGBA to_image();

 private:
  int width_, height_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
  unsigned char* data_ = nullptr;
  int stride_ = 0;
};

enum class TextAlign { Left, Centre };

/// Draws `text` in black with its vertical centre (between ascent and descent) at cy, starting at
/// x (Left) or centred on x (Centre), cairo's toy font API ("sans-serif" via fontconfig) at `size`
/// pixels, shrunk (not below 6 px) until it fits max_width. Returns the drawn width in pixels.
double draw_text(cairo_t* cr, const std::string& text, double x, double cy, TextAlign align, double size, bool bold,
                 double max_width);

/// Same, rotated to read upwards (bottom to top), centred on (cx, cy).
void draw_text_upwards(cairo_t* cr, const std::string& text, double cx, double cy, double size, double max_length);

/// printf "%.4g" of v (the colour bars' tick labels).
std::string tick_label(double v);

/// Pixel widths of a vertical colour bar as drawn by draw_colorbar: the bar, then a tick, a gap,
/// the tick-label column and the units column.
constexpr int kBarWidth = 18;
constexpr int kTickLength = 5;
constexpr int kLabelGap = 3;
constexpr int kLabelWidth = 66;
constexpr int kUnitsWidth = 24;
/// total width from the bar's left edge to the end of the units column
constexpr int kColorbarWidth = kBarWidth + kTickLength + kLabelGap + kLabelWidth + kUnitsWidth;

/// Draws a vertical colour bar of kBarWidth x height pixels with its top-left corner at (x, y):
/// row r shows colormap_lookup(cmap, 1 - (r + 0.5) / height) (hi at the top), framed in black;
/// ticks and "%.4g" labels at range.hi (top row), (lo + hi) / 2 (row floor(height / 2); a mid
/// value within 1e-6 of the range of 0 prints as 0) and range.lo (bottom row); `units` written
/// upwards right of the widest label, but not beyond units_right (the right edge allowed).
void draw_colorbar(CairoCanvas& canvas, int x, int y, int height, Colormap cmap, ValueRange range,
                   const std::string& units, double units_right);

}  // namespace voxflow::viz::detail
