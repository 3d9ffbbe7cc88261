#pragma once
// Display ranges for maps (seeds/001 "Smart Normalization": minmax, zscore, percentile) and the
// mapping of a value into [0, 1] for a colormap. No I/O here.
#include <string>
#include <vector>

namespace voxflow::viz {

enum class Normalization { MinMax, ZScore, Percentile };

/// Normalization named "minmax", "zscore" or "percentile" (case-insensitive).
/// Throws InputError naming the unknown value and listing the valid names.
Normalization parse_normalization(const std::string& name);

/// The value shown at the low (lo) and high (hi) end of a colormap, in the map's own units.
struct ValueRange {
  double lo = 0.0, hi = 1.0;
};

/// Display range of `values` (any shape, flattened), using finite values only (NaN and +-inf are
/// ignored):
///   MinMax:     [min, max];
///   ZScore:     [mean - 3 sd, mean + 3 sd], sd the population standard deviation (ddof = 0, as
///               numpy.std), i.e. z-scores -3 and +3 map to the ends;
///   Percentile: [5th, 95th percentile], linear interpolation between order statistics as
///               numpy.percentile's default: position p/100 * (n - 1) in the sorted values.
/// With no finite value the range is {0, 1}; with one distinct value lo == hi.
ValueRange compute_range(const std::vector<float>& values, Normalization method);

/// Percentile `p` in [0, 100] of the finite values, numpy.percentile's default ("linear") method.
/// Throws InputError when p is outside [0, 100] or no value is finite.
double percentile(const std::vector<float>& values, double p);

/// (v - lo) / (hi - lo) clamped to [0, 1]; NaN stays NaN (callers draw it as "no data"); a
/// degenerate range (hi <= lo) gives 0 for every finite v, as matplotlib.colors.Normalize does for
/// vmin == vmax.
double normalize(double v, ValueRange range);

}  // namespace voxflow::viz
