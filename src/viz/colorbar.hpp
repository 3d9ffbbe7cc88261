#pragma once
// A labelled colour bar beside a picture (issue 5 `voxflow overlay --colorbar`), drawn with cairo
// by the same code as the kinetics panels' colour bars (cairo_canvas.hpp). No I/O here.
#include <string>

#include "src/viz/colormap.hpp"
#include "src/viz/image_rgba.hpp"
#include "src/viz/normalization.hpp"

namespace voxflow::viz {

/// Geometry of add_colorbar's result (pixels): the picture keeps its pixels at (0, 0); a white
/// strip of `strip_width` columns is added on its right; the bar (colorbar_bar_width() wide) starts
/// at column bar_x and spans rows bar_y .. bar_y + bar_height - 1.
struct ColorbarLayout {
  int width = 0, height = 0;
  int strip_width = 0;
  int bar_x = 0, bar_y = 0, bar_height = 0;
};

/// Layout for a picture of image_width x image_height: strip_width = 12 (gap) + the bar, tick,
/// label and units columns (18 + 5 + 3 + 66 + 24 px) + 4; the bar spans the picture's height less
/// a margin of max(6, height / 20) rows at the top and bottom (at least 16 rows; pictures lower
/// than 28 rows are padded below with white to fit it). Throws InputError for an empty picture or
/// a result wider than 32767 px.
ColorbarLayout colorbar_layout(int image_width, int image_height);

/// Width in pixels of the coloured bar itself (18).
int colorbar_bar_width();

/// `image` with a vertical colour bar on its right, laid out by colorbar_layout: bar row r shows
/// colormap_lookup(cmap, 1 - (r + 0.5) / bar_height) (range.hi at the top), ticks and "%.4g"
/// labels at hi, (lo + hi) / 2 and lo, and `units` (may be empty) written upwards, text by cairo.
/// The result is opaque; the picture's own pixels are copied unchanged (alpha set to 255).
/// Throws as colorbar_layout; InternalError when cairo fails.
ImageRGBA add_colorbar(const ImageRGBA& image, Colormap cmap, ValueRange range, const std::string& units);

}  // namespace voxflow::viz
