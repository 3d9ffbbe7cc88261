#include "io/dicom_geometry.hpp"

#include <cmath>
#include <string>

#include "src/core/error.hpp"

namespace voxflow::io::dicom {

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

Vec3 slice_normal(const std::array<double, 6>& o, const std::string& path) {
  const Vec3 r{o[0], o[1], o[2]}, c{o[3], o[4], o[5]};
  if (std::fabs(dot(r, r) - 1.0) > 1e-3 || std::fabs(dot(c, c) - 1.0) > 1e-3 || std::fabs(dot(r, c)) > 1e-3)
    throw InputError(path + ": ImageOrientationPatient is not two orthogonal unit vectors");
  return {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
}

Affine dicom_affine_ras(const std::array<double, 6>& o, const Vec3& slice_direction, const Vec3& position_lps,
                        const std::array<double, 3>& spacing_mm) {
  Affine a = Grid::identity_affine();
  for (int r = 0; r < 3; ++r) {
    const double sign = r < 2 ? -1.0 : 1.0;  // LPS -> RAS
    a[r][0] = sign * o[r] * spacing_mm[0];
    a[r][1] = sign * o[3 + r] * spacing_mm[1];
    a[r][2] = sign * slice_direction[r] * spacing_mm[2];
    a[r][3] = sign * position_lps[r];
  }
  return a;
}

Vec3 DicomPlaneGeometry::position_of_slice(double k) const {
  return {origin_lps[0] + k * slice_step_lps[0], origin_lps[1] + k * slice_step_lps[1],
          origin_lps[2] + k * slice_step_lps[2]};
}

DicomPlaneGeometry dicom_geometry_from_affine(const Affine& a) {
  DicomPlaneGeometry g;
  const std::array<double, 3> sp = spacing_from_affine(a);
  for (int c = 0; c < 3; ++c)
    if (!(sp[c] > 0.0) || !std::isfinite(sp[c]))
      throw InternalError("DICOM writer: affine column " + std::to_string(c) + " is zero or not finite");
  g.spacing_mm = sp;
  for (int r = 0; r < 3; ++r) {
    const double sign = r < 2 ? -1.0 : 1.0;  // RAS -> LPS
    g.orientation[r] = sign * a[r][0] / sp[0];
    g.orientation[3 + r] = sign * a[r][1] / sp[1];
    g.slice_step_lps[r] = sign * a[r][2];
    g.origin_lps[r] = sign * a[r][3];
  }
  const auto& o = g.orientation;
  if (std::fabs(o[0] * o[3] + o[1] * o[4] + o[2] * o[5]) > 1e-4)
    throw InternalError("DICOM writer: affine columns 0 and 1 are not orthogonal (DICOM cannot store a sheared grid)");
  return g;
}

}  // namespace voxflow::io::dicom
