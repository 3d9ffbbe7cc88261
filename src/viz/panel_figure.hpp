#pragma once
// A figure of map panels (kinetics `pixel_maps_visualization.png`: one panel per parameter map on
// one slice), drawn in memory with cairo. No I/O here: io/png_writer writes the result.
#include <string>
#include <vector>

#include "src/viz/colormap.hpp"
#include "src/viz/image_rgba.hpp"
#include "src/viz/normalization.hpp"

namespace voxflow::viz {

/// One map to draw. values: width * height, row-major, row 0 at the top of the picture; NaN means
/// "no value" and is drawn mid-grey. range: the values at the colour bar's ends (e.g. from
/// compute_range). units: shown beside the colour bar (may be empty).
struct Panel {
  std::string title;
  std::string units;
  int width = 0, height = 0;
  std::vector<float> values;
  ValueRange range;
  Colormap cmap = Colormap::Viridis;
};

/// Pixel geometry of a panel figure (all in pixels, origin top-left). The figure is a grid of
/// `rows` x `columns` cells below a band of `title_height` rows holding the figure title. A cell
/// holds a panel title band (`panel_title_height`), under it the map's square of
/// panel_pixels x panel_pixels, and right of the square the colour bar with its tick labels and
/// units.
struct PanelFigureLayout {
  int width = 0, height = 0;
  int columns = 0, rows = 0;
  int panel_pixels = 0;
  int cell_width = 0, cell_height = 0;
  int margin = 0;
  int title_height = 0;
  int panel_title_height = 0;
  int bar_gap = 0, bar_width = 0;
  /// Top-left corner of cell i (cells filled row by row).
  int cell_x(int i) const { return margin + (i % columns) * (cell_width + margin); }
  int cell_y(int i) const { return title_height + (i / columns) * cell_height; }
  /// Top-left corner of panel i's map square.
  int square_x(int i) const { return cell_x(i); }
  int square_y(int i) const { return cell_y(i) + panel_title_height; }
  /// Left edge of panel i's colour bar (its top is square_y(i), its height panel_pixels).
  int bar_x(int i) const { return cell_x(i) + panel_pixels + bar_gap; }
};

/// Geometry of a figure with n_panels panels in `columns` columns (at most n_panels are used) and
/// map squares of panel_pixels. Throws InputError when n_panels < 1, columns < 1, panel_pixels < 8
/// or the figure would exceed 32767 pixels (cairo's limit) in either direction.
PanelFigureLayout panel_figure_layout(int n_panels, int columns, int panel_pixels = 256);

/// Where map pixel (0, 0) lands and how large the map is drawn inside its square: the map is
/// upscaled with nearest-neighbour resampling by panel_pixels / max(width, height), keeping its
/// aspect, and centred in the square.
struct PanelPlacement {
  int x = 0, y = 0;          // figure pixel of the drawn map's top-left corner
  int width = 0, height = 0;  // drawn size in figure pixels
};
PanelPlacement panel_placement(const PanelFigureLayout& layout, int index, int map_width, int map_height);

/// Draws `panels` on a white, opaque figure laid out by panel_figure_layout(panels.size(), columns,
/// panel_pixels): each map coloured by normalize(v, range) and colormap_lookup(cmap, .) with NaN
/// mid-grey (128, 128, 128) and a 1-pixel dark grey frame just outside it; its title centred above
/// it; a vertical colour bar (hi at the top) with ticks and labels at lo, (lo + hi) / 2 and hi
/// (printf "%.4g"; a mid value within 1e-6 of the range of 0 prints as 0) and the units written
/// upwards right of the labels; `title` centred in the top band. Text and lines are drawn by cairo
/// (toy font API, "sans-serif" via fontconfig), text shrunk to fit its space.
/// Throws InputError for a panel whose values.size() != width * height or whose size is not
/// positive (naming the panel), or as panel_figure_layout; InternalError when cairo fails.
ImageRGBA render_panel_figure(const std::vector<Panel>& panels, int columns, const std::string& title,
                              int panel_pixels = 256);

}  // namespace voxflow::viz
