#pragma once
// An x-y line plot with several series and vertical markers (voxflow vessel's lumen and vessel
// area along the arc length with the stenosis marked). Drawn with cairo; no I/O here.
#include <string>
#include <vector>

#include "src/viz/image_rgba.hpp"

namespace voxflow::viz {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y;  // same length; NaN y breaks the line
  RGBA colour{0, 0, 0, 255};
};

struct PlotMarker {
  double x = 0.0;
  std::string label;
  RGBA colour{200, 0, 0, 255};
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<PlotSeries> series;
  std::vector<PlotMarker> markers;  // dashed vertical lines with their label at the top
  int width = 900, height = 420;
};

/// Renders the plot on white: axes from the finite data's range (y from 0 when all y >= 0), 5
/// ticks per axis labelled "%.3g", a legend of the series names. Throws InputError for no
/// series with a finite point, series whose x and y differ in length, or a size outside
/// [200, 32767]; InternalError when cairo fails.
ImageRGBA render_line_plot(const LinePlot& plot);

}  // namespace voxflow::viz
