#include "src/core/grid.hpp"

#include <cmath>
#include <sstream>

#include "src/core/error.hpp"

namespace voxflow {

Affine Grid::identity_affine() {
  Affine a{};
  for (int i = 0; i < 4; ++i) a[i][i] = 1.0;
  return a;
}

Affine Grid::scaling_affine(const std::array<double, 3>& spacing_mm) {
  Affine a = identity_affine();
  for (int i = 0; i < 3; ++i) a[i][i] = spacing_mm[i];
  return a;
}

bool Grid::same_geometry(const Grid& o, double tol_mm) const {
  if (dims != o.dims || nt != o.nt) return false;
  for (int i = 0; i < 3; ++i)
    if (std::fabs(spacing_mm[i] - o.spacing_mm[i]) > tol_mm) return false;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      if (std::fabs(affine[r][c] - o.affine[r][c]) > tol_mm) return false;
  return true;
}

double Grid::voxel_volume_ml() const {
  const auto& A = affine;
  const double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                     A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
  return std::fabs(det) / 1000.0;
}

std::string Grid::describe() const {
  std::ostringstream s;
  s << dims[0] << " x " << dims[1] << " x " << dims[2];
  if (nt > 1) s << " x " << nt;
  return s.str();
}

std::string describe_grid_difference(const Grid& ref, const Grid& o, double tol_mm) {
  if (ref.dims != o.dims) {
    Grid a = ref, b = o;
    a.nt = b.nt = 1;
    return b.describe() + " voxels instead of " + a.describe();
  }
  auto fmt = [](double x) {
    std::ostringstream s;
    s << (std::fabs(x) < 5e-13 ? 0.0 : x);
    return s.str();
  };
  static const char* axis[3] = {"x", "y", "z"};
  for (int c = 0; c < 3; ++c) {
    bool flipped = true, differs = false;
    for (int r = 0; r < 3; ++r) {
      if (std::fabs(ref.affine[r][c] - o.affine[r][c]) > tol_mm) differs = true;
      if (std::fabs(ref.affine[r][c] + o.affine[r][c]) > tol_mm) flipped = false;
    }
    if (differs && flipped) return std::string("axis ") + axis[c] + " is flipped";
  }
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      if (std::fabs(ref.affine[r][c] - o.affine[r][c]) > tol_mm)
        return "affine[" + std::to_string(r) + "][" + std::to_string(c) + "] is " + fmt(o.affine[r][c]) + " instead of " +
               fmt(ref.affine[r][c]);
  bool shifted = false;
  for (int r = 0; r < 3; ++r) shifted = shifted || std::fabs(ref.affine[r][3] - o.affine[r][3]) > tol_mm;
  if (shifted)
    return "the origin is shifted by (" + fmt(o.affine[0][3] - ref.affine[0][3]) + ", " + fmt(o.affine[1][3] - ref.affine[1][3]) +
           ", " + fmt(o.affine[2][3] - ref.affine[2][3]) + ") mm";
  return "";
}

void require_same_grid(const Grid& reference, const std::string& reference_name, const Grid& other,
                       const std::string& other_name, double tol_mm) {
  const std::string d = describe_grid_difference(reference, other, tol_mm);
  if (!d.empty()) throw InputError(other_name + " is not on the grid of " + reference_name + ": " + d);
}

std::array<double, 3> spacing_from_affine(const Affine& a) {
  std::array<double, 3> s{};
  for (int c = 0; c < 3; ++c)
    s[c] = std::sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
  return s;
}

}  // namespace voxflow
