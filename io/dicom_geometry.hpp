#pragma once
// DICOM patient geometry (LPS, ImageOrientationPatient / ImagePositionPatient) <-> voxflow's
// RAS affine (private to io/dicom_*.cpp). Source: DICOM PS3.3 C.7.6.2.1.1 (Image Position and
// Image Orientation), with the voxel index i along a row (column index, x), j down a column
// (row index, y), k along the slices; RAS = LPS with the first two axes negated.
#include <array>
#include <string>

#include "src/core/grid.hpp"

namespace voxflow::io::dicom {

using Vec3 = std::array<double, 3>;

/// Unit normal of the image plane: row direction x column direction (the first and last three
/// values of ImageOrientationPatient). Throws InputError (naming `path`) when the two are not
/// unit-length and orthogonal to 1e-3.
Vec3 slice_normal(const std::array<double, 6>& orientation, const std::string& path);

double dot(const Vec3& a, const Vec3& b);

/// RAS affine: column 0 = row direction * dx, column 1 = column direction * dy, column 2 =
/// slice_direction * dz, column 3 = position of voxel (0,0,0); all given in LPS (mm) and
/// converted to RAS by negating the first two rows.
Affine dicom_affine_ras(const std::array<double, 6>& orientation, const Vec3& slice_direction,
                        const Vec3& position_lps, const std::array<double, 3>& spacing_mm);

/// The inverse: what a writer puts in the tags for a grid's RAS affine.
///  orientation  ImageOrientationPatient (unit row and column directions, LPS)
///  spacing_mm   column norms of the affine (dx, dy, dz)
///  origin_lps   ImagePositionPatient of slice 0
///  slice_step_lps position difference from slice k to k+1 (affine column 2 in LPS)
struct DicomPlaneGeometry {
  std::array<double, 6> orientation{};
  std::array<double, 3> spacing_mm{};
  Vec3 origin_lps{};
  Vec3 slice_step_lps{};
  /// ImagePositionPatient of slice k
  Vec3 position_of_slice(double k) const;
};

/// Throws InternalError when a column of the affine's 3x3 part is zero or not finite, or when
/// columns 0 and 1 are not orthogonal (to 1e-4 in cosine).
DicomPlaneGeometry dicom_geometry_from_affine(const Affine& affine_ras);

}  // namespace voxflow::io::dicom
