#include "src/viz/normalization.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>

#include "src/core/error.hpp"

namespace voxflow::viz {
namespace {

std::vector<double> finite_values(const std::vector<float>& values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (float v : values)
    if (std::isfinite(v)) out.push_back(static_cast<double>(v));
  return out;
}

// numpy.percentile(s, p) with method="linear" on non-empty `s`, by selection instead of a full
// sort (O(n), as numpy's partition): the order statistics i and i + 1 around position
// p/100 (n - 1), then numpy's _lerp: a + (b - a) t, switched to b - (b - a) (1 - t) for t >= 0.5.
// Reorders s.
double select_percentile(std::vector<double>& s, double p) {
  const double pos = p / 100.0 * static_cast<double>(s.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  const auto nth = s.begin() + static_cast<std::ptrdiff_t>(i);
  std::nth_element(s.begin(), nth, s.end());
  const double a = *nth;
  if (i + 1 >= s.size()) return a;
  const double b = *std::min_element(nth + 1, s.end());
  const double f = pos - static_cast<double>(i);
  return f >= 0.5 ? b - (b - a) * (1.0 - f) : a + (b - a) * f;
}

}  // namespace

Normalization parse_normalization(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "minmax") return Normalization::MinMax;
  if (lower == "zscore") return Normalization::ZScore;
  if (lower == "percentile") return Normalization::Percentile;
  throw InputError("unknown normalization '" + name + "' (valid: minmax, zscore, percentile)");
}

double percentile(const std::vector<float>& values, double p) {
  if (!(p >= 0.0 && p <= 100.0)) throw InputError("percentile " + std::to_string(p) + " is outside [0, 100]");
  std::vector<double> s = finite_values(values);
  if (s.empty()) throw InputError("percentile of a map without any finite value");
  return select_percentile(s, p);
}

ValueRange compute_range(const std::vector<float>& values, Normalization method) {
  std::vector<double> v = finite_values(values);
  if (v.empty()) return ValueRange{0.0, 1.0};
  switch (method) {
    case Normalization::MinMax: {
      const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
      return ValueRange{*mn, *mx};
    }
    case Normalization::ZScore: {
      double sum = 0.0;
      for (double x : v) sum += x;
      const double mean = sum / static_cast<double>(v.size());
      double ss = 0.0;
      for (double x : v) ss += (x - mean) * (x - mean);
      const double sd = std::sqrt(ss / static_cast<double>(v.size()));
      return ValueRange{mean - 3.0 * sd, mean + 3.0 * sd};
    }
    case Normalization::Percentile: {
      const double lo = select_percentile(v, 5.0);
      return ValueRange{lo, select_percentile(v, 95.0)};
    }
  }
  throw InternalError("compute_range: unknown normalization");
}

double normalize(double v, ValueRange range) {
  if (std::isnan(v)) return v;
  if (!(range.hi > range.lo)) return 0.0;
  return std::clamp((v - range.lo) / (range.hi - range.lo), 0.0, 1.0);
}

}  // namespace voxflow::viz
