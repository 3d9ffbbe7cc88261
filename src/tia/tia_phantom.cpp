#include "src/core/splitmix64.hpp"
#include "src/tia/tia_phantom.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "src/core/error.hpp"
#include "src/core/slab.hpp"
#include "src/tia/physiological_kinetics.hpp"

namespace voxflow::tia {

namespace {

constexpr double kHour = 3600.0;


PhantomOrgan ellipsoid(std::uint8_t label, const char* name, double cx, double cy, double cz, double ax, double ay,
                       double az) {
  PhantomOrgan o;
  o.label = label;
  o.name = name;
  o.cx = cx, o.cy = cy, o.cz = cz, o.ax = ax, o.ay = ay, o.az = az;
  return o;
}

/// Gamma variate with the given peak density (Bq/ml), alpha and beta (1/h).
void set_gamma(PhantomOrgan& o, double a_peak, double alpha, double beta_per_h) {
  o.kinetics = PhantomKinetics::Gamma;
  o.curve_class = "hump";
  o.model = "gamma";
  o.alpha = alpha;
  o.beta = beta_per_h / kHour;
  o.t_peak = alpha / o.beta;
  o.a_peak = a_peak;
  // K t_pk^alpha exp(-alpha) = a_peak
  o.K = a_peak / std::exp(alpha * std::log(o.t_peak) - alpha);
  // int_0^inf K t^a e^{-b t} dt = K Gamma(a + 1) / b^(a + 1)
  o.tia_density = std::exp(std::log(o.K) + std::lgamma(alpha + 1.0) - (alpha + 1.0) * std::log(o.beta));
}

/// The design's falling curve: linear uptake to the first scan t1, then exp(-lambda (t - t1)).
void set_falling(PhantomOrgan& o, double a_peak, double t_half_eff_h, double t1_s) {
  o.kinetics = PhantomKinetics::Falling;
  o.curve_class = "falling";
  o.model = "exp";
  o.a_peak = a_peak;
  o.t_peak = t1_s;
  o.lambda = std::log(2.0) / (t_half_eff_h * kHour);
  o.tia_density = 0.5 * a_peak * t1_s + a_peak / o.lambda;
}

/// Still rising at the last scan: samples A_last (1 - e^{-k t_i}) / (1 - e^{-k t_last}); the
/// curve is piecewise linear through (0, 0) and the samples, physical decay after the last.
void set_rising(PhantomOrgan& o, double a_last, double k_per_h, const std::vector<double>& times_s, double lambda_phys) {
  o.kinetics = PhantomKinetics::Rising;
  o.curve_class = "rising";
  o.model = "hybrid";
  o.a_peak = a_last;
  o.t_peak = times_s.back();
  o.lambda = lambda_phys;
  const double k = k_per_h / kHour, norm = 1.0 - std::exp(-k * times_s.back());
  o.samples.clear();
  for (double t : times_s) o.samples.push_back(a_last * (1.0 - std::exp(-k * t)) / norm);
  double area = 0.0, tp = 0.0, ap = 0.0;  // trapezoid from (0, 0)
  for (size_t i = 0; i < times_s.size(); ++i) {
    area += 0.5 * (ap + o.samples[i]) * (times_s[i] - tp);
    tp = times_s[i];
    ap = o.samples[i];
  }
  o.tia_density = area + ap / lambda_phys;
}

/// Physiological kinetics: bi-exponential uptake-washout with the given peak density (Bq/ml),
/// uptake half-time and biological half-life (h); the design class is what the classifier gives
/// its samples (set by the caller once the samples exist).
void set_biexp(PhantomOrgan& o, double a_peak, double uptake_half_time_h, double biological_half_life_h,
               double lambda_phys) {
  const BiexpKinetics k = BiexpKinetics::from_half_times(a_peak, uptake_half_time_h, biological_half_life_h, lambda_phys);
  o.kinetics = PhantomKinetics::Biexp;
  o.model = "biexp";
  o.c_biexp = k.c;
  o.lambda = k.lambda_w;
  o.lambda_uptake = k.lambda_u;
  o.t_peak = k.t_peak();
  o.a_peak = a_peak;
  o.tia_density = k.tia();
}

}  // namespace

TiaPhantomSpec TiaPhantomSpec::cube(std::int64_t n) {
  TiaPhantomSpec s;
  s.nx = s.ny = s.nz = n;
  s.spacing_mm = n > 0 ? 512.0 / static_cast<double>(n) : 0.0;
  return s;
}

void TiaPhantomSpec::validate() const {
  if (nx < 8 || ny < 8 || nz < 8) throw UsageError("phantom --tia: the grid needs at least 8 voxels per axis");
  if (!(spacing_mm > 0) || !std::isfinite(spacing_mm)) throw UsageError("phantom --tia: spacing must be > 0 mm");
  if (times_h.size() < 2 || times_h.size() > 16)
    throw UsageError("phantom --tia: give 2 to 16 scan times (got " + std::to_string(times_h.size()) + ")");
  for (size_t i = 0; i < times_h.size(); ++i)
    if (!(times_h[i] > 0) || !std::isfinite(times_h[i]) || (i > 0 && !(times_h[i] > times_h[i - 1])))
      throw UsageError("phantom --tia: scan times must be > 0 h and strictly increasing");
  if (!(noise >= 0) || !std::isfinite(noise)) throw UsageError("phantom --tia: --noise must be >= 0");
  if (!(half_life_s > 0)) throw UsageError("phantom --tia: the half-life must be > 0");
  if (kinetics != "design" && kinetics != "physiological")
    throw UsageError("phantom --tia: --kinetics must be design or physiological (got '" + kinetics + "')");
}

double PhantomOrgan::density(double t) const {
  switch (kinetics) {
    case PhantomKinetics::None:
      return 0.0;
    case PhantomKinetics::Gamma:
      return t > 0 ? K * std::exp(alpha * std::log(t) - beta * t) : 0.0;
    case PhantomKinetics::Falling:
      if (t <= 0) return 0.0;
      return t < t_peak ? a_peak * t / t_peak : a_peak * std::exp(-lambda * (t - t_peak));
    case PhantomKinetics::Rising: {
      if (t <= 0) return 0.0;
      if (t >= t_peak) return a_peak * std::exp(-lambda * (t - t_peak));
      double tp = 0.0, ap = 0.0;  // linear between the knots (0, 0), (t_i, A_i)
      for (size_t i = 0; i < times_s.size(); ++i) {
        if (t <= times_s[i]) return ap + (samples[i] - ap) * (t - tp) / (times_s[i] - tp);
        tp = times_s[i];
        ap = samples[i];
      }
      return ap;
    }
    case PhantomKinetics::Biexp:
      if (t <= 0) return 0.0;
      return c_biexp * (std::exp(-lambda * t) - std::exp(-lambda_uptake * t));
  }
  return 0.0;
}

bool PhantomOrgan::inside(double x, double y, double z) const {
  if (ax <= 0) return false;
  const double u = (x - cx) / ax, v = (y - cy) / ay, w = (z - cz) / az;
  return u * u + v * v + w * w <= 1.0;
}

std::vector<PhantomOrgan> tia_phantom_organs(const TiaPhantomSpec& spec) {
  const double lambda_phys = std::log(2.0) / spec.half_life_s;
  std::vector<double> ts;
  for (double h : spec.times_h) ts.push_back(h * kHour);
  std::vector<PhantomOrgan> o(kPhantomLabels);
  o[kLabelAir] = ellipsoid(kLabelAir, "air", 0, 0, 0, 0, 0, 0);
  o[kLabelAir].curve_class = "none";
  o[kLabelAir].model = "none";
  // geometry in mm, RAS+ (+x to the patient's right, +y anterior, +z superior), origin at the FOV centre
  o[kLabelBody] = ellipsoid(kLabelBody, "body", 0, 0, 0, 170, 110, 120);
  o[kLabelLiver] = ellipsoid(kLabelLiver, "liver", 65, 5, 50, 80, 70, 50);
  o[kLabelSpleen] = ellipsoid(kLabelSpleen, "spleen", -85, -30, 55, 35, 28, 45);
  o[kLabelKidneyLeft] = ellipsoid(kLabelKidneyLeft, "kidney_left", -65, -45, -35, 28, 22, 45);
  o[kLabelKidneyRight] = ellipsoid(kLabelKidneyRight, "kidney_right", 65, -45, -35, 28, 22, 45);
  o[kLabelTumourHump] = ellipsoid(kLabelTumourHump, "tumour_hump", 80, 10, 60, 20, 20, 20);
  o[kLabelTumourRising] = ellipsoid(kLabelTumourRising, "tumour_rising", -45, 55, -50, 22, 22, 22);
  o[kLabelTumourSmall] = ellipsoid(kLabelTumourSmall, "tumour_small", -20, 30, 40, 12, 12, 12);
  // kinetics (Bq/ml; a 7.4 GBq Lu-177 therapy, magnitudes in docs/tia_phantom.md)
  if (spec.kinetics == "physiological") {
    // uptake half-time, biological half-life (h): docs/tia_phantom.md "Physiological kinetics"
    set_biexp(o[kLabelBody], 3.0e4, 0.5, 30.0, lambda_phys);
    set_biexp(o[kLabelLiver], 1.2e5, 1.0, 100.0, lambda_phys);
    set_biexp(o[kLabelSpleen], 2.0e5, 3.0, 70.0, lambda_phys);
    set_biexp(o[kLabelKidneyLeft], 2.5e5, 2.0, 50.0, lambda_phys);
    set_biexp(o[kLabelKidneyRight], 2.5e5, 2.0, 50.0, lambda_phys);
    set_biexp(o[kLabelTumourHump], 8.0e5, 8.0, 200.0, lambda_phys);
    set_biexp(o[kLabelTumourRising], 3.0e5, 20.0, 300.0, lambda_phys);
    set_biexp(o[kLabelTumourSmall], 5.0e5, 5.0, 150.0, lambda_phys);
    for (auto& g : o) {
      g.times_s = ts;
      g.samples.clear();
      for (double t : ts) g.samples.push_back(g.density(t));
      if (g.kinetics == PhantomKinetics::Biexp) g.curve_class = expected_curve_class(g.samples);
    }
    return o;
  }
  set_falling(o[kLabelBody], 3.0e4, 40.0, ts.front());
  set_falling(o[kLabelLiver], 1.2e5, 60.0, ts.front());
  set_gamma(o[kLabelSpleen], 2.0e5, 1.5, 0.03);
  set_gamma(o[kLabelKidneyLeft], 2.5e5, 0.9, 0.035);
  set_gamma(o[kLabelKidneyRight], 2.5e5, 0.9, 0.035);
  set_gamma(o[kLabelTumourHump], 8.0e5, 1.2, 0.02);
  set_rising(o[kLabelTumourRising], 3.0e5, 0.01, ts, lambda_phys);
  set_gamma(o[kLabelTumourSmall], 5.0e5, 2.0, 0.04);
  for (auto& g : o) {
    g.times_s = ts;
    if (g.kinetics == PhantomKinetics::Rising) continue;  // samples set by set_rising
    g.samples.clear();
    for (double t : ts) g.samples.push_back(g.density(t));
  }
  return o;
}

Grid tia_phantom_grid(const TiaPhantomSpec& spec) {
  Grid g;
  g.dims = {spec.nx, spec.ny, spec.nz};
  g.nt = 1;
  g.spacing_mm = {spec.spacing_mm, spec.spacing_mm, spec.spacing_mm};
  g.affine = Grid::scaling_affine(g.spacing_mm);
  for (int a = 0; a < 3; ++a)
    g.affine[static_cast<size_t>(a)][3] = -0.5 * static_cast<double>(g.dims[static_cast<size_t>(a)] - 1) * spec.spacing_mm;
  return g;
}

std::uint8_t tia_phantom_label(const TiaPhantomSpec& spec, const std::vector<PhantomOrgan>& organs, std::int64_t i,
                               std::int64_t j, std::int64_t k) {
  const double s = spec.spacing_mm;
  const double x = (static_cast<double>(i) - 0.5 * static_cast<double>(spec.nx - 1)) * s;
  const double y = (static_cast<double>(j) - 0.5 * static_cast<double>(spec.ny - 1)) * s;
  const double z = (static_cast<double>(k) - 0.5 * static_cast<double>(spec.nz - 1)) * s;
  if (!organs[kLabelBody].inside(x, y, z)) return kLabelAir;
  static constexpr std::uint8_t order[] = {kLabelTumourHump, kLabelTumourRising, kLabelTumourSmall, kLabelKidneyLeft,
                                           kLabelKidneyRight, kLabelSpleen,      kLabelLiver};
  for (std::uint8_t l : order)
    if (organs[l].inside(x, y, z)) return l;
  return kLabelBody;
}

double tia_phantom_gauss(std::uint64_t seed, std::int64_t voxel, int time_point) {
  const std::uint64_t base = splitmix64(splitmix64(seed ^ 0x7469615F7068616Eull) ^ static_cast<std::uint64_t>(voxel));
  const std::uint64_t h1 = splitmix64(base ^ (2ull * static_cast<std::uint64_t>(time_point)));
  const std::uint64_t h2 = splitmix64(base ^ (2ull * static_cast<std::uint64_t>(time_point) + 1ull));
  const double u1 = (static_cast<double>(h1 >> 11) + 0.5) * 0x1.0p-53;  // (0, 1)
  const double u2 = static_cast<double>(h2 >> 11) * 0x1.0p-53;          // [0, 1)
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::string expected_curve_class(const std::vector<double>& a, double epsilon, double floor_rel) {
  double mx = 0.0;
  for (double v : a) mx = std::max(mx, v);
  std::vector<double> v;
  for (double x : a)
    if (x > 0 && x >= floor_rel * mx) v.push_back(x);
  if (v.size() < 2) return "none";
  size_t p = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[p]) p = i;
  const double eps = epsilon * v[p];
  int s = 0;
  for (size_t i = 0; i + 1 < v.size(); ++i) {
    const double d = v[i + 1] - v[i];
    s += d > eps ? 1 : (d < -eps ? -1 : 0);
  }
  if (p == 0 && s < 0) return "falling";
  if (p == v.size() - 1 && s > 0) return "rising";
  if (p > 0 && p + 1 < v.size() && v.front() < v[p] - eps && v.back() < v[p] - eps) return "hump";
  return "ambiguous";
}

}  // namespace voxflow::tia
