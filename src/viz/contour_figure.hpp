#pragma once
// Grey-scale images with coloured contour lines drawn over them, in a grid with a title above
// each image (voxflow vessel's straightened curved-planar reformation and its panel of
// cross-sections with the lumen and outer wall). Drawn with cairo; no I/O here.
#include <string>
#include <utility>
#include <vector>

#include "src/viz/image_rgba.hpp"

namespace voxflow::viz {

/// A polyline in image pixel coordinates (x = column, y = row; the centre of pixel (c, r) is at
/// (c + 0.5, r + 0.5)); NaN points break the line.
struct ImageLine {
  std::vector<std::pair<double, double>> xy;
  RGBA colour{255, 0, 0, 255};
  bool closed = false;
};

struct ContourImage {
  std::string title;
  int width = 0, height = 0;
  std::vector<float> values;  // width * height, row 0 at the top; NaN drawn dark blue-grey
  std::vector<ImageLine> lines;
};

struct ContourFigure {
  std::string title;
  std::vector<ContourImage> images;
  int columns = 1;
  int scale = 4;                       // screen pixels per image pixel
  double window_lo = -200.0, window_hi = 600.0;  // grey window (image units, e.g. HU)
  std::vector<std::pair<std::string, RGBA>> legend;  // shown under the title
};

/// Renders the figure on white: the title, a legend line, then the images in a grid of
/// `columns` (each scaled by `scale`, nearest neighbour, grey = (v - lo) / (hi - lo) clamped) with
/// their lines (2 px wide) and titles. Throws InputError for no image, an image whose values
/// are not width * height, columns or scale < 1, window_hi <= window_lo, or a figure over 32767
/// pixels; InternalError when cairo fails.
ImageRGBA render_contour_figure(const ContourFigure& figure);

}  // namespace voxflow::viz
