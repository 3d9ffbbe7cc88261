#include "src/vessel/polar_dp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "src/core/error.hpp"

namespace voxflow::vessel {

PolarDpResult polar_dp_closed(const std::vector<double>& cost, int A, int R, int s, const std::vector<int>& lower,
                              const std::vector<int>& upper) {
  if (A < 1 || R < 1 || cost.size() != static_cast<size_t>(A) * static_cast<size_t>(R))
    throw InputError("polar DP: the cost image must hold angles x radii values");
  if (s < 0) throw InputError("polar DP: the smoothness must be >= 0 samples");
  if ((!lower.empty() && lower.size() != static_cast<size_t>(A)) || (!upper.empty() && upper.size() != static_cast<size_t>(A)))
    throw InputError("polar DP: the radius bounds need one value per angle");
  const double inf = std::numeric_limits<double>::infinity();
  auto C = [&](int a, int i) -> double {
    if ((!lower.empty() && i < lower[static_cast<size_t>(a)]) || (!upper.empty() && i > upper[static_cast<size_t>(a)])) return inf;
    const double c = cost[static_cast<size_t>(a) * static_cast<size_t>(R) + static_cast<size_t>(i)];
    return std::isnan(c) ? inf : c;
  };
  PolarDpResult res;
  // backward open DP: B[a][i] = best cost of a path a..A-1 starting at i (lower bound per start)
  std::vector<double> B(static_cast<size_t>(R)), Bn(static_cast<size_t>(R));
  for (int i = 0; i < R; ++i) B[static_cast<size_t>(i)] = C(A - 1, i);
  for (int a = A - 2; a >= 0; --a) {
    for (int i = 0; i < R; ++i) {
      double m = inf;
      for (int j = std::max(0, i - s); j <= std::min(R - 1, i + s); ++j) m = std::min(m, B[static_cast<size_t>(j)]);
      Bn[static_cast<size_t>(i)] = C(a, i) + m;
    }
    std::swap(B, Bn);
  }
  std::vector<int> order(static_cast<size_t>(R));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return B[static_cast<size_t>(x)] < B[static_cast<size_t>(y)]; });
  double best = inf;
  int best_start = -1;
  std::vector<double> F(static_cast<size_t>(R)), Fn(static_cast<size_t>(R));
  std::vector<int> arg(static_cast<size_t>(A) * static_cast<size_t>(R), -1);
  std::vector<int> best_path;
  for (int r0 : order) {
    const double lb = B[static_cast<size_t>(r0)];
    if (!(lb < best)) break;  // no closed path through r0 (or a later start) can beat `best`
    ++res.starts_tried;
    // forward DP with r(0) = r0
    std::fill(F.begin(), F.end(), inf);
    F[static_cast<size_t>(r0)] = C(0, r0);
    for (int a = 1; a < A; ++a) {
      for (int i = 0; i < R; ++i) {
        double m = inf;
        int am = -1;
        for (int j = std::max(0, i - s); j <= std::min(R - 1, i + s); ++j)
          if (F[static_cast<size_t>(j)] < m) {
            m = F[static_cast<size_t>(j)];
            am = j;
          }
        Fn[static_cast<size_t>(i)] = am < 0 ? inf : C(a, i) + m;
        arg[static_cast<size_t>(a) * static_cast<size_t>(R) + static_cast<size_t>(i)] = am;
      }
      std::swap(F, Fn);
    }
    // close the loop: |r(A-1) - r0| <= s
    double m = inf;
    int end = -1;
    for (int j = std::max(0, r0 - s); j <= std::min(R - 1, r0 + s); ++j)
      if (F[static_cast<size_t>(j)] < m) {
        m = F[static_cast<size_t>(j)];
        end = j;
      }
    if (end >= 0 && m < best) {
      best = m;
      best_start = r0;
      best_path.assign(static_cast<size_t>(A), 0);
      int i = end;
      for (int a = A - 1; a >= 1; --a) {
        best_path[static_cast<size_t>(a)] = i;
        i = arg[static_cast<size_t>(a) * static_cast<size_t>(R) + static_cast<size_t>(i)];
      }
      best_path[0] = i;
    }
  }
  if (best_start >= 0 && std::isfinite(best)) {
    res.radius_index = std::move(best_path);
    res.cost = best;
  }
  return res;
}

std::vector<double> subsample_refine(const std::vector<double>& cost, int A, int R, const std::vector<int>& path) {
  std::vector<double> out(path.size());
  for (size_t a = 0; a < path.size(); ++a) {
    const int i = path[a];
    out[a] = i;
    if (i <= 0 || i >= R - 1) continue;
    const double* c = &cost[a * static_cast<size_t>(R)];
    const double cm = c[i - 1], c0 = c[i], cp = c[i + 1];
    const double den = cm - 2.0 * c0 + cp;
    if (!(std::isfinite(cm) && std::isfinite(cp) && den > 0.0)) continue;
    out[a] = i + std::clamp(0.5 * (cm - cp) / den, -0.5, 0.5);
  }
  (void)A;
  return out;
}

}  // namespace voxflow::vessel
