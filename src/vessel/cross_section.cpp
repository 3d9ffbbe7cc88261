#include "src/vessel/cross_section.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <limits>

#include "src/core/error.hpp"

namespace voxflow::vessel {

double trilinear(const PlaneBlock& b, const Point3& p) {
  const auto& d = b.grid.dims;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!(std::isfinite(p[0]) && std::isfinite(p[1]) && std::isfinite(p[2]))) return nan;
  const double fi = std::floor(p[0]), fj = std::floor(p[1]), fk = std::floor(p[2]);
  std::int64_t i0 = static_cast<std::int64_t>(fi), j0 = static_cast<std::int64_t>(fj), k0 = static_cast<std::int64_t>(fk);
  double ai = p[0] - fi, aj = p[1] - fj, ak = p[2] - fk;
  // a point exactly on the last plane is inside
  if (i0 == d[0] - 1 && ai == 0.0) { i0 -= 1; ai = 1.0; }
  if (j0 == d[1] - 1 && aj == 0.0) { j0 -= 1; aj = 1.0; }
  if (k0 == d[2] - 1 && ak == 0.0) { k0 -= 1; ak = 1.0; }
  if (i0 < 0 || j0 < 0 || k0 < 0 || i0 + 1 >= d[0] || j0 + 1 >= d[1] || k0 + 1 >= d[2]) return nan;
  if (!b.has(i0, j0, k0) || !b.has(i0 + 1, j0 + 1, k0 + 1)) return nan;
  double v = 0.0;
  for (int c = 0; c < 8; ++c) {
    const int di = c & 1, dj = (c >> 1) & 1, dk = (c >> 2) & 1;
    const double w = (di ? ai : 1 - ai) * (dj ? aj : 1 - aj) * (dk ? ak : 1 - ak);
    if (w != 0.0) v += w * b.at(i0 + di, j0 + dj, k0 + dk);
  }
  return v;
}

WorldToVoxel::WorldToVoxel(const Affine& a) {
  Eigen::Matrix4d M;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) M(r, c) = a[static_cast<size_t>(r)][static_cast<size_t>(c)];
  if (!(std::fabs(M.topLeftCorner<3, 3>().determinant()) > 1e-12)) throw InputError("vessel: the image affine is singular");
  const Eigen::Matrix4d inv = M.inverse();
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) m[r][c] = inv(r, c);
}

std::vector<float> cross_section_image(const PlaneBlock& block, const WorldToVoxel& w2v, const Point3& centre,
                                       const Frame& frame, double size_mm, double spacing_mm, int* size_out) {
  if (!(size_mm > 0.0) || !(spacing_mm > 0.0)) throw InputError("vessel: the section size and spacing must be > 0 mm");
  int n = static_cast<int>(std::lround(size_mm / spacing_mm));
  if (n % 2 == 0) ++n;
  std::vector<float> img(static_cast<size_t>(n) * static_cast<size_t>(n));
  const double h = 0.5 * (n - 1);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c)
      img[static_cast<size_t>(r) * static_cast<size_t>(n) + static_cast<size_t>(c)] = static_cast<float>(
          trilinear(block, w2v(plane_point(centre, frame, (c - h) * spacing_mm, (r - h) * spacing_mm))));
  if (size_out) *size_out = n;
  return img;
}

void voxel_box_of_disc(const WorldToVoxel& w2v, const Point3& centre, const Frame& f, double reach,
                       std::array<double, 3>* box_min, std::array<double, 3>* box_max) {
  // voxel coordinates are affine in (u, v): c + u a + v b; over the disc: c +- reach |(a_x, b_x)|
  const Point3 c = w2v(centre);
  const Point3 a = v_sub(w2v(plane_point(centre, f, 1.0, 0.0)), c), b = v_sub(w2v(plane_point(centre, f, 0.0, 1.0)), c);
  for (size_t k = 0; k < 3; ++k) {
    const double e = reach * std::sqrt(a[k] * a[k] + b[k] * b[k]);
    (*box_min)[k] = std::floor(c[k] - e) - 1.0;
    (*box_max)[k] = std::ceil(c[k] + e) + 1.0;
  }
}

}  // namespace voxflow::vessel
