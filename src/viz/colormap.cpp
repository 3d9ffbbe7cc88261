#include "src/viz/colormap.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstddef>

#include "src/core/error.hpp"
#include "src/viz/colormap_tables.hpp"

namespace voxflow::viz {
namespace {

// One anchor of a matplotlib segment: at x the channel jumps from `below` to `above`
// (equal for continuous maps). matplotlib _cm.py writes them (x, y0, y1).
struct Anchor {
  double x, below, above;
};
using Segment = std::vector<Anchor>;

// matplotlib lib/matplotlib/_cm.py, _hot_data and _jet_data.
const Segment kHotR = {{0.0, 0.0416, 0.0416}, {0.365079, 1.0, 1.0}, {1.0, 1.0, 1.0}};
const Segment kHotG = {{0.0, 0.0, 0.0}, {0.365079, 0.0, 0.0}, {0.746032, 1.0, 1.0}, {1.0, 1.0, 1.0}};
const Segment kHotB = {{0.0, 0.0, 0.0}, {0.746032, 0.0, 0.0}, {1.0, 1.0, 1.0}};
const Segment kJetR = {{0.0, 0, 0}, {0.35, 0, 0}, {0.66, 1, 1}, {0.89, 1, 1}, {1.0, 0.5, 0.5}};
const Segment kJetG = {{0.0, 0, 0}, {0.125, 0, 0}, {0.375, 1, 1}, {0.64, 1, 1}, {0.91, 0, 0}, {1.0, 0, 0}};
const Segment kJetB = {{0.0, 0.5, 0.5}, {0.11, 1, 1}, {0.34, 1, 1}, {0.65, 0, 0}, {1.0, 0, 0}};

// matplotlib colors._create_lookup_table for one t = i / (N - 1): the first entry is y1[0], the
// last y0[-1], in between linear from anchor k-1 (its `above`) to anchor k (its `below`), where k
// is the first anchor with x >= t (numpy.searchsorted, side="left").
double eval_segment(const Segment& s, int i) {
  if (i <= 0) return s.front().above;
  if (i >= 255) return s.back().below;
  const double t = i / 255.0;
  std::size_t k = 1;
  while (k + 1 < s.size() && s[k].x < t) ++k;
  const double d = (t - s[k - 1].x) / (s[k].x - s[k - 1].x);
  return d * (s[k].below - s[k - 1].above) + s[k - 1].above;
}

std::uint8_t to_byte(double v) {
  return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
}

using Lut = std::array<RGBA, 256>;

Lut build_lut(Colormap cmap) {
  Lut lut{};
  for (int i = 0; i < 256; ++i) {
    double r = 0, g = 0, b = 0;
    switch (cmap) {
      case Colormap::Red:
        r = i / 255.0;
        break;
      case Colormap::Hot:
        r = eval_segment(kHotR, i), g = eval_segment(kHotG, i), b = eval_segment(kHotB, i);
        break;
      case Colormap::Jet:
        r = eval_segment(kJetR, i), g = eval_segment(kJetG, i), b = eval_segment(kJetB, i);
        break;
      case Colormap::Viridis:
        r = detail::viridis_table[i][0], g = detail::viridis_table[i][1], b = detail::viridis_table[i][2];
        break;
      case Colormap::Plasma:
        r = detail::plasma_table[i][0], g = detail::plasma_table[i][1], b = detail::plasma_table[i][2];
        break;
    }
    lut[static_cast<std::size_t>(i)] = RGBA{to_byte(r), to_byte(g), to_byte(b), 255};
  }
  return lut;
}

const Lut& lut_for(Colormap cmap) {
  static const std::array<Lut, 5> luts = {build_lut(Colormap::Red), build_lut(Colormap::Hot),
                                          build_lut(Colormap::Jet), build_lut(Colormap::Viridis),
                                          build_lut(Colormap::Plasma)};
  return luts[static_cast<std::size_t>(cmap)];
}

}  // namespace

const std::vector<std::string>& colormap_names() {
  static const std::vector<std::string> names = {"red", "hot", "jet", "viridis", "plasma"};
  return names;
}

std::string colormap_name(Colormap cmap) { return colormap_names()[static_cast<std::size_t>(cmap)]; }

Colormap parse_colormap(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto& names = colormap_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == lower) return static_cast<Colormap>(i);
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
  throw InputError("unknown colormap '" + name + "' (valid: " + valid + ")");
}

const std::array<RGBA, 256>& colormap_table(Colormap cmap) { return lut_for(cmap); }

RGBA colormap_lookup(Colormap cmap, double x) {
  if (std::isnan(x)) return RGBA{0, 0, 0, 0};
  const double c = std::clamp(x, 0.0, 1.0);
  const int i = std::min(static_cast<int>(c * 256.0), 255);
  return lut_for(cmap)[static_cast<std::size_t>(i)];
}

}  // namespace voxflow::viz
