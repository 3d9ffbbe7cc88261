#include "src/vessel/centerline.hpp"

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "src/core/error.hpp"

namespace voxflow::vessel {

Point3 voxel_to_world(const Affine& A, const Point3& v) {
  Point3 w{};
  for (size_t r = 0; r < 3; ++r) w[r] = A[r][0] * v[0] + A[r][1] * v[1] + A[r][2] * v[2] + A[r][3];
  return w;
}

Point3 world_to_voxel(const Affine& A, const Point3& x) {
  Eigen::Matrix3d M;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) M(r, c) = A[static_cast<size_t>(r)][static_cast<size_t>(c)];
  const Eigen::Vector3d b(x[0] - A[0][3], x[1] - A[1][3], x[2] - A[2][3]);
  Eigen::FullPivLU<Eigen::Matrix3d> lu(M);
  if (!lu.isInvertible()) throw InputError("the image affine is singular: world coordinates cannot be mapped to voxels");
  const Eigen::Vector3d v = lu.solve(b);
  return {v(0), v(1), v(2)};
}

namespace {

/// Natural cubic spline given knot values g and second derivatives gamma (gamma_0 = gamma_n-1 = 0).
struct CubicSpline {
  std::vector<double> t;
  std::vector<Point3> g, gamma;

  Point3 eval(double x) const {
    const size_t n = t.size();
    if (n == 1) return g[0];
    size_t i = static_cast<size_t>(std::upper_bound(t.begin(), t.end(), x) - t.begin());
    i = i == 0 ? 0 : i - 1;
    if (i >= n - 1) i = n - 2;
    const double h = t[i + 1] - t[i], a = x - t[i], b = t[i + 1] - x;
    Point3 out{};
    for (size_t c = 0; c < 3; ++c)
      out[c] = (a * g[i + 1][c] + b * g[i][c]) / h -
               a * b / 6.0 * ((1.0 + a / h) * gamma[i + 1][c] + (1.0 + b / h) * gamma[i][c]);
    return out;
  }
};

/// Reinsch smoothing spline (Green & Silverman 1994, section 2.3.3): (R + lambda Q^T W^-1 Q) gamma
/// = Q^T y, g = y - lambda W^-1 Q gamma, for each coordinate.
CubicSpline smoothing_spline(const std::vector<double>& t, const std::vector<Point3>& y, const std::vector<double>& w,
                             double lambda) {
  const int n = static_cast<int>(t.size());
  CubicSpline s;
  s.t = t;
  s.g = y;
  s.gamma.assign(t.size(), Point3{0, 0, 0});
  if (n < 3) return s;
  std::vector<double> h(static_cast<size_t>(n - 1));
  for (int i = 0; i < n - 1; ++i) h[static_cast<size_t>(i)] = t[static_cast<size_t>(i + 1)] - t[static_cast<size_t>(i)];
  const int m = n - 2;
  Eigen::SparseMatrix<double> Q(n, m), R(m, m);
  std::vector<Eigen::Triplet<double>> qt, rt;
  for (int j = 0; j < m; ++j) {
    const double h0 = h[static_cast<size_t>(j)], h1 = h[static_cast<size_t>(j + 1)];
    qt.emplace_back(j, j, 1.0 / h0);
    qt.emplace_back(j + 1, j, -1.0 / h0 - 1.0 / h1);
    qt.emplace_back(j + 2, j, 1.0 / h1);
    rt.emplace_back(j, j, (h0 + h1) / 3.0);
    if (j + 1 < m) {
      rt.emplace_back(j, j + 1, h1 / 6.0);
      rt.emplace_back(j + 1, j, h1 / 6.0);
    }
  }
  Q.setFromTriplets(qt.begin(), qt.end());
  R.setFromTriplets(rt.begin(), rt.end());
  Eigen::SparseMatrix<double> Winv(n, n);
  {
    std::vector<Eigen::Triplet<double>> wt;
    for (int i = 0; i < n; ++i) wt.emplace_back(i, i, 1.0 / w[static_cast<size_t>(i)]);
    Winv.setFromTriplets(wt.begin(), wt.end());
  }
  Eigen::SparseMatrix<double> Qt = Q.transpose();
  Eigen::SparseMatrix<double> A = R + lambda * (Qt * Winv * Q);
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(A);
  if (ldlt.info() != Eigen::Success) throw InternalError("centerline: smoothing spline system is singular");
  for (int c = 0; c < 3; ++c) {
    Eigen::VectorXd yc(n);
    for (int i = 0; i < n; ++i) yc(i) = y[static_cast<size_t>(i)][static_cast<size_t>(c)];
    const Eigen::VectorXd gam = ldlt.solve(Qt * yc);
    const Eigen::VectorXd gv = yc - lambda * (Winv * (Q * gam));
    for (int i = 0; i < n; ++i) s.g[static_cast<size_t>(i)][static_cast<size_t>(c)] = gv(i);
    for (int j = 0; j < m; ++j) s.gamma[static_cast<size_t>(j + 1)][static_cast<size_t>(c)] = gam(j);
  }
  return s;
}

double dist(const Point3& a, const Point3& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

}  // namespace

Centerline smooth_and_resample(const std::vector<Point3>& pts_in, const CenterlineOptions& o) {
  if (pts_in.empty()) throw InputError("centerline: no points");
  if (!(o.sample_spacing_mm > 0.0) || !std::isfinite(o.sample_spacing_mm))
    throw InputError("centerline: the sample spacing must be > 0 mm");
  if (!(o.smoothing_mm >= 0.0) || !std::isfinite(o.smoothing_mm))
    throw InputError("centerline: the smoothing length must be >= 0 mm");
  std::vector<Point3> pts;
  std::vector<double> t;
  for (const Point3& p : pts_in) {
    if (!pts.empty() && dist(p, pts.back()) < 1e-9) continue;
    t.push_back(pts.empty() ? 0.0 : t.back() + dist(p, pts.back()));
    pts.push_back(p);
  }
  Centerline line;
  const size_t n = pts.size();
  if (n == 1) {
    line.points_mm = pts;
    line.arc_length_mm = {0.0};
    line.radius_mm = {std::numeric_limits<double>::quiet_NaN()};
    return line;
  }
  // dense evaluation of the curve, then fixed arc-length samples along it
  std::vector<Point3> dense;
  if (n < 4) {
    dense = pts;
  } else {
    std::vector<double> w(n, 1.0);
    w.front() = w.back() = 1e6;
    const double lambda = std::pow(o.smoothing_mm, 4) / (t.back() / double(n - 1));
    const CubicSpline s = smoothing_spline(t, pts, w, lambda);
    const int per = 8;
    for (size_t i = 0; i + 1 < n; ++i)
      for (int k = 0; k < per; ++k) dense.push_back(s.eval(t[i] + (t[i + 1] - t[i]) * k / per));
    dense.push_back(s.eval(t.back()));
  }
  std::vector<double> s(dense.size(), 0.0);
  for (size_t i = 1; i < dense.size(); ++i) s[i] = s[i - 1] + dist(dense[i], dense[i - 1]);
  const double L = s.back();
  const std::int64_t nseg = static_cast<std::int64_t>(std::floor(L / o.sample_spacing_mm + 1e-9));
  size_t seg = 0;
  for (std::int64_t k = 0; k <= nseg; ++k) {
    const double target = std::min(L, double(k) * o.sample_spacing_mm);
    while (seg + 2 < dense.size() && s[seg + 1] < target) ++seg;
    const double ds = s[seg + 1] - s[seg];
    const double f = ds > 0.0 ? std::min(1.0, std::max(0.0, (target - s[seg]) / ds)) : 0.0;
    Point3 p{};
    for (size_t c = 0; c < 3; ++c) p[c] = dense[seg][c] + f * (dense[seg + 1][c] - dense[seg][c]);
    line.points_mm.push_back(p);
    line.arc_length_mm.push_back(target);
  }
  if (L - line.arc_length_mm.back() > 1e-9) {
    line.points_mm.push_back(dense.back());
    line.arc_length_mm.push_back(L);
  }
  line.radius_mm.assign(line.points_mm.size(), std::numeric_limits<double>::quiet_NaN());
  return line;
}

std::vector<double> sample_nearest(const Volume3D& vol, const std::vector<Point3>& pts, const Comm& comm) {
  const SlabLayout& L = vol.layout;
  auto h = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(h, vol.data);
  std::vector<double> val(pts.size(), 0.0), have(pts.size(), 0.0);
  for (size_t n = 0; n < pts.size(); ++n) {
    std::int64_t v[3];
    bool in = true;
    for (size_t a = 0; a < 3; ++a) {
      if (!std::isfinite(pts[n][a])) {
        in = false;
        break;
      }
      v[a] = std::llround(pts[n][a]);
      in = in && v[a] >= 0 && v[a] < L.grid.dims[a];
    }
    if (!in || !L.slab.owns(v[2])) continue;
    val[n] = static_cast<double>(h(L.index(v[0], v[1], L.slab.to_local(v[2]))));
    have[n] = 1.0;
  }
  if (!pts.empty()) {
    MPI_Allreduce(MPI_IN_PLACE, val.data(), static_cast<int>(val.size()), MPI_DOUBLE, MPI_SUM, comm.comm);
    MPI_Allreduce(MPI_IN_PLACE, have.data(), static_cast<int>(have.size()), MPI_DOUBLE, MPI_SUM, comm.comm);
  }
  for (size_t n = 0; n < pts.size(); ++n)
    if (have[n] == 0.0) val[n] = std::numeric_limits<double>::quiet_NaN();
  return val;
}

void attach_radius_from_scale(Centerline& line, const Volume3D& best_sigma, const Comm& comm) {
  const Grid& g = best_sigma.layout.grid;
  std::vector<Point3> vox;
  vox.reserve(line.points_mm.size());
  for (const Point3& p : line.points_mm) vox.push_back(world_to_voxel(g.affine, p));
  attach_radius_from_sigmas(line, sample_nearest(best_sigma, vox, comm), g);
}

void attach_radius_from_sigmas(Centerline& line, const std::vector<double>& sig, const Grid& g) {
  const double h = std::cbrt(g.spacing_mm[0] * g.spacing_mm[1] * g.spacing_mm[2]);
  line.radius_mm.resize(line.points_mm.size());
  for (size_t n = 0; n < line.points_mm.size(); ++n)
    line.radius_mm[n] = (n < sig.size() && std::isfinite(sig[n]) && sig[n] > 0.0)
                            ? std::sqrt(2.0) * sig[n] * h
                            : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace voxflow::vessel
