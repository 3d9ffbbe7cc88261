#include "src/viz/overlay.hpp"

#include <cmath>
#include <limits>

#include "src/viz/compositing.hpp"

namespace voxflow::viz {

void overlay_heatmap(ImageRGBA& picture, const std::vector<float>& heat, const OverlayStyle& style) {
  std::vector<float> shown(heat);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (float& v : shown)
    if (style.threshold && static_cast<double>(v) < *style.threshold) v = nan;  // NaN stays NaN
  blend_heatmap(picture, shown, style.range, style.cmap, style.opacity, 0.0);
}

}  // namespace voxflow::viz
