#include "src/vessel/backtrack.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "src/core/error.hpp"

namespace voxflow::vessel {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Rank 0's descent, resumable: run() returns false with the plane range it lacks.
struct Descent {
  std::int64_t n[3] = {1, 1, 1};
  double sp[3] = {1, 1, 1};
  VoxelIndex start{0, 0, 0};
  BacktrackOptions opt;
  std::int64_t max_steps = 0;
  std::map<std::int64_t, std::vector<double>> planes;

  Point3 p{0, 0, 0};
  std::vector<Point3> path;
  std::int64_t gradient_steps = 0, discrete_steps = 0;
  bool discrete_only = false;

  bool have(std::int64_t z) const { return planes.count(z) != 0; }
  double T(std::int64_t i, std::int64_t j, std::int64_t k) const {
    return planes.at(k)[static_cast<size_t>(i + n[0] * j)];
  }
  double T(const std::int64_t c[3]) const { return T(c[0], c[1], c[2]); }

  /// trilinear base and fraction along each axis
  void cell(const Point3& q, std::int64_t b[3], double f[3]) const {
    for (int a = 0; a < 3; ++a) {
      if (n[a] < 2) {
        b[a] = 0;
        f[a] = 0.0;
        continue;
      }
      b[a] = std::min<std::int64_t>(std::max<std::int64_t>(static_cast<std::int64_t>(std::floor(q[a])), 0), n[a] - 2);
      f[a] = std::min(1.0, std::max(0.0, q[a] - static_cast<double>(b[a])));
    }
  }

  /// physical gradient (per mm) at a node; false where T is infinite
  bool node_gradient(const std::int64_t c[3], double g[3]) const {
    const double t0 = T(c);
    if (!std::isfinite(t0)) return false;
    for (int a = 0; a < 3; ++a) {
      std::int64_t cp[3] = {c[0], c[1], c[2]}, cm[3] = {c[0], c[1], c[2]};
      ++cp[a];
      --cm[a];
      const double tp = cp[a] < n[a] ? T(cp) : kInf, tm = cm[a] >= 0 ? T(cm) : kInf;
      double d = 0.0;
      if (std::isfinite(tp) && std::isfinite(tm))
        d = 0.5 * (tp - tm);
      else if (std::isfinite(tp))
        d = tp - t0;
      else if (std::isfinite(tm))
        d = t0 - tm;
      g[a] = d / sp[a];
    }
    return true;
  }

  /// corner c (0..7) of the cell at b with fractions f: its voxel v and trilinear weight w;
  /// false when it lies past a one-voxel axis or has weight 0
  bool corner(int c, const std::int64_t b[3], const double f[3], std::int64_t v[3], double& w) const {
    w = 1.0;
    for (int a = 0; a < 3; ++a) {
      const int o = (c >> a) & 1;
      if (o == 1 && n[a] < 2) return false;
      v[a] = b[a] + o;
      w *= o ? f[a] : 1.0 - f[a];
    }
    return w != 0.0;
  }

  /// trilinear T (finite corners only, weights renormalised); +inf if none is finite
  double interp_T(const Point3& q) const {
    std::int64_t b[3];
    double f[3];
    cell(q, b, f);
    double acc = 0.0, wsum = 0.0;
    for (int c = 0; c < 8; ++c) {
      std::int64_t v[3];
      double w = 0.0;
      if (!corner(c, b, f, v, w)) continue;
      const double t = T(v);
      if (!std::isfinite(t)) continue;
      acc += w * t;
      wsum += w;
    }
    return wsum > 0.0 ? acc / wsum : kInf;
  }

  bool interp_gradient(const Point3& q, double g[3]) const {
    std::int64_t b[3];
    double f[3];
    cell(q, b, f);
    g[0] = g[1] = g[2] = 0.0;
    double wsum = 0.0;
    for (int c = 0; c < 8; ++c) {
      std::int64_t v[3];
      double w = 0.0;
      if (!corner(c, b, f, v, w)) continue;
      double gn[3];
      if (!node_gradient(v, gn)) continue;
      for (int a = 0; a < 3; ++a) g[a] += w * gn[a];
      wsum += w;
    }
    if (!(wsum > 0.0)) return false;
    for (int a = 0; a < 3; ++a) g[a] /= wsum;
    return true;
  }

  double dist_to_start(const Point3& q) const {
    double s = 0.0;
    for (int a = 0; a < 3; ++a) s += (q[a] - double(start[a])) * (q[a] - double(start[a]));
    return std::sqrt(s);
  }

  void finish() { path.push_back({double(start[0]), double(start[1]), double(start[2])}); }

  /// true when the path reached the start; false with [lo, hi] = planes to fetch.
  bool run(std::int64_t& lo, std::int64_t& hi) {
    const double hmin = std::min({sp[0], sp[1], sp[2]});
    for (;;) {
      std::int64_t b[3];
      double f[3];
      cell(p, b, f);
      const std::int64_t zlo = std::max<std::int64_t>(0, b[2] - 1), zhi = std::min<std::int64_t>(n[2] - 1, b[2] + 2);
      for (std::int64_t z = zlo; z <= zhi; ++z)
        if (!have(z)) {
          lo = std::max<std::int64_t>(0, zlo - opt.fetch_planes);
          hi = std::min<std::int64_t>(n[2] - 1, zhi + opt.fetch_planes);
          while (lo < hi && have(lo)) ++lo;  // only planes rank 0 lacks
          while (hi > lo && have(hi)) --hi;
          return false;
        }
      if (dist_to_start(p) <= opt.stop_distance_vox) {
        finish();
        return true;
      }
      bool moved = false;
      if (!discrete_only) {
        double g[3];
        if (interp_gradient(p, g)) {
          double gn = 0.0;
          for (int a = 0; a < 3; ++a) gn += g[a] * g[a];
          gn = std::sqrt(gn);
          if (gn > 1e-300) {
            Point3 q;
            for (int a = 0; a < 3; ++a) {
              q[a] = p[a] - g[a] / gn * opt.step_vox * hmin / sp[a];
              q[a] = std::min(double(n[a] - 1), std::max(0.0, q[a]));
            }
            if (interp_T(q) < interp_T(p)) {
              p = q;
              moved = true;
              ++gradient_steps;
              if (gradient_steps >= max_steps) discrete_only = true;
            }
          }
        }
      }
      if (!moved) {  // discrete steepest descent from the nearest voxel
        std::int64_t r[3];
        for (int a = 0; a < 3; ++a)
          r[a] = std::min<std::int64_t>(n[a] - 1, std::max<std::int64_t>(0, std::llround(p[a])));
        if (r[0] == start[0] && r[1] == start[1] && r[2] == start[2]) {
          finish();
          return true;
        }
        const double tr = T(r);
        double best = tr;
        std::int64_t bv[3] = {-1, -1, -1};
        for (int dz = -1; dz <= 1; ++dz)
          for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
              const std::int64_t v[3] = {r[0] + dx, r[1] + dy, r[2] + dz};
              if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[0] >= n[0] || v[1] >= n[1] || v[2] >= n[2]) continue;
              const double t = T(v);
              if (std::isfinite(t) && (t < best || !std::isfinite(best))) {
                best = t;
                bv[0] = v[0]; bv[1] = v[1]; bv[2] = v[2];
              }
            }
        if (bv[0] < 0)
          throw InternalError("backtrack: voxel (" + std::to_string(r[0]) + ", " + std::to_string(r[1]) + ", " +
                              std::to_string(r[2]) + ") is a local minimum of the arrival time other than the start");
        p = {double(bv[0]), double(bv[1]), double(bv[2])};
        ++discrete_steps;
      }
      path.push_back(p);
    }
  }
};

bool inside(const VoxelIndex& v, const Grid& g) {
  for (size_t a = 0; a < 3; ++a)
    if (v[a] < 0 || v[a] >= g.dims[a]) return false;
  return true;
}

}  // namespace

BacktrackResult backtrack(const FastMarchingResult& fmm, const VoxelIndex& start, const VoxelIndex& end,
                          const BacktrackOptions& opt, const Comm& comm) {
  const Grid& g = fmm.layout.grid;
  const Slab& slab = fmm.layout.slab;
  if (!inside(start, g) || !inside(end, g))
    throw InputError("backtrack: the start and end voxels must lie inside the volume " + g.describe());
  if (start == end) throw InputError("backtrack: the start and end points are the same voxel");
  if (!(opt.step_vox > 0.0) || !(opt.step_vox <= 1.0)) throw InputError("backtrack: step must be in (0, 1] voxel");
  const std::int64_t P = g.plane_size();
  bool unreachable = false;
  if (slab.owns(end[2]))
    unreachable = !std::isfinite(fmm.arrival_time[(end[2] - slab.z0) * P + end[0] + g.nx() * end[1]]);
  if (comm.any(unreachable))
    throw InputError("the end point cannot be reached from the start point (zero speed in between, e.g. outside the mask)");

  Descent d;
  for (int a = 0; a < 3; ++a) {
    d.n[a] = g.dims[static_cast<size_t>(a)];
    d.sp[a] = g.spacing_mm[static_cast<size_t>(a)];
  }
  d.start = start;
  d.opt = opt;
  d.max_steps = opt.max_steps > 0 ? opt.max_steps
                                  : static_cast<std::int64_t>(40.0 * double(g.nx() + g.ny() + g.nz()) / opt.step_vox);
  d.p = {double(end[0]), double(end[1]), double(end[2])};
  d.path.push_back(d.p);

  BacktrackResult res;
  for (;;) {
    long long req[3] = {1, 0, 0};  // 0 fetch [lo, hi], 1 done, 2 failed on rank 0
    std::string failure;
    if (comm.is_root()) {
      try {
        std::int64_t lo = 0, hi = 0;
        if (!d.run(lo, hi)) {
          req[0] = 0;
          req[1] = lo;
          req[2] = hi;
        }
      } catch (const Error& e) {
        req[0] = 2;
        failure = e.what();
      }
    }
    MPI_Bcast(req, 3, MPI_LONG_LONG, 0, comm.comm);
    if (req[0] == 2) {
      if (comm.is_root()) throw InternalError(failure);
      throw PeerFailure(0, 1);
    }
    if (req[0] == 1) break;
    for (std::int64_t z = req[1]; z <= req[2]; ++z) {
      const int owner = owner_of_plane(z, g.nz(), comm.size());
      std::vector<double> mine;
      if (slab.owns(z) && (comm.is_root() || comm.rank() == owner)) {
        mine.resize(static_cast<size_t>(P));
        fmm.arrival_time.copy_plane(z - slab.z0, P, mine.data());
      }
      const double* src = mine.empty() ? nullptr : mine.data();
      if (comm.is_root()) {
        std::vector<double> plane(static_cast<size_t>(P));
        if (owner == 0)
          std::copy(src, src + P, plane.begin());
        else
          MPI_Recv(plane.data(), static_cast<int>(P), MPI_DOUBLE, owner, 7511, comm.comm, MPI_STATUS_IGNORE);
        d.planes[z] = std::move(plane);
        ++res.planes_fetched;
      } else if (comm.rank() == owner) {
        MPI_Send(src, static_cast<int>(P), MPI_DOUBLE, 0, 7511, comm.comm);
      }
    }
  }
  // the path, start first, to every rank
  long long count = comm.is_root() ? static_cast<long long>(d.path.size()) : 0;
  long long stats[3] = {d.gradient_steps, d.discrete_steps, res.planes_fetched};
  MPI_Bcast(&count, 1, MPI_LONG_LONG, 0, comm.comm);
  MPI_Bcast(stats, 3, MPI_LONG_LONG, 0, comm.comm);
  std::vector<double> flat(static_cast<size_t>(3 * count));
  if (comm.is_root())
    for (long long m = 0; m < count; ++m)
      for (int a = 0; a < 3; ++a) flat[static_cast<size_t>(3 * m + a)] = d.path[static_cast<size_t>(count - 1 - m)][a];
  MPI_Bcast(flat.data(), static_cast<int>(flat.size()), MPI_DOUBLE, 0, comm.comm);
  res.path_vox.resize(static_cast<size_t>(count));
  for (long long m = 0; m < count; ++m)
    res.path_vox[static_cast<size_t>(m)] = {flat[static_cast<size_t>(3 * m)], flat[static_cast<size_t>(3 * m + 1)],
                                            flat[static_cast<size_t>(3 * m + 2)]};
  res.gradient_steps = stats[0];
  res.discrete_steps = stats[1];
  res.planes_fetched = stats[2];
  return res;
}

}  // namespace voxflow::vessel
