#pragma once
// Grid: the geometry every voxflow volume lives on.
#include <array>
#include <cstdint>
#include <string>

namespace voxflow {

using Affine = std::array<std::array<double, 4>, 4>;

/// Geometry of a (possibly 4D) image.
///  dims       voxels along x (fastest), y, z (slowest in memory and files)
///  nt         time points (1 for a 3D volume)
///  spacing_mm voxel size along x, y, z in millimetres
///  affine     4x4 voxel index (i, j, k, 1) -> world (x, y, z, 1) in mm, NIfTI RAS+ convention
///             (the sform of NIfTI; DICOM's LPS is converted by the readers).
struct Grid {
  std::array<std::int64_t, 3> dims{0, 0, 0};
  std::int64_t nt = 1;
  std::array<double, 3> spacing_mm{1.0, 1.0, 1.0};
  Affine affine = identity_affine();

  std::int64_t nx() const { return dims[0]; }
  std::int64_t ny() const { return dims[1]; }
  std::int64_t nz() const { return dims[2]; }
  /// voxels of one xy-plane
  std::int64_t plane_size() const { return dims[0] * dims[1]; }
  /// voxels of the 3D volume
  std::int64_t n_voxels() const { return dims[0] * dims[1] * dims[2]; }
  /// same dims, nt, spacing and affine (to 1e-4 mm)
  bool same_geometry(const Grid& other, double tol_mm = 1e-4) const;
  /// "128 x 128 x 9 (x 60)" for messages
  std::string describe() const;

  static Affine identity_affine();
  /// Diagonal affine with the given spacing (origin at voxel 0).
  static Affine scaling_affine(const std::array<double, 3>& spacing_mm);
};

/// Spacing (column norms of the affine's 3x3 part), in mm.
std::array<double, 3> spacing_from_affine(const Affine& affine);

}  // namespace voxflow
