#pragma once
// The RGBA raster every picture is drawn into lives in src/core (io/png_writer encodes it, src/viz
// draws it); viz code names it viz::ImageRGBA as before.
#include "src/core/image_rgba.hpp"

namespace voxflow::viz {
using voxflow::ImageRGBA;
using voxflow::RGBA;
}  // namespace voxflow::viz
