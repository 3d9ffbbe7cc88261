#pragma once
// Heatmap overlay compositing (seeds/001 "How It Works" steps 5-7): a greyscale base image turned
// into RGBA, then a colormapped map blended over it. No I/O here.
#include <vector>

#include "src/viz/colormap.hpp"
#include "src/viz/image_rgba.hpp"
#include "src/viz/normalization.hpp"

namespace voxflow::viz {

/// Opaque greyscale image of `grey` (w * h values, row-major, row 0 at the top) with the display
/// window [lo, hi] (the image's own units): level = round(255 * normalize(v, {lo, hi})), so values
/// at or below lo are black and at or above hi white; NaN is black; hi <= lo makes every pixel
/// black. Throws InputError when grey.size() != w * h or w, h < 0.
ImageRGBA greyscale_to_rgba(const std::vector<float>& grey, int w, int h, double lo, double hi);

/// Blends `heat` (base.width * base.height values, row-major, row 0 at the top) over `base` in
/// place. Each value v gives t = normalize(v, range) and the colour colormap_lookup(cmap, t) with
/// alpha `opacity` in [0, 1]; it is composited with Porter-Duff "over" on straight alpha:
///   a_out = a_s + a_d (1 - a_s),  c_out = (c_s a_s + c_d a_d (1 - a_s)) / a_out.
/// NaN values and values with t < threshold (threshold on the normalised [0, 1] scale; 0 hides
/// nothing) leave the base pixel unchanged (transparent).
/// Throws InputError when heat.size() differs from the base's pixel count or opacity is not in
/// [0, 1].
void blend_heatmap(ImageRGBA& base, const std::vector<float>& heat, ValueRange range, Colormap cmap,
                   double opacity, double threshold);

/// blend_heatmap that also leaves the base pixel unchanged where the raw value v (the map's own
/// units, before normalisation) is below `hide_below` (v < hide_below; -inf hides nothing, and a
/// -inf value is hidden by any finite hide_below). One pass, no copy of `heat`; used by
/// overlay_heatmap for its threshold. Same errors as blend_heatmap.
void blend_heatmap_hiding(ImageRGBA& base, const std::vector<float>& heat, ValueRange range, Colormap cmap,
                          double opacity, double threshold, double hide_below);

}  // namespace voxflow::viz
