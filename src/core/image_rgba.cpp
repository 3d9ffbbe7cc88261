#include "src/core/image_rgba.hpp"

#include <string>

#include "src/core/error.hpp"

namespace voxflow {

ImageRGBA::ImageRGBA(int w, int h, RGBA fill) : width(w), height(h) {
  if (w < 0 || h < 0)
    throw InputError("image size " + std::to_string(w) + " x " + std::to_string(h) + " is negative");
  pixels.resize(4 * static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  for (std::size_t i = 0; i < pixels.size(); i += 4) {
    pixels[i] = fill.r;
    pixels[i + 1] = fill.g;
    pixels[i + 2] = fill.b;
    pixels[i + 3] = fill.a;
  }
}

static void check_inside(const ImageRGBA& img, int x, int y) {
  if (!img.contains(x, y))
    throw InternalError("pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") outside a " +
                        std::to_string(img.width) + " x " + std::to_string(img.height) + " image");
}

RGBA ImageRGBA::at(int x, int y) const {
  check_inside(*this, x, y);
  const std::size_t o = offset(x, y);
  return RGBA{pixels[o], pixels[o + 1], pixels[o + 2], pixels[o + 3]};
}

void ImageRGBA::set(int x, int y, RGBA p) {
  check_inside(*this, x, y);
  const std::size_t o = offset(x, y);
  pixels[o] = p.r;
  pixels[o + 1] = p.g;
  pixels[o + 2] = p.b;
  pixels[o + 3] = p.a;
}

}  // namespace voxflow
