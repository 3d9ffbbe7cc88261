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
  /// Volume of one voxel in ml: |det| of the affine's 3x3 part (mm^3) / 1000.
  double voxel_volume_ml() const;
  /// "128 x 128 x 9 (x 60)" for messages
  std::string describe() const;

  static Affine identity_affine();
  /// Diagonal affine with the given spacing (origin at voxel 0).
  static Affine scaling_affine(const std::array<double, 3>& spacing_mm);
};

/// Tolerance of every input-geometry check (mask, label map, time points against the reference
/// image): each affine entry may differ by this much (mm for the origin, mm per voxel for the
/// 3x3 part). NIfTI stores the sform in float32, so 1e-3 mm absorbs its rounding at 1 m from the
/// origin while a real shift or flip is far larger.
constexpr double kGeometryTolMm = 1e-3;

/// Empty when `other` lies on `reference`'s voxel grid: the same dims (x, y, z; time points are
/// not compared) and every affine entry within tol_mm. Otherwise one phrase naming the first
/// difference, e.g. "64 x 64 x 8 voxels instead of 64 x 64 x 9", "axis y is flipped",
/// "the origin is shifted by (0, 0, 2.5) mm", "affine[0][1] is 0.1 instead of 0".
std::string describe_grid_difference(const Grid& reference, const Grid& other, double tol_mm = kGeometryTolMm);

/// The one input-geometry check of every command. Throws InputError
/// "<other_name> is not on the grid of <reference_name>: <difference>" when
/// describe_grid_difference is not empty.
void require_same_grid(const Grid& reference, const std::string& reference_name, const Grid& other,
                       const std::string& other_name, double tol_mm = kGeometryTolMm);

/// Spacing (column norms of the affine's 3x3 part), in mm.
std::array<double, 3> spacing_from_affine(const Affine& affine);

}  // namespace voxflow
