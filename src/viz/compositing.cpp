#include "src/viz/compositing.hpp"

#include <cmath>
#include <cstddef>
#include <string>

#include "src/core/error.hpp"

namespace voxflow::viz {
namespace {

std::size_t pixel_count(int w, int h) { return static_cast<std::size_t>(w) * static_cast<std::size_t>(h); }

std::uint8_t round_byte(double v) {
  if (v <= 0.0) return 0;
  if (v >= 255.0) return 255;
  return static_cast<std::uint8_t>(std::lround(v));
}

}  // namespace

ImageRGBA greyscale_to_rgba(const std::vector<float>& grey, int w, int h, double lo, double hi) {
  if (w < 0 || h < 0 || grey.size() != pixel_count(w, h))
    throw InputError("greyscale image has " + std::to_string(grey.size()) + " values, expected " +
                     std::to_string(w) + " x " + std::to_string(h));
  ImageRGBA img(w, h, RGBA{0, 0, 0, 255});
  for (std::size_t i = 0; i < grey.size(); ++i) {
    const double t = normalize(grey[i], ValueRange{lo, hi});
    const std::uint8_t level = std::isnan(t) ? 0 : round_byte(255.0 * t);
    img.pixels[4 * i] = img.pixels[4 * i + 1] = img.pixels[4 * i + 2] = level;
  }
  return img;
}

void blend_heatmap(ImageRGBA& base, const std::vector<float>& heat, ValueRange range, Colormap cmap,
                   double opacity, double threshold) {
  if (heat.size() != pixel_count(base.width, base.height))
    throw InputError("heatmap has " + std::to_string(heat.size()) + " values, the image " +
                     std::to_string(base.width) + " x " + std::to_string(base.height) +
                     " pixels (resample it first)");
  if (!(opacity >= 0.0 && opacity <= 1.0))
    throw InputError("opacity " + std::to_string(opacity) + " is outside [0, 1]");
  for (std::size_t i = 0; i < heat.size(); ++i) {
    const double t = normalize(heat[i], range);
    if (std::isnan(t) || t < threshold) continue;
    const RGBA c = colormap_lookup(cmap, t);
    const double as = opacity * c.a / 255.0;
    std::uint8_t* d = &base.pixels[4 * i];
    const double ad = d[3] / 255.0;
    const double ao = as + ad * (1.0 - as);
    if (ao <= 0.0) {
      d[0] = d[1] = d[2] = d[3] = 0;
      continue;
    }
    const double src[3] = {static_cast<double>(c.r), static_cast<double>(c.g), static_cast<double>(c.b)};
    for (int k = 0; k < 3; ++k) d[k] = round_byte((src[k] * as + d[k] * ad * (1.0 - as)) / ao);
    d[3] = round_byte(255.0 * ao);
  }
}

}  // namespace voxflow::viz
