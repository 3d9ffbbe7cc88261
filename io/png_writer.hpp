#pragma once
// PNG output of voxflow pictures (ImageRGBA) through libpng.
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/image_rgba.hpp"

namespace voxflow::io {

/// The PNG encoding (8-bit RGBA, non-interlaced, zlib level 6, UP filter on every row) of `img`,
/// in memory (libpng's write API). Throws InputError for an empty image or a pixel buffer that is not
/// 4 * width * height bytes, InternalError when libpng fails.
std::vector<std::uint8_t> encode_png(const ImageRGBA& img);

/// Writes `img` to `path` as an 8-bit RGBA PNG, atomically: encoded in memory, written to
/// "<path>.tmp-<pid>" and renamed (AtomicFile). Throws InputError when the folder of `path` does
/// not exist or cannot be written, or as encode_png; InternalError on a failed write or rename.
void write_png(const std::string& path, const ImageRGBA& img);

}  // namespace voxflow::io
