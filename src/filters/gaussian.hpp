#pragma once
// Separable Gaussian filter of a distributed volume, identical to
// scipy.ndimage.gaussian_filter(input, sigma, mode='reflect', truncate=4.0) on the whole volume
// (TIA_SPEC.md §7), whatever the number of ranks.
#include <array>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

namespace voxflow::filters {

/// Kernel radius of scipy.ndimage.gaussian_filter1d: int(truncate * sigma + 0.5), in voxels.
/// Throws InputError for a negative or non-finite sigma or truncate.
int gaussian_radius(double sigma_vox, double truncate = 4.0);

/// The 2r+1 normalised weights of scipy.ndimage._filters._gaussian_kernel1d(sigma, 0, r):
/// phi(x) = exp(-0.5 / sigma^2 * x^2), x = -r..r, divided by their sum (summed as numpy's
/// np.sum of float64: first element plus the pairwise sum of the rest). Index x + r.
std::vector<double> gaussian_kernel1d(double sigma_vox, int radius);

/// Sigma per axis in voxels from a sigma in mm: sigma_mm / spacing_mm[axis].
/// Throws InputError for a non-positive spacing or a negative / non-finite sigma_mm.
std::array<double, 3> sigma_mm_to_vox(double sigma_mm, const std::array<double, 3>& spacing_mm);

/// A separable Gaussian for volumes of one grid and slab decomposition; holds the weights and
/// its work buffers (two 3D float volumes of the slab, one with a halo of the z radius), so one
/// filter can be applied to many volumes (e.g. every time point) without reallocating.
///
/// Semantics (scipy.ndimage.gaussian_filter, scipy 1.10, with a float32 input and output):
///  - axes filtered in the order x, y, z (axis 0, 1, 2 of a nibabel array indexed [x, y, z]);
///    an axis with sigma <= 1e-15 is skipped, like scipy;
///  - each 1D pass accumulates in double in scipy's order for symmetric kernels
///    (NI_Correlate1D: out = w0 * in[i]; then for d = r..1: out += (in[i-d] + in[i+d]) * w_d)
///    and rounds the result to float32 before the next axis (scipy's output array is float32);
///  - boundary 'reflect' (d c b a | a b c d), repeated for radii longer than the axis
///    (period 2n), for x, y in the plane and for z across ranks: the z pass reads halo planes of
///    width r_z filled by exchange_halo (r_z may exceed a neighbour's slab, or the whole nz),
///    and reflects at global z = 0 and z = nz-1.
/// Results are bitwise identical for any number of ranks (each voxel's arithmetic does not
/// depend on the decomposition), and equal scipy's to float32 rounding (exp of the weights may
/// differ by an ulp from numpy's).
class GaussianFilter {
 public:
  /// layout: grid and slab of the volumes to filter (its halo is not used). sigma_vox >= 0.
  /// Throws InputError for a negative or non-finite sigma or truncate.
  GaussianFilter(const SlabLayout& layout, const std::array<double, 3>& sigma_vox, double truncate = 4.0);

  /// out = G(in) on the owned voxels; `in` and `out` must have this filter's grid dims and slab
  /// (any halo each; their halo planes are not read / not written). `in` and `out` may be the
  /// same volume. Collective over comm (halo exchange, even on a rank with no plane).
  /// Throws InternalError for a volume of another grid or slab, or an MPI failure.
  void apply(const Volume3D& in, Volume3D& out, const Comm& comm);

  const std::array<int, 3>& radius() const { return radius_; }
  const std::array<double, 3>& sigma_vox() const { return sigma_; }

 private:
  SlabLayout layout_;
  std::array<double, 3> sigma_{};
  std::array<int, 3> radius_{};
  std::array<bool, 3> active_{};
  std::array<Kokkos::View<double*>, 3> half_weights_;  // w_d, d = 0..r
  Volume3D work_a_, work_b_;                          // work_b_ has halo r_z
};

/// out = scipy.ndimage.gaussian_filter(in, sigma_vox, mode='reflect', truncate) as above, on a
/// new volume with the input's layout (halo planes 0). Collective over comm.
Volume3D gaussian_filter(const Volume3D& in, const std::array<double, 3>& sigma_vox, const Comm& comm,
                         double truncate = 4.0);

}  // namespace voxflow::filters
