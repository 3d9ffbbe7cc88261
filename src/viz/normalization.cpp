#include "src/viz/normalization.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>

#include "src/core/error.hpp"

namespace voxflow::viz {
namespace {

// The finite values, as float: float -> double is exact and order-preserving, so selecting
// order statistics on floats and widening the result gives the same doubles (half the memory
// traffic of a double copy).
std::vector<float> finite_values(const std::vector<float>& values) {
  std::vector<float> out(values.size());
  std::size_t n = 0;
  for (float v : values) {
    out[n] = v;
    n += std::isfinite(v) ? 1 : 0;
  }
  out.resize(n);
  return out;
}

// numpy.percentile(s, p) with method="linear" on non-empty s[from, end), by selection instead of
// a full sort (O(n), as numpy's partition): the order statistics i and i + 1 around position
// p/100 (n - 1) of the whole of s, then numpy's _lerp: a + (b - a) t, switched to
// b - (b - a) (1 - t) for t >= 0.5. `from` must be <= i and every element before `from` must be
// <= every element from it on (as after an earlier call that selected position `from`), so that
// only s[from, end) needs partitioning. Reorders s[from, end); returns position i in *pos_out.
double select_percentile(std::vector<float>& s, double p, std::size_t from, std::size_t* pos_out) {
  const double pos = p / 100.0 * static_cast<double>(s.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  if (pos_out) *pos_out = i;
  const auto nth = s.begin() + static_cast<std::ptrdiff_t>(i);
  std::nth_element(s.begin() + static_cast<std::ptrdiff_t>(from < i ? from : i), nth, s.end());
  const double a = static_cast<double>(*nth);
  if (i + 1 >= s.size()) return a;
  const double b = static_cast<double>(*std::min_element(nth + 1, s.end()));
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
  std::vector<float> s = finite_values(values);
  if (s.empty()) throw InputError("percentile of a map without any finite value");
  return select_percentile(s, p, 0, nullptr);
}

ValueRange compute_range(const std::vector<float>& values, Normalization method) {
  switch (method) {
    case Normalization::MinMax: {
      // One pass over the finite values; the first finite value seeds both ends.
      bool any = false;
      float mn = 0.0f, mx = 0.0f;
      for (float x : values) {
        if (!std::isfinite(x)) continue;
        if (!any) {
          mn = mx = x;
          any = true;
        } else {
          mn = x < mn ? x : mn;  // the first of equal minima
          mx = x < mx ? mx : x;  // the last of equal maxima, as std::minmax_element
        }
      }
      if (!any) return ValueRange{0.0, 1.0};
      return ValueRange{static_cast<double>(mn), static_cast<double>(mx)};
    }
    case Normalization::ZScore: {
      // Sums in double over the finite values, in order.
      double sum = 0.0;
      std::size_t n = 0;
      for (float x : values)
        if (std::isfinite(x)) {
          sum += static_cast<double>(x);
          ++n;
        }
      if (n == 0) return ValueRange{0.0, 1.0};
      const double mean = sum / static_cast<double>(n);
      double ss = 0.0;
      for (float x : values)
        if (std::isfinite(x)) ss += (static_cast<double>(x) - mean) * (static_cast<double>(x) - mean);
      const double sd = std::sqrt(ss / static_cast<double>(n));
      return ValueRange{mean - 3.0 * sd, mean + 3.0 * sd};
    }
    case Normalization::Percentile: {
      std::vector<float> v = finite_values(values);
      if (v.empty()) return ValueRange{0.0, 1.0};
      std::size_t i5 = 0;
      const double lo = select_percentile(v, 5.0, 0, &i5);
      // After selecting position i5, everything before it is <= everything from it on.
      return ValueRange{lo, select_percentile(v, 95.0, i5, nullptr)};
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
