#pragma once
// Resizing of 2-D maps to an image's size (seeds/001 "Automatic Resizing"). No I/O here.
#include <vector>

namespace voxflow::viz {

/// Bilinear resampling of `src` (w * h values, row-major) to new_w * new_h values, pixel centres
/// aligned (as OpenCV INTER_LINEAR / PyTorch align_corners=False): output pixel (x, y) samples the
/// source at ((x + 0.5) w / new_w - 0.5, (y + 0.5) h / new_h - 0.5), clamped to the source's
/// outermost pixel centres. A NaN source pixel that gets a non-zero weight makes the output NaN.
/// Throws InputError when src.size() != w * h or a size is not positive.
std::vector<float> resample_bilinear(const std::vector<float>& src, int w, int h, int new_w, int new_h);

/// Nearest-neighbour resampling, same geometry: output (x, y) takes source pixel
/// (floor((x + 0.5) w / new_w), floor((y + 0.5) h / new_h)); an integer upscale factor k repeats
/// each source pixel k x k times. Throws InputError as resample_bilinear.
std::vector<float> resample_nearest(const std::vector<float>& src, int w, int h, int new_w, int new_h);

}  // namespace voxflow::viz
