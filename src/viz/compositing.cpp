#include "src/viz/compositing.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <string>

#include "src/core/error.hpp"

namespace voxflow::viz {
namespace {

std::size_t pixel_count(int w, int h) { return static_cast<std::size_t>(w) * static_cast<std::size_t>(h); }

// round(v) to a byte, v clamped to [0, 255]; halves round away from zero (std::lround), NaN
// gives 0. For 0.5 <= v < 255, v + 0.5 is exact in double (v and v + 0.5 are multiples of v's
// ulp, which is at most 2^-45 here), so truncating it equals lround(v); below 0.5 lround gives 0
// (the one value where v + 0.5 would round up to 1.0, 0.5 - 2^-54, is sent to 0 first).
// Written without branches (selects) so that it compiles to min/compare instructions.
inline std::uint8_t round_byte(double v) {
  double c = v >= 0.5 ? v : 0.0;  // also NaN and v <= 0
  c = c < 255.0 ? c : 255.0;
  return static_cast<std::uint8_t>(static_cast<int>(c + 0.5));
}

}  // namespace

ImageRGBA greyscale_to_rgba(const std::vector<float>& grey, int w, int h, double lo, double hi) {
  if (w < 0 || h < 0 || grey.size() != pixel_count(w, h))
    throw InputError("greyscale image has " + std::to_string(grey.size()) + " values, expected " +
                     std::to_string(w) + " x " + std::to_string(h));
  // Every byte is written below: no fill pass.
  ImageRGBA img;
  img.width = w;
  img.height = h;
  img.pixels.resize(4 * grey.size());
  std::uint8_t* px = img.pixels.data();
  const std::size_t n = grey.size();
  if (!(hi > lo)) {  // normalize() gives 0 for every value, NaN is black too
    for (std::size_t i = 0; i < n; ++i) {
      px[4 * i] = px[4 * i + 1] = px[4 * i + 2] = 0;
      px[4 * i + 3] = 255;
    }
    return img;
  }
  const double span = hi - lo;
  const float* g = grey.data();
  for (std::size_t i = 0; i < n; ++i) {
    // normalize(v, {lo, hi}) inlined: same operations, same double results.
    const double v = static_cast<double>(g[i]);
    double t = (v - lo) / span;
    t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
    const std::uint8_t level = std::isnan(v) ? 0 : round_byte(255.0 * t);
    px[4 * i] = px[4 * i + 1] = px[4 * i + 2] = level;
    px[4 * i + 3] = 255;
  }
  return img;
}

void blend_heatmap(ImageRGBA& base, const std::vector<float>& heat, ValueRange range, Colormap cmap,
                   double opacity, double threshold) {
  blend_heatmap_hiding(base, heat, range, cmap, opacity, threshold, -std::numeric_limits<double>::infinity());
}

void blend_heatmap_hiding(ImageRGBA& base, const std::vector<float>& heat, ValueRange range, Colormap cmap,
                          double opacity, double threshold, double hide_below) {
  if (heat.size() != pixel_count(base.width, base.height))
    throw InputError("heatmap has " + std::to_string(heat.size()) + " values, the image " +
                     std::to_string(base.width) + " x " + std::to_string(base.height) +
                     " pixels (resample it first)");
  if (!(opacity >= 0.0 && opacity <= 1.0))
    throw InputError("opacity " + std::to_string(opacity) + " is outside [0, 1]");
  const std::array<RGBA, 256>& lut = colormap_table(cmap);

  // Everything that depends on the destination alpha only, for its 256 values, with the exact
  // expressions of the per-pixel formula (so every result is bit-identical to evaluating it per
  // pixel). The colour's alpha is 255 in every table entry, so a_s = opacity * 255 / 255 for all.
  const double as = opacity * 255 / 255.0;
  const double one_minus_as = 1.0 - as;
  double ad_tab[256], ao_tab[256];
  std::uint8_t aout_tab[256];
  for (int a = 0; a < 256; ++a) {
    const double ad = a / 255.0;
    ad_tab[a] = ad;
    ao_tab[a] = as + ad * (1.0 - as);
    aout_tab[a] = round_byte(255.0 * ao_tab[a]);
  }
  double src_as[256];  // c * a_s for every channel value c
  for (int c = 0; c < 256; ++c) src_as[c] = static_cast<double>(c) * as;
  // Opaque destination (alpha 255, the usual case): a_d = 1, and when a_out comes out exactly 1
  // the division by it is the identity, so c_out = round(c_s a_s + (c_d * 1) (1 - a_s)) with
  // both terms from tables (bit-identical to the full formula).
  const bool opaque_fast = ad_tab[255] == 1.0 && ao_tab[255] == 1.0;
  double dst_opaque[256];  // c_d * a_d * (1 - a_s) for a_d = 1
  for (int c = 0; c < 256; ++c) dst_opaque[c] = c * ad_tab[255] * one_minus_as;

  const bool degenerate = !(range.hi > range.lo);
  const double lo = range.lo, span = range.hi - range.lo;
  const float* hv = heat.data();
  std::uint8_t* px = base.pixels.data();
  const std::size_t n = heat.size();
  for (std::size_t i = 0; i < n; ++i) {
    const float raw = hv[i];
    if (std::isnan(raw) || static_cast<double>(raw) < hide_below) continue;  // NaN: no data
    // t = normalize(v, range), inlined (same operations).
    double t;
    if (degenerate) {
      t = 0.0;
    } else {
      t = (static_cast<double>(raw) - lo) / span;
      t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
    }
    if (std::isnan(t) || t < threshold) continue;  // NaN t: e.g. an infinite range
    // colormap_lookup(cmap, t) for t in [0, 1]: entry min(floor(256 t), 255).
    const int k = static_cast<int>(t * 256.0);
    const RGBA c = lut[static_cast<std::size_t>(k > 255 ? 255 : k)];
    std::uint8_t* d = px + 4 * i;
    const int a = d[3];
    if (a == 255 && opaque_fast) {
      d[0] = round_byte(src_as[c.r] + dst_opaque[d[0]]);
      d[1] = round_byte(src_as[c.g] + dst_opaque[d[1]]);
      d[2] = round_byte(src_as[c.b] + dst_opaque[d[2]]);
      d[3] = aout_tab[255];
      continue;
    }
    const double ao = ao_tab[a];
    if (ao <= 0.0) {
      d[0] = d[1] = d[2] = d[3] = 0;
      continue;
    }
    const double ad = ad_tab[a];
    const double r = (src_as[c.r] + d[0] * ad * one_minus_as) / ao;
    const double g = (src_as[c.g] + d[1] * ad * one_minus_as) / ao;
    const double b = (src_as[c.b] + d[2] * ad * one_minus_as) / ao;
    d[0] = round_byte(r);
    d[1] = round_byte(g);
    d[2] = round_byte(b);
    d[3] = aout_tab[a];
  }
}

}  // namespace voxflow::viz
