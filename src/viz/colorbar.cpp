#include "src/viz/colorbar.hpp"

#include <algorithm>

#include "src/core/error.hpp"
#include "src/viz/cairo_canvas.hpp"

namespace voxflow::viz {
namespace {
constexpr int kGap = 12;
constexpr int kRightPad = 4;
constexpr int kMinBar = 16;
}  // namespace

int colorbar_bar_width() { return detail::kBarWidth; }

ColorbarLayout colorbar_layout(int image_width, int image_height) {
  if (image_width < 1 || image_height < 1)
    throw InputError("colour bar: the picture is empty (" + std::to_string(image_width) + " x " +
                     std::to_string(image_height) + ")");
  ColorbarLayout l;
  l.strip_width = kGap + detail::kColorbarWidth + kRightPad;
  const int margin = std::max(6, image_height / 20);
  l.height = std::max(image_height, kMinBar + 2 * margin);
  l.width = image_width + l.strip_width;
  if (l.width > 32767 || l.height > 32767)
    throw InputError("picture with colour bar of " + std::to_string(l.width) + " px exceeds 32767");
  l.bar_x = image_width + kGap;
  l.bar_y = margin;
  l.bar_height = l.height - 2 * margin;
  return l;
}

ImageRGBA add_colorbar(const ImageRGBA& image, Colormap cmap, ValueRange range, const std::string& units) {
  const ColorbarLayout L = colorbar_layout(image.width, image.height);
  detail::CairoCanvas canvas(L.width, L.height, RGBA{255, 255, 255, 255});
  canvas.draw_image(image, 0, 0);
  detail::draw_colorbar(canvas, L.bar_x, L.bar_y, L.bar_height, cmap, range, units, L.width - kRightPad);
  return canvas.to_image();
}

}  // namespace voxflow::viz
