#pragma once
// A heatmap laid over a picture with opacity and threshold (issue 5 `voxflow overlay`), built on
// compositing.hpp's blend_heatmap. No I/O here.
#include <optional>
#include <vector>

#include "src/viz/colormap.hpp"
#include "src/viz/image_rgba.hpp"
#include "src/viz/normalization.hpp"

namespace voxflow::viz {

/// How a heatmap is drawn: value v gets colormap_lookup(cmap, normalize(v, range)) at `opacity`
/// in [0, 1]; NaN and v below `threshold` (in the map's own units, not normalised; -inf with any
/// threshold) are transparent (the picture shows through unchanged); +-inf take the colormap's ends.
struct OverlayStyle {
  Colormap cmap = Colormap::Viridis;
  ValueRange range;
  double opacity = 0.6;  // the original tool's default
  std::optional<double> threshold;
};

/// Blends `heat` (picture.width * picture.height values, row-major, row 0 at the top) over
/// `picture` in place, Porter-Duff "over" on straight alpha (see blend_heatmap). With an opaque
/// picture: out = round(opacity * colour + (1 - opacity) * picture) per channel, alpha 255.
/// Throws InputError when heat has the wrong size or opacity is outside [0, 1] (as blend_heatmap).
void overlay_heatmap(ImageRGBA& picture, const std::vector<float>& heat, const OverlayStyle& style);

}  // namespace voxflow::viz
