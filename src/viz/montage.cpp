#include "src/viz/montage.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "src/core/error.hpp"

namespace voxflow::viz {

int montage_columns(int n) {
  if (n < 1) throw InputError("a montage needs at least one tile");
  int c = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  while (c * c < n) ++c;
  while (c > 1 && (c - 1) * (c - 1) >= n) --c;
  return c;
}

ImageRGBA montage(const std::vector<ImageRGBA>& tiles, int columns, int gap, RGBA background) {
  if (tiles.empty()) throw InputError("a montage needs at least one tile");
  if (columns < 1) throw InputError("montage: columns must be >= 1, got " + std::to_string(columns));
  if (gap < 0) throw InputError("montage: gap must be >= 0, got " + std::to_string(gap));
  int cw = 0, ch = 0;
  for (const auto& t : tiles) {
    if (t.width < 1 || t.height < 1) throw InputError("montage: empty tile");
    cw = std::max(cw, t.width);
    ch = std::max(ch, t.height);
  }
  const int n = static_cast<int>(tiles.size());
  columns = std::min(columns, n);
  const int rows = (n + columns - 1) / columns;
  const long long W = static_cast<long long>(columns) * cw + static_cast<long long>(columns - 1) * gap;
  const long long H = static_cast<long long>(rows) * ch + static_cast<long long>(rows - 1) * gap;
  if (W > 32767 || H > 32767)
    throw InputError("montage of " + std::to_string(W) + " x " + std::to_string(H) + " pixels exceeds 32767");
  ImageRGBA out(static_cast<int>(W), static_cast<int>(H), background);
  for (int i = 0; i < n; ++i) {
    const ImageRGBA& t = tiles[static_cast<std::size_t>(i)];
    const int x0 = (i % columns) * (cw + gap), y0 = (i / columns) * (ch + gap);
    for (int y = 0; y < t.height; ++y)
      std::memcpy(&out.pixels[out.offset(x0, y0 + y)], &t.pixels[t.offset(0, y)], 4 * static_cast<std::size_t>(t.width));
  }
  return out;
}

}  // namespace voxflow::viz
