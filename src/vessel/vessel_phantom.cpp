#include "src/core/splitmix64.hpp"
#include "src/vessel/vessel_phantom.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "src/core/error.hpp"

namespace voxflow::vessel {
namespace {

constexpr double kPi = 3.14159265358979323846;

// HU of the tissues (issue 11)
constexpr double kFat = -100.0, kMyocardium = 50.0, kLumen = 350.0, kSoftPlaque = 50.0, kCalcium = 800.0;

Point3 sub(const Point3& a, const Point3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Point3 add(const Point3& a, const Point3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
Point3 mul(const Point3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }
double dot(const Point3& a, const Point3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
double norm(const Point3& a) { return std::sqrt(dot(a, a)); }
Point3 unit(const Point3& a) { return mul(a, 1.0 / norm(a)); }
Point3 cross(const Point3& a, const Point3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// standard normal of (seed, counter): Box-Muller on two 53-bit uniforms
double normal(std::uint64_t seed, std::uint64_t counter) {
  const std::uint64_t a = splitmix64(splitmix64(seed) ^ (2 * counter)), b = splitmix64(splitmix64(seed) ^ (2 * counter + 1));
  const double u1 = (static_cast<double>(a >> 11) + 1.0) / 9007199254740993.0;  // (0, 1]
  const double u2 = static_cast<double>(b >> 11) / 9007199254740992.0;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

/// Geometry in local mm (voxel index * spacing).
struct Scene {
  Point3 E{};  // extent mm
  double R = 1.8, s = 0.4, edge = 0.25;
  double t_stenosis = 0.35, sigma_stenosis_mm = 1.5, s_stenosis_mm = 0.0;
  double t_branch = 0.55, branch_len = 0.0, branch_angle = 50.0 * kPi / 180.0;
  Point3 branch_dir{}, branch_bend{}, branch_root{};
  Point3 calcium{};
  double calcium_r = 0.9;

  Point3 main(double t) const {
    return {E[0] * (0.10 + 0.80 * t), E[1] * (0.50 + 0.22 * std::sin(2.0 * kPi * 0.85 * t + 0.3)),
            E[2] * (0.58 + 0.14 * std::sin(1.3 * kPi * t))};
  }
  Point3 tangent(double t) const { return unit(sub(main(std::min(1.0, t + 1e-4)), main(std::max(0.0, t - 1e-4)))); }
  double outer_r(double t) const { return R * (1.0 - 0.4 * t); }
  double myocardium_z(double x, double y) const {
    return E[2] * (0.30 + 0.04 * std::sin(2.0 * kPi * x / E[0]) + 0.03 * std::cos(2.0 * kPi * y / E[1]));
  }
  double pool_z() const { return E[2] * 0.10; }
  Point3 branch(double u) const { return add(add(branch_root, mul(branch_dir, u * branch_len)), mul(branch_bend, u * u * branch_len)); }
  double branch_r(double u) const { return 0.55 * R * (1.0 - 0.3 * u); }
};

Scene make_scene(const VesselPhantomOptions& o) {
  Scene sc;
  sc.s = o.spacing_mm;
  sc.R = o.radius_mm;
  sc.edge = o.edge_mm;
  for (size_t a = 0; a < 3; ++a) sc.E[a] = double(o.dims[a]) * o.spacing_mm;
  // branch: leaves the main artery at t_branch, 50 degrees off its tangent, bending gently
  const Point3 tb = sc.tangent(sc.t_branch);
  const Point3 side = unit(cross(tb, {0.0, 0.0, 1.0}));
  sc.branch_root = sc.main(sc.t_branch);
  sc.branch_dir = unit(add(mul(tb, std::cos(sc.branch_angle)), mul(side, std::sin(sc.branch_angle))));
  sc.branch_len = 0.30 * std::min(sc.E[0], sc.E[1]);
  sc.branch_bend = mul(unit(cross(sc.branch_dir, {0.0, 0.0, 1.0})), 0.15);
  // calcium: against the wall at t = 0.72, on the side away from the branch
  const double tc = 0.72;
  const Point3 tcv = sc.tangent(tc);
  const Point3 n = unit(cross({0.0, 0.0, 1.0}, tcv));
  sc.calcium = add(sc.main(tc), mul(n, sc.outer_r(tc) + 0.5 * sc.calcium_r));
  return sc;
}

/// Samples of the main artery: points, t, arc length (local mm).
void sample_main(const Scene& sc, std::vector<Point3>& pts, std::vector<double>& ts, std::vector<double>& arc) {
  double len = 0.0;
  for (int i = 1; i <= 1000; ++i) len += norm(sub(sc.main(i / 1000.0), sc.main((i - 1) / 1000.0)));
  const int n = std::max(400, static_cast<int>(len / 0.1));
  pts.clear();
  ts.clear();
  arc.clear();
  for (int i = 0; i <= n; ++i) {
    const double t = double(i) / n;
    pts.push_back(sc.main(t));
    ts.push_back(t);
    arc.push_back(i == 0 ? 0.0 : arc.back() + norm(sub(pts[static_cast<size_t>(i)], pts[static_cast<size_t>(i - 1)])));
  }
}

double lumen_factor(const Scene& sc, double arc_mm) {
  const double x = (arc_mm - sc.s_stenosis_mm) / sc.sigma_stenosis_mm;
  return 1.0 - (1.0 - 1.0 / std::sqrt(2.0)) * std::exp(-0.5 * x * x);
}

Affine oblique_affine(const VesselPhantomOptions& o) {
  const double a = o.rotation_deg * kPi / 180.0, b = 0.5 * a;
  // R = Rz(a) * Rx(b)
  const double Rz[3][3] = {{std::cos(a), -std::sin(a), 0}, {std::sin(a), std::cos(a), 0}, {0, 0, 1}};
  const double Rx[3][3] = {{1, 0, 0}, {0, std::cos(b), -std::sin(b)}, {0, std::sin(b), std::cos(b)}};
  double R[3][3];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      R[r][c] = 0.0;
      for (int k = 0; k < 3; ++k) R[r][c] += Rz[r][k] * Rx[k][c];
    }
  Affine A = Grid::identity_affine();
  Point3 half{};
  for (size_t k = 0; k < 3; ++k) half[k] = 0.5 * double(o.dims[k]) * o.spacing_mm;
  const Point3 shift{12.0, -25.0, 40.0};
  for (int r = 0; r < 3; ++r) {
    double t = shift[static_cast<size_t>(r)];
    for (int c = 0; c < 3; ++c) {
      A[static_cast<size_t>(r)][static_cast<size_t>(c)] = R[r][c] * o.spacing_mm;
      t -= R[r][c] * half[static_cast<size_t>(c)];
    }
    A[static_cast<size_t>(r)][3] = t;
  }
  return A;
}

VoxelIndex nearest_voxel(const Point3& local_mm, const VesselPhantomOptions& o) {
  VoxelIndex v{};
  for (size_t a = 0; a < 3; ++a)
    v[a] = std::min<std::int64_t>(o.dims[a] - 1, std::max<std::int64_t>(0, std::llround(local_mm[a] / o.spacing_mm)));
  return v;
}

void validate(const VesselPhantomOptions& o) {
  for (auto d : o.dims)
    if (d < 16) throw InputError("vessel phantom: each dimension needs at least 16 voxels");
  if (!(o.spacing_mm > 0.0) || !std::isfinite(o.spacing_mm)) throw InputError("vessel phantom: spacing must be > 0 mm");
  if (!(o.radius_mm > 0.0) || !std::isfinite(o.radius_mm)) throw InputError("vessel phantom: radius must be > 0 mm");
  if (!(o.noise_hu >= 0.0) || !std::isfinite(o.noise_hu)) throw InputError("vessel phantom: noise must be >= 0 HU");
  if (!(o.edge_mm > 0.0)) throw InputError("vessel phantom: edge width must be > 0 mm");
}

}  // namespace

VesselPhantomTruth vessel_phantom_truth(const VesselPhantomOptions& o) {
  validate(o);
  Scene sc = make_scene(o);
  VesselPhantomTruth tr;
  tr.grid.dims = o.dims;
  tr.grid.spacing_mm = {o.spacing_mm, o.spacing_mm, o.spacing_mm};
  tr.grid.affine = oblique_affine(o);
  std::vector<Point3> pts;
  std::vector<double> ts, arc;
  sample_main(sc, pts, ts, arc);
  // stenosis centre: at t_stenosis
  sc.s_stenosis_mm = arc[static_cast<size_t>(std::llround(sc.t_stenosis * double(ts.size() - 1)))];
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point3 v = mul(pts[i], 1.0 / o.spacing_mm);
    tr.centerline_vox.push_back(v);
    tr.centerline_mm.push_back(voxel_to_world(tr.grid.affine, v));
    tr.outer_radius_mm.push_back(sc.outer_r(ts[i]));
    tr.lumen_radius_mm.push_back(sc.outer_r(ts[i]) * lumen_factor(sc, arc[i]));
  }
  tr.arc_length_mm = arc;
  tr.stenosis_arc_mm = sc.s_stenosis_mm;
  tr.stenosis_sigma_mm = sc.sigma_stenosis_mm;
  tr.calcium_arc_mm = arc[static_cast<size_t>(std::llround(0.72 * double(ts.size() - 1)))];
  tr.calcium_radius_mm = sc.calcium_r;
  for (int i = 0; i <= 200; ++i) {
    const double u = i / 200.0;
    tr.branch_centerline_mm.push_back(voxel_to_world(tr.grid.affine, mul(sc.branch(u), 1.0 / o.spacing_mm)));
    tr.branch_radius_mm.push_back(sc.branch_r(u));
  }
  const Point3 s_local = sc.main(0.03), e_local = sc.main(0.97);
  tr.start_voxel = nearest_voxel(s_local, o);
  tr.end_voxel = nearest_voxel(e_local, o);
  tr.start_mm = voxel_to_world(tr.grid.affine, mul(s_local, 1.0 / o.spacing_mm));
  tr.end_mm = voxel_to_world(tr.grid.affine, mul(e_local, 1.0 / o.spacing_mm));
  tr.stenosis_mm = voxel_to_world(tr.grid.affine, mul(sc.main(sc.t_stenosis), 1.0 / o.spacing_mm));
  tr.calcium_mm = voxel_to_world(tr.grid.affine, mul(sc.calcium, 1.0 / o.spacing_mm));
  return tr;
}

Volume3D vessel_phantom_volume(const VesselPhantomTruth& tr, const VesselPhantomOptions& o, const Slab& slab, int halo) {
  validate(o);
  Scene sc = make_scene(o);
  std::vector<Point3> pts;
  std::vector<double> ts, arc;
  sample_main(sc, pts, ts, arc);
  sc.s_stenosis_mm = arc[static_cast<size_t>(std::llround(sc.t_stenosis * double(ts.size() - 1)))];
  std::vector<Point3> bpts;
  std::vector<double> bu;
  for (int i = 0; i <= 400; ++i) {
    bpts.push_back(sc.branch(i / 400.0));
    bu.push_back(i / 400.0);
  }
  Volume3D vol(tr.grid, slab, halo, "vessel_phantom");
  vol.units = "HU";
  auto h = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(h, 0.0f);
  const std::int64_t nx = o.dims[0], ny = o.dims[1], P = nx * ny;
  const double s = o.spacing_mm, reach = sc.R + 6.0 * sc.edge + 2.0 * s;
  std::vector<double> dmain(static_cast<size_t>(P)), tmain(static_cast<size_t>(P)), amain(static_cast<size_t>(P)),
      dbr(static_cast<size_t>(P)), ubr(static_cast<size_t>(P));
  constexpr double kFar = std::numeric_limits<double>::infinity();

  // nearest point of each polyline segment to the voxels of plane z, within `reach`
  auto scan = [&](const std::vector<Point3>& c, const std::vector<double>& par, const std::vector<double>* arcs,
                  double zmm, std::vector<double>& dist, std::vector<double>& tpar, std::vector<double>* apar) {
    std::fill(dist.begin(), dist.end(), kFar);
    for (size_t m = 0; m + 1 < c.size(); ++m) {
      const Point3 &a = c[m], &b = c[m + 1];
      if (std::min(a[2], b[2]) - reach > zmm || std::max(a[2], b[2]) + reach < zmm) continue;
      const std::int64_t i0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor((std::min(a[0], b[0]) - reach) / s)));
      const std::int64_t i1 = std::min<std::int64_t>(nx - 1, static_cast<std::int64_t>(std::ceil((std::max(a[0], b[0]) + reach) / s)));
      const std::int64_t j0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor((std::min(a[1], b[1]) - reach) / s)));
      const std::int64_t j1 = std::min<std::int64_t>(ny - 1, static_cast<std::int64_t>(std::ceil((std::max(a[1], b[1]) + reach) / s)));
      const Point3 ab = sub(b, a);
      const double ab2 = dot(ab, ab);
      for (std::int64_t j = j0; j <= j1; ++j)
        for (std::int64_t i = i0; i <= i1; ++i) {
          const Point3 q{double(i) * s, double(j) * s, zmm};
          double f = ab2 > 0.0 ? dot(sub(q, a), ab) / ab2 : 0.0;
          f = std::min(1.0, std::max(0.0, f));
          const double d = norm(sub(q, add(a, mul(ab, f))));
          const size_t v = static_cast<size_t>(i + nx * j);
          if (d < dist[v]) {
            dist[v] = d;
            tpar[v] = par[m] + f * (par[m + 1] - par[m]);
            if (apar) (*apar)[v] = (*arcs)[m] + f * ((*arcs)[m + 1] - (*arcs)[m]);
          }
        }
    }
  };

  for (std::int64_t k = 0; k < slab.nz; ++k) {
    const std::int64_t zg = slab.to_global(k);
    const double zmm = double(zg) * s;
    scan(pts, ts, &arc, zmm, dmain, tmain, &amain);
    scan(bpts, bu, nullptr, zmm, dbr, ubr, nullptr);
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) {
        const size_t v = static_cast<size_t>(i + nx * j);
        const double x = double(i) * s, y = double(j) * s;
        // background: fat, myocardium below its surface, blood pool deep inside
        double val = kFat;
        val += (kMyocardium - kFat) * logistic((sc.myocardium_z(x, y) - zmm) / sc.edge);
        val += (kLumen - val) * logistic((sc.pool_z() - zmm) / sc.edge);
        if (dmain[v] < kFar) {
          const double ro = sc.outer_r(tmain[v]), rl = ro * lumen_factor(sc, amain[v]);
          // additive layers (background -> plaque at ro, plaque -> lumen at rl): where rl = ro the
          // edge is one symmetric logistic from the background to the lumen, centred on rl
          val += (kSoftPlaque - val) * logistic((ro - dmain[v]) / sc.edge) +
                 (kLumen - kSoftPlaque) * logistic((rl - dmain[v]) / sc.edge);
        }
        if (dbr[v] < kFar) val += (kLumen - val) * logistic((sc.branch_r(ubr[v]) - dbr[v]) / sc.edge);
        const double dc = norm(sub({x, y, zmm}, sc.calcium));
        val += (kCalcium - val) * logistic((sc.calcium_r - dc) / sc.edge);
        const std::uint64_t gidx = static_cast<std::uint64_t>(i + nx * (j + ny * zg));
        if (o.noise_hu > 0.0) val += o.noise_hu * normal(o.seed, gidx);
        h(vol.layout.index(i, j, k)) = static_cast<float>(val);
      }
  }
  Kokkos::deep_copy(vol.data, h);
  return vol;
}

}  // namespace voxflow::vessel
