#pragma once
// A bar chart with optional error bars (voxflow tia-roi's roi_tia.png: mean TIA per label),
// drawn with cairo. No I/O here: io/png_writer writes the result.
#include <string>
#include <vector>

#include "src/viz/image_rgba.hpp"

namespace voxflow::viz {

/// One bar: its label under the axis, its height (value, any units) and an optional symmetric
/// error bar (+- error; NaN or <= 0 draws none). A NaN value draws no bar (the label stays).
struct Bar {
  std::string label;
  double value = 0.0;
  double error = 0.0;
};

struct BarChart {
  std::string title, x_label, y_label;
  std::vector<Bar> bars;
  int bar_pixels = 48;  // width of one bar's slot
  int plot_height = 320;
};

/// Draws `chart` on a white, opaque image: the y axis from 0 (or the smallest value - error when
/// negative) to the largest value + error, with 5 ticks labelled printf "%.3g"; bars in viridis'
/// mid colour (33, 145, 140) with black outlines, error bars in black; labels under the bars; the
/// title on top; the axis labels beside/below. Image width = 90 + bars * bar_pixels + 20,
/// height = plot_height + 110. Throws InputError when there is no bar or no finite value, or the
/// image would exceed 32767 pixels; InternalError when cairo fails.
ImageRGBA render_bar_chart(const BarChart& chart);

}  // namespace voxflow::viz
