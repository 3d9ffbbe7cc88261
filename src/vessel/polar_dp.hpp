#pragma once
// Minimal-cost closed boundary r(theta) in a polar cost image by dynamic programming (the seed's
// dp_min_path, Viterbi over angle), with the closed-loop constraint r(0) = r(360 deg) exact: the
// boundary is a cycle theta_0 .. theta_{A-1}, theta_0 whose every step (the seam
// theta_{A-1} -> theta_0 included) changes r by at most `smoothness` radial samples.
//
// Exactness: for a fixed start radius r_0 the forward DP with the end restricted to
// |r_{A-1} - r_0| <= smoothness is the optimum over closed boundaries through r_0 (Sun & Pallottino
// 2003, "Circular shortest path in images", Pattern Recognit. 36:709). Running it for every r_0
// is O(R^2 A s); a backward open DP gives for every r_0 the cost of the best open path from
// r_0, a lower bound on the closed ones, so the starts are tried in increasing order of that
// bound and the search stops when the bound reaches the best closed cost (branch and bound: the
// result is the same as trying every start, usually after 1-3 starts).
#include <vector>

namespace voxflow::vessel {

struct PolarDpResult {
  std::vector<int> radius_index;  // one per angle; empty when no boundary satisfies the bounds
  double cost = 0.0;              // sum of the cost along the boundary
  int starts_tried = 0;           // closed DPs run (for the benchmark)
};

/// cost[a * radii + i] for angle a in [0, angles), radius index i in [0, radii); lower/upper
/// (empty or one per angle): allowed radius indices lower[a] <= i <= upper[a] (the nesting
/// r_outer >= r_lumen + min wall is lower = lumen + wall samples). smoothness >= 0 samples per
/// angle step. Ties go to the smaller radius index, then the earlier start (deterministic).
/// Throws InputError for a cost of the wrong size, smoothness < 0, or bounds of the wrong size.
PolarDpResult polar_dp_closed(const std::vector<double>& cost, int angles, int radii, int smoothness,
                              const std::vector<int>& lower = {}, const std::vector<int>& upper = {});

/// Sub-sample position of each boundary point: a parabola through the cost at i-1, i, i+1 (where
/// both exist and the parabola opens upwards), offset clamped to [-0.5, 0.5] samples. Returns
/// radii in samples (double).
std::vector<double> subsample_refine(const std::vector<double>& cost, int angles, int radii, const std::vector<int>& path);

}  // namespace voxflow::vessel
