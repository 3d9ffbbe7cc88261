#pragma once
// Otsu threshold of a distributed volume (skimage.filters.threshold_otsu, nbins = 256) and the
// TIA body mask built on it (TIA_SPEC.md §7; PyTIA design: mask of the summed image).
#include <array>
#include <cstdint>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::filters {

/// Number of histogram bins of the Otsu threshold (skimage's default nbins).
constexpr int kOtsuBins = 256;

/// Global histogram of the finite owned voxels of a distributed volume, binned exactly as
/// numpy.histogram(values, bins=256) bins a float32 array (numpy 1.24, the Debian 12 version):
/// range [min, max] of the values; edges e_k = float32(double(min) + k * ((double(max) -
/// double(min)) / 256)), e_256 = max; index = int(float32((v - min) / (max - min)) * 256) in
/// float32 arithmetic, then numpy's +-1 corrections so that e_k <= v < e_{k+1} (the last bin
/// includes max). Bin centres are float32((e_k + e_{k+1}) / 2) computed in float32.
/// n_finite == 0: counts all 0. min == max: every voxel in one value (no histogram needed).
struct OtsuHistogram {
  float min = 0.0f, max = 0.0f;
  std::int64_t n_finite = 0;
  std::array<std::int64_t, kOtsuBins> counts{};
  std::array<float, kOtsuBins + 1> edges{};
  std::array<float, kOtsuBins> centers{};
};

/// Histogram of the owned voxels of all ranks (halo planes ignored). Non-finite values (NaN,
/// +-inf) are skipped. Global min/max by MPI_Allreduce (MIN/MAX of float), counts by
/// MPI_Allreduce (SUM of int64): the result does not depend on the number of ranks.
/// Collective over comm. Kokkos parallel_reduce / parallel_for with atomic increments.
OtsuHistogram otsu_histogram(const Volume3D& vol, const Comm& comm);

/// Otsu threshold from a histogram, as skimage.filters.threshold_otsu (scikit-image
/// skimage/filters/thresholding.py, v0.19-0.22):
///   weight1 = cumsum(counts); weight2 = reverse cumsum; mean1 = cumsum(counts*centres)/weight1;
///   mean2 = reverse cumsum(counts*centres)/weight2 (double, sequential cumulative sums);
///   variance12 = weight1[:-1] * weight2[1:] * (mean1[:-1] - mean2[1:])^2;
///   threshold = centres[first argmax(variance12)].
/// When min == max (skimage: all values equal) the threshold is that value.
/// Throws InputError when there is no finite value at all.
double otsu_from_histogram(const OtsuHistogram& h);

/// Otsu threshold (a float32 value, returned as double) of the finite owned voxels of a
/// distributed Volume3D, identical on every rank and for any number of ranks.
/// Collective over comm. Throws InputError (on all ranks) when no voxel is finite.
double otsu_threshold(const Volume3D& vol, const Comm& comm);

/// Number of voxels != 0 in the owned planes of all ranks (a mask's size). Collective.
std::int64_t count_nonzero(const Volume3D& vol, const Comm& comm);

}  // namespace voxflow::filters
