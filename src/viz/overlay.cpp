#include "src/viz/overlay.hpp"

#include <cmath>
#include <limits>

#include "src/viz/compositing.hpp"

namespace voxflow::viz {

void overlay_heatmap(ImageRGBA& picture, const std::vector<float>& heat, const OverlayStyle& style) {
  // Values below the threshold are skipped in the blend itself (no copy of the map).
  const double hide_below = style.threshold ? *style.threshold : -std::numeric_limits<double>::infinity();
  blend_heatmap_hiding(picture, heat, style.range, style.cmap, style.opacity, 0.0, hide_below);
}

}  // namespace voxflow::viz
