#include "src/core/grid.hpp"

#include <cmath>
#include <sstream>

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

std::string Grid::describe() const {
  std::ostringstream s;
  s << dims[0] << " x " << dims[1] << " x " << dims[2];
  if (nt > 1) s << " x " << nt;
  return s.str();
}

std::array<double, 3> spacing_from_affine(const Affine& a) {
  std::array<double, 3> s{};
  for (int c = 0; c < 3; ++c)
    s[c] = std::sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
  return s;
}

}  // namespace voxflow
