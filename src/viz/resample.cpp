#include "src/viz/resample.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "src/core/error.hpp"

namespace voxflow::viz {
namespace {

void check_sizes(const std::vector<float>& src, int w, int h, int new_w, int new_h) {
  if (w <= 0 || h <= 0 || new_w <= 0 || new_h <= 0 ||
      src.size() != static_cast<std::size_t>(w) * static_cast<std::size_t>(h))
    throw InputError("cannot resample a map of " + std::to_string(src.size()) + " values given as " +
                     std::to_string(w) + " x " + std::to_string(h) + " to " + std::to_string(new_w) +
                     " x " + std::to_string(new_h));
}

// Two source indices and the weight of the second for output index `o` along one axis.
struct Taps {
  int i0, i1;
  double f;
};

Taps linear_taps(int o, int n, int new_n) {
  double s = (o + 0.5) * static_cast<double>(n) / static_cast<double>(new_n) - 0.5;
  s = std::clamp(s, 0.0, static_cast<double>(n - 1));
  const int i0 = std::min(static_cast<int>(std::floor(s)), n - 1);
  const int i1 = std::min(i0 + 1, n - 1);
  return Taps{i0, i1, s - i0};
}

int nearest_index(int o, int n, int new_n) {
  const auto i = static_cast<int>(std::floor((o + 0.5) * static_cast<double>(n) / static_cast<double>(new_n)));
  return std::clamp(i, 0, n - 1);
}

}  // namespace

std::vector<float> resample_bilinear(const std::vector<float>& src, int w, int h, int new_w, int new_h) {
  check_sizes(src, w, h, new_w, new_h);
  std::vector<float> out(static_cast<std::size_t>(new_w) * static_cast<std::size_t>(new_h));
  std::vector<Taps> tx(static_cast<std::size_t>(new_w));
  for (int x = 0; x < new_w; ++x) tx[static_cast<std::size_t>(x)] = linear_taps(x, w, new_w);
  for (int y = 0; y < new_h; ++y) {
    const Taps ty = linear_taps(y, h, new_h);
    for (int x = 0; x < new_w; ++x) {
      const Taps& t = tx[static_cast<std::size_t>(x)];
      const int xs[2] = {t.i0, t.i1}, ys[2] = {ty.i0, ty.i1};
      const double wx[2] = {1.0 - t.f, t.f}, wy[2] = {1.0 - ty.f, ty.f};
      double acc = 0.0;
      for (int j = 0; j < 2; ++j)
        for (int i = 0; i < 2; ++i) {
          const double wgt = wx[i] * wy[j];
          if (wgt == 0.0) continue;
          acc += wgt * src[static_cast<std::size_t>(ys[j]) * static_cast<std::size_t>(w) + static_cast<std::size_t>(xs[i])];
        }
      out[static_cast<std::size_t>(y) * static_cast<std::size_t>(new_w) + static_cast<std::size_t>(x)] =
          static_cast<float>(acc);
    }
  }
  return out;
}

std::vector<float> resample_nearest(const std::vector<float>& src, int w, int h, int new_w, int new_h) {
  check_sizes(src, w, h, new_w, new_h);
  std::vector<float> out(static_cast<std::size_t>(new_w) * static_cast<std::size_t>(new_h));
  std::vector<int> ix(static_cast<std::size_t>(new_w));
  for (int x = 0; x < new_w; ++x) ix[static_cast<std::size_t>(x)] = nearest_index(x, w, new_w);
  for (int y = 0; y < new_h; ++y) {
    const std::size_t row = static_cast<std::size_t>(nearest_index(y, h, new_h)) * static_cast<std::size_t>(w);
    for (int x = 0; x < new_w; ++x)
      out[static_cast<std::size_t>(y) * static_cast<std::size_t>(new_w) + static_cast<std::size_t>(x)] =
          src[row + static_cast<std::size_t>(ix[static_cast<std::size_t>(x)])];
  }
  return out;
}

}  // namespace voxflow::viz
