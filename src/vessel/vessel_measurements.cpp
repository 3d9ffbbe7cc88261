#include "src/vessel/vessel_measurements.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/core/error.hpp"

namespace voxflow::vessel {
namespace {
constexpr double kPi = 3.14159265358979323846;
}

double polar_contour_area(const std::vector<double>& r) {
  const size_t n = r.size();
  if (n < 3) return 0.0;
  double s = 0.0;
  for (size_t a = 0; a < n; ++a) s += r[a] * r[(a + 1) % n];
  return 0.5 * s * std::sin(2.0 * kPi / double(n));
}

void polar_feret_diameters(const std::vector<double>& r, double* dmin, double* dmax) {
  const size_t n = r.size();
  std::vector<double> x(n), y(n);
  for (size_t a = 0; a < n; ++a) {
    x[a] = r[a] * std::cos(2.0 * kPi * double(a) / double(n));
    y[a] = r[a] * std::sin(2.0 * kPi * double(a) / double(n));
  }
  double mx = 0.0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) mx = std::max(mx, std::hypot(x[i] - x[j], y[i] - y[j]));
  double mn = std::numeric_limits<double>::infinity();
  for (int k = 0; k < 180; ++k) {
    const double c = std::cos(kPi * k / 180.0), s = std::sin(kPi * k / 180.0);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (size_t i = 0; i < n; ++i) {
      const double p = x[i] * c + y[i] * s;
      lo = std::min(lo, p);
      hi = std::max(hi, p);
    }
    mn = std::min(mn, hi - lo);
  }
  *dmin = n ? mn : 0.0;
  *dmax = mx;
}

void polar_centroid(const std::vector<double>& r, double* u, double* v) {
  const size_t n = r.size();
  double A = 0.0, cx = 0.0, cy = 0.0;
  for (size_t a = 0; a < n; ++a) {
    const double t0 = 2.0 * kPi * double(a) / double(n), t1 = 2.0 * kPi * double(a + 1) / double(n);
    const double x0 = r[a] * std::cos(t0), y0 = r[a] * std::sin(t0);
    const double x1 = r[(a + 1) % n] * std::cos(t1), y1 = r[(a + 1) % n] * std::sin(t1);
    const double c = x0 * y1 - x1 * y0;
    A += c;
    cx += (x0 + x1) * c;
    cy += (y0 + y1) * c;
  }
  *u = A != 0.0 ? cx / (3.0 * A) : 0.0;
  *v = A != 0.0 ? cy / (3.0 * A) : 0.0;
}

std::vector<SectionMeasurement> measure_sections(const std::vector<double>& arc, const std::vector<std::vector<double>>& lumen,
                                                 const std::vector<std::vector<double>>& outer,
                                                 const std::vector<double>& calc, const std::vector<bool>& ok,
                                                 const MeasurementOptions& o, VesselMeasurement* vessel) {
  const size_t n = arc.size();
  if (lumen.size() != n || outer.size() != n || calc.size() != n || ok.size() != n)
    throw InputError("vessel measurements: one contour pair, calcified area and flag per section are needed");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<SectionMeasurement> m(n);
  VesselMeasurement v;
  v.sections = static_cast<int>(n);
  size_t kmin = n;
  for (size_t k = 0; k < n; ++k) {
    SectionMeasurement& s = m[k];
    s.arc_length_mm = arc[k];
    s.ok = ok[k];
    if (!s.ok) {
      s.lumen_area_mm2 = s.vessel_area_mm2 = s.lumen_min_diameter_mm = s.lumen_max_diameter_mm = nan;
      s.area_stenosis_pct = s.plaque_burden_pct = s.remodeling_index = s.calcified_area_mm2 = nan;
      continue;
    }
    ++v.sections_ok;
    s.lumen_area_mm2 = polar_contour_area(lumen[k]);
    s.vessel_area_mm2 = polar_contour_area(outer[k]);
    polar_feret_diameters(lumen[k], &s.lumen_min_diameter_mm, &s.lumen_max_diameter_mm);
    s.plaque_burden_pct = s.vessel_area_mm2 > 0.0 ? 100.0 * (s.vessel_area_mm2 - s.lumen_area_mm2) / s.vessel_area_mm2 : nan;
    s.calcified_area_mm2 = calc[k];
    if (kmin == n || s.lumen_area_mm2 < m[kmin].lumen_area_mm2) kmin = k;
  }
  if (kmin == n) {
    if (vessel) *vessel = v;
    return m;
  }
  // the lesion: the section most narrowed against the healthy trend, a least-squares line of
  // lumen area against arc length refitted 3 times without the sections more than 20 % below it
  // (a tapering vessel's distal end is not a lesion, though its area may be the smallest), and
  // without those more than 20 % above it (a side branch's ostium taken into the lumen)
  std::vector<bool> healthy(n);
  for (size_t k = 0; k < n; ++k) healthy[k] = m[k].ok;
  double c0 = 0.0, c1 = 0.0;
  for (int it = 0; it < 4; ++it) {
    double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t k = 0; k < n; ++k)
      if (healthy[k]) {
        sw += 1;
        sx += arc[k];
        sy += m[k].lumen_area_mm2;
        sxx += arc[k] * arc[k];
        sxy += arc[k] * m[k].lumen_area_mm2;
      }
    if (sw < 2) break;
    const double den = sw * sxx - sx * sx;
    c1 = den > 0 ? (sw * sxy - sx * sy) / den : 0.0;
    c0 = (sy - c1 * sx) / sw;
    for (size_t k = 0; k < n; ++k) {
      const double trend = c0 + c1 * arc[k];
      healthy[k] = m[k].ok && m[k].lumen_area_mm2 >= 0.8 * trend && m[k].lumen_area_mm2 <= 1.2 * trend;
    }
  }
  for (size_t k = 0; k < n; ++k) {
    m[k].branch_flag = m[k].ok && m[k].lumen_area_mm2 > 1.2 * (c0 + c1 * arc[k]);
    v.branch_sections += m[k].branch_flag ? 1 : 0;
  }
  size_t klesion = kmin;
  double worst = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < n; ++k) {
    const double trend = c0 + c1 * arc[k];
    if (!m[k].ok || !(trend > 0)) continue;
    const double narrowing = 1.0 - m[k].lumen_area_mm2 / trend;
    if (narrowing > worst) {
      worst = narrowing;
      klesion = k;
    }
  }
  const double s0 = arc[klesion];
  auto window_mean = [&](double a0, double a1, double* lum, double* ves, double* centre) {
    double sl = 0.0, sv = 0.0;
    int c = 0;
    for (size_t k = 0; k < n; ++k)
      if (m[k].ok && healthy[k] && arc[k] >= a0 && arc[k] <= a1) {
        sl += m[k].lumen_area_mm2;
        sv += m[k].vessel_area_mm2;
        ++c;
      }
    if (c == 0) return false;
    *lum = sl / c;
    *ves = sv / c;
    *centre = 0.5 * (a0 + a1);
    return true;
  };
  double pl = 0, pv = 0, pc = 0, dl = 0, dv = 0, dc = 0;
  const bool hp = window_mean(s0 - o.reference_distance_mm - o.reference_length_mm, s0 - o.reference_distance_mm, &pl, &pv, &pc);
  const bool hd = window_mean(s0 + o.reference_distance_mm, s0 + o.reference_distance_mm + o.reference_length_mm, &dl, &dv, &dc);
  v.has_reference = hp || hd;
  auto ref = [&](double s, double* rl, double* rv) {
    if (hp && hd) {  // linear through both references, extrapolated beyond them (a tapering vessel)
      const double f = (s - pc) / (dc - pc);
      *rl = pl + f * (dl - pl);
      *rv = pv + f * (dv - pv);
    } else if (hp) {
      *rl = pl, *rv = pv;
    } else if (hd) {
      *rl = dl, *rv = dv;
    } else {
      *rl = *rv = nan;
    }
  };
  for (size_t k = 0; k < n; ++k) {
    if (!m[k].ok) continue;
    double rl, rv;
    ref(arc[k], &rl, &rv);
    m[k].area_stenosis_pct = 100.0 * (1.0 - m[k].lumen_area_mm2 / rl);
    m[k].remodeling_index = m[k].vessel_area_mm2 / rv;
  }
  v.min_lumen_area_mm2 = m[kmin].lumen_area_mm2;
  v.min_lumen_area_arc_mm = arc[kmin];
  v.lesion_arc_mm = s0;
  v.lesion_lumen_area_mm2 = m[klesion].lumen_area_mm2;
  v.lesion_area_stenosis_pct = m[klesion].area_stenosis_pct;
  v.lesion_plaque_burden_pct = m[klesion].plaque_burden_pct;
  ref(s0, &v.reference_lumen_area_mm2, &v.reference_vessel_area_mm2);
  v.remodeling_index = m[klesion].remodeling_index;
  v.max_area_stenosis_pct = -std::numeric_limits<double>::infinity();
  v.max_plaque_burden_pct = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < n; ++k) {
    if (!m[k].ok) continue;
    if (std::isfinite(m[k].area_stenosis_pct)) v.max_area_stenosis_pct = std::max(v.max_area_stenosis_pct, m[k].area_stenosis_pct);
    v.max_plaque_burden_pct = std::max(v.max_plaque_burden_pct, m[k].plaque_burden_pct);
  }
  if (!std::isfinite(v.max_area_stenosis_pct)) v.max_area_stenosis_pct = nan;
  // volumes: trapezoids between consecutive valid sections
  for (size_t k = 0; k + 1 < n; ++k)
    if (m[k].ok && m[k + 1].ok) {
      const double ds = arc[k + 1] - arc[k];
      v.plaque_volume_mm3 += 0.5 * ds *
                             ((m[k].vessel_area_mm2 - m[k].lumen_area_mm2) + (m[k + 1].vessel_area_mm2 - m[k + 1].lumen_area_mm2));
      v.calcified_volume_mm3 += 0.5 * ds * (m[k].calcified_area_mm2 + m[k + 1].calcified_area_mm2);
    }
  if (vessel) *vessel = v;
  return m;
}

}  // namespace voxflow::vessel
