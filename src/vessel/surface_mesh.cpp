#include "src/vessel/surface_mesh.hpp"

#include <cmath>
#include <map>

#include "src/core/error.hpp"
#include "src/vessel/vessel_measurements.hpp"

namespace voxflow::vessel {

TriangleMesh tube_surface(const std::vector<Point3>& centres, const std::vector<Frame>& frames,
                          const std::vector<std::vector<double>>& radius, double flow_extension, double ext_step) {
  const size_t ns = centres.size();
  if (ns < 2 || frames.size() != ns || radius.size() != ns)
    throw InputError("surface mesh: at least 2 sections with a frame and a contour each are needed");
  const size_t A = radius[0].size();
  if (A < 3) throw InputError("surface mesh: contours need at least 3 angles");
  for (const auto& r : radius)
    if (r.size() != A) throw InputError("surface mesh: every contour needs the same number of angles");
  // rings: the sections, with extension rings before and after
  struct Ring {
    Point3 c;
    Frame f;
    const std::vector<double>* r;
  };
  std::vector<Ring> rings;
  auto extension = [&](size_t k, double sign, std::vector<Ring>& out) {
    if (!(flow_extension > 0.0)) return;
    const double L = flow_extension * 2.0 * std::sqrt(polar_contour_area(radius[k]) / 3.14159265358979323846);
    const int steps = std::max(1, static_cast<int>(std::ceil(L / std::max(1e-6, ext_step))));
    for (int i = 1; i <= steps; ++i) out.push_back({v_add(centres[k], v_mul(frames[k].t, sign * L * i / steps)), frames[k], &radius[k]});
  };
  std::vector<Ring> pre;
  extension(0, -1.0, pre);
  for (auto it = pre.rbegin(); it != pre.rend(); ++it) rings.push_back(*it);
  for (size_t k = 0; k < ns; ++k) rings.push_back({centres[k], frames[k], &radius[k]});
  extension(ns - 1, +1.0, rings);
  TriangleMesh m;
  const double two_pi = 2.0 * 3.14159265358979323846;
  for (const Ring& g : rings)
    for (size_t a = 0; a < A; ++a) {
      const double th = two_pi * double(a) / double(A), r = (*g.r)[a];
      m.vertices.push_back(v_add(g.c, v_add(v_mul(g.f.n1, r * std::cos(th)), v_mul(g.f.n2, r * std::sin(th)))));
    }
  auto V = [&](size_t k, size_t a) { return static_cast<std::int64_t>(k * A + (a % A)); };
  for (size_t k = 0; k + 1 < rings.size(); ++k)
    for (size_t a = 0; a < A; ++a) {
      m.triangles.push_back({V(k, a), V(k, a + 1), V(k + 1, a)});
      m.triangles.push_back({V(k, a + 1), V(k + 1, a + 1), V(k + 1, a)});
      m.entity_ids.push_back(kWallEntity);
      m.entity_ids.push_back(kWallEntity);
    }
  // caps: a fan around the area centroid of the end contour (normal -t at the inlet, +t at the outlet)
  auto cap = [&](size_t k, bool inlet) {
    double u, v;
    polar_centroid(*rings[k].r, &u, &v);
    const std::int64_t c = static_cast<std::int64_t>(m.vertices.size());
    m.vertices.push_back(v_add(rings[k].c, v_add(v_mul(rings[k].f.n1, u), v_mul(rings[k].f.n2, v))));
    for (size_t a = 0; a < A; ++a) {
      if (inlet)
        m.triangles.push_back({c, V(k, a + 1), V(k, a)});
      else
        m.triangles.push_back({c, V(k, a), V(k, a + 1)});
      m.entity_ids.push_back(inlet ? kInletEntity : kOutletEntity);
    }
  };
  cap(0, true);
  cap(rings.size() - 1, false);
  return m;
}

double signed_volume(const TriangleMesh& m) {
  double v = 0.0;
  for (const auto& t : m.triangles) {
    const Point3 &a = m.vertices[static_cast<size_t>(t[0])], &b = m.vertices[static_cast<size_t>(t[1])],
                 &c = m.vertices[static_cast<size_t>(t[2])];
    v += v_dot(a, v_cross(b, c));
  }
  return v / 6.0;
}

void mesh_edge_check(const TriangleMesh& m, std::int64_t* bad, std::int64_t* misoriented) {
  std::map<std::pair<std::int64_t, std::int64_t>, int> directed;
  for (const auto& t : m.triangles)
    for (int e = 0; e < 3; ++e) ++directed[{t[static_cast<size_t>(e)], t[static_cast<size_t>((e + 1) % 3)]}];
  std::int64_t b = 0, mo = 0;
  for (const auto& [e, n] : directed) {
    if (n > 1) ++mo;
    const auto it = directed.find({e.second, e.first});
    const int back = it == directed.end() ? 0 : it->second;
    if (n + back != 2) ++b;
  }
  *bad = b;
  *misoriented = mo;
}

}  // namespace voxflow::vessel
