#pragma once
// An 8-bit RGBA raster in memory: what every voxflow picture is drawn into before io/png_writer
// writes it: a plain data type shared by src/viz (which draws) and io/ (which encodes). No I/O here.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace voxflow {

/// One pixel, 8 bits per channel, straight (not premultiplied) alpha; a = 255 is opaque.
struct RGBA {
  std::uint8_t r = 0, g = 0, b = 0, a = 0;
};

inline bool operator==(const RGBA& p, const RGBA& q) {
  return p.r == q.r && p.g == q.g && p.b == q.b && p.a == q.a;
}
inline bool operator!=(const RGBA& p, const RGBA& q) { return !(p == q); }

/// width x height pixels; `pixels` holds 4 bytes (r, g, b, a) per pixel, row-major, top row first,
/// so pixel (x, y) starts at byte 4 * (y * width + x).
struct ImageRGBA {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;

  ImageRGBA() = default;
  /// A width x height image filled with `fill`. Throws InputError for a negative size.
  ImageRGBA(int w, int h, RGBA fill = RGBA{0, 0, 0, 0});

  /// Pixel at column x (0 = left), row y (0 = top). Throws InternalError outside the image.
  RGBA at(int x, int y) const;
  /// Sets the pixel at (x, y). Throws InternalError outside the image.
  void set(int x, int y, RGBA p);

  bool contains(int x, int y) const { return x >= 0 && y >= 0 && x < width && y < height; }
  std::size_t offset(int x, int y) const {
    return 4 * (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x));
  }
};

}  // namespace voxflow
