#pragma once
// Residual bootstrap of the TIA (TIA spec §6; PyTIA design §9): counter-based random draws
// (splitmix64 keyed by seed, voxel, replicate and time index) so that the result does not
// depend on the number of ranks, the chunking or the back-end.
#include <Kokkos_Core.hpp>
#include <cstdint>

#include "src/core/splitmix64.hpp"
#include "src/tia/tia_math.hpp"
#include "src/tia/tia_types.hpp"
#include "src/tia/voxel_tia.hpp"

namespace voxflow::tia {


/// Random key of draw (replicate b, time index i) for a voxel (TIA spec §6):
/// splitmix64(splitmix64(splitmix64(seed) ^ voxel) ^ ((b << 8) | i)); voxel = global NIfTI
/// linear index x + nx (y + ny z) (region mode: 2^63 + label); 0 <= i < 256.
KOKKOS_INLINE_FUNCTION std::uint64_t bootstrap_key(std::uint64_t seed, std::uint64_t voxel,
                                                   std::uint64_t b, std::uint64_t i) {
  return splitmix64(splitmix64(splitmix64(seed) ^ voxel) ^ ((b << 8) | i));
}

/// Bootstrap standard deviation of the TIA of one curve (Bq*s). t_s[n], a_bq[n]: the curve as
/// given to fit_tac (s, Bq per voxel); baseline: its fit (fit_tac or fit_tac_with_model).
/// Baseline prediction Ahat0_i at all n times, residuals r_k = a_k - Ahat0_k over the valid
/// points k (time order, m of them); replicate b: A*_i = max(Ahat0_i + r_j, 0) with
/// j = bootstrap_key(seed, voxel_id, b, i) % m, then fit_tac (reclassify: floor, class, model
/// choice again) or fit_tac_with_model(baseline.model, class kept); sigma = population standard
/// deviation (ddof 0, Welford's running update) of TIA* over the replicates with status 1.
/// Returns NaN when the baseline is not ok, replicates < 2, or fewer than 2 replicates
/// succeeded. Source: TIA spec §6, PyTIA design §9.1.
KOKKOS_INLINE_FUNCTION double bootstrap_sigma(const double* t_s, const double* a_bq, int n,
                                              const TiaFitOptions& opt, const TacResult& baseline,
                                              int replicates, std::uint64_t seed,
                                              std::uint64_t voxel_id, bool reclassify) {
  if (baseline.status != kStatusOk || n > kTiaMaxTimePoints || n < 1) return tmath::nan();
  double resid[kTiaMaxTimePoints];
  int m = 0;
  for (int i = 0; i < n; ++i) {
    if (baseline.valid[i]) resid[m++] = a_bq[i] - baseline.prediction[i];
  }
  if (m < 1) return tmath::nan();
  const std::uint64_t key0 = splitmix64(splitmix64(seed) ^ voxel_id);
  double star[kTiaMaxTimePoints];
  TimeLogTable logs;
  int count = 0;
  double mean = 0.0, m2 = 0.0;
  for (int b = 0; b < replicates; ++b) {
    const std::uint64_t bb = static_cast<std::uint64_t>(b) << 8;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t key = splitmix64(key0 ^ (bb | static_cast<std::uint64_t>(i)));
      const int j = static_cast<int>(key % static_cast<std::uint64_t>(m));
      const double v = baseline.prediction[i] + resid[j];
      star[i] = v > 0.0 ? v : 0.0;
    }
    // fit_tac / fit_tac_with_model reduced to what is used here (status and TIA)
    double tia;
    if (fit_tac_tia(t_s, star, n, opt, reclassify, baseline.model, logs, tia) != kStatusOk) {
      continue;
    }
    ++count;
    const double d = tia - mean;
    mean += d / count;
    m2 += d * (tia - mean);
  }
  if (count < 2) return tmath::nan();
  return tmath::sqrt(m2 / count);
}

}  // namespace voxflow::tia
