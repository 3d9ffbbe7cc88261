#pragma once
// A maximum-intensity projection in grey with a path drawn over it (voxflow vessel's
// centerline_mip.png). Draws only; io/png_writer writes it.
#include <array>
#include <string>
#include <vector>

#include "src/viz/image_rgba.hpp"

namespace voxflow::viz {

struct MipFigure {
  std::vector<float> mip;  // nx * ny values, x fastest (filters::axial_mip); NaN drawn black
  int nx = 0, ny = 0;
  double aspect = 1.0;     // pixel height / width (spacing_y / spacing_x)
  std::vector<std::array<double, 2>> path;  // continuous voxel (i, j) of the path's points
  std::array<double, 2> start{0, 0}, end{0, 0};
  std::string title;
};

/// Renders the MIP (i to the right, j downwards: voxel order, not a patient orientation) in grey
/// between its 1st and 99.5th percentiles (a window that shows contrast-filled vessels on CTA
/// whatever the units), scaled up to about 512 pixels on the long side, the path as a red line,
/// the start as a green and the end as a blue dot, and the title above. Throws InputError for an
/// empty or mis-sized projection.
ImageRGBA render_mip_figure(const MipFigure& figure);

}  // namespace voxflow::viz
