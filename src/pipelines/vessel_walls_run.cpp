#include "src/pipelines/vessel_walls_run.hpp"

#include <mpi.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>

#include "io/atomic_file.hpp"
#include "io/png_writer.hpp"
#include "io/stl_writer.hpp"
#include "io/vtp_writer.hpp"
#include "src/core/error.hpp"
#include "src/viz/contour_figure.hpp"
#include "src/viz/line_plot.hpp"
#include "src/vessel/centerline_refinement.hpp"
#include "src/vessel/cross_section.hpp"
#include "src/vessel/plane_block.hpp"
#include "src/vessel/polar_unwrap.hpp"
#include "src/vessel/surface_mesh.hpp"

namespace voxflow::pipelines {
namespace {

using vessel::Point3;
constexpr double kPi = 3.14159265358979323846;

double now(const Comm& comm) {
  comm.barrier();
  return MPI_Wtime();
}

// ---- byte packing for the gather
struct Packer {
  std::vector<char> b;
  void d(double x) {
    const char* p = reinterpret_cast<const char*>(&x);
    b.insert(b.end(), p, p + sizeof x);
  }
  void s(const std::string& t) {
    d(static_cast<double>(t.size()));
    b.insert(b.end(), t.begin(), t.end());
  }
};
struct Unpacker {
  const std::vector<char>& b;
  size_t pos = 0;
  double d() {
    double x;
    std::memcpy(&x, b.data() + pos, sizeof x);
    pos += sizeof x;
    return x;
  }
  std::string s() {
    const size_t n = static_cast<size_t>(d());
    std::string t(b.data() + pos, n);
    pos += n;
    return t;
  }
};

/// Every rank's bytes, in rank order, on every rank.
std::vector<char> allgather_bytes(const std::vector<char>& mine, const Comm& comm) {
  const int R = comm.size();
  int n = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<size_t>(R)), displs(static_cast<size_t>(R));
  MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm.comm);
  int total = 0;
  for (int r = 0; r < R; ++r) {
    displs[static_cast<size_t>(r)] = total;
    total += counts[static_cast<size_t>(r)];
  }
  std::vector<char> all(static_cast<size_t>(total));
  MPI_Allgatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, comm.comm);
  return all;
}

/// Contiguous share [first, last) of n sections for `rank`.
void share(size_t n, int rank, int ranks, size_t* first, size_t* last) {
  *first = n * static_cast<size_t>(rank) / static_cast<size_t>(ranks);
  *last = n * static_cast<size_t>(rank + 1) / static_cast<size_t>(ranks);
}

int cpr_width(const VesselWallOptions& o) { return 2 * static_cast<int>(std::lround(o.max_radius_mm / o.section_spacing_mm)) + 1; }

struct Pass {
  std::vector<std::vector<double>> lumen, outer;
  std::vector<bool> ok;
  std::vector<std::string> warning;
  std::vector<double> calcified;
  std::vector<double> edge_blur;  // per section: its edge blur estimate (NaN: none)
  std::vector<std::vector<float>> cpr;
  long long dp_starts = 0;
  double dp_cpu = 0.0;
  std::vector<int> panel;
  std::vector<std::vector<float>> panel_images;
  int panel_size = 0;
};

/// Sections at `centres` with `frames`: each rank its share, gathered on all.
Pass segment_pass(const std::vector<Point3>& centres, const std::vector<vessel::Frame>& frames, const Volume3D& img,
                  const VesselWallOptions& o, const Comm& comm, bool want_panel, const std::vector<double>& arc) {
  const size_t n = centres.size();
  size_t first = 0, last = 0;
  share(n, comm.rank(), comm.size(), &first, &last);
  const vessel::WorldToVoxel w2v(img.layout.grid.affine);
  const double reach = std::max(o.max_radius_mm, want_panel ? 0.5 * std::sqrt(2.0) * o.section_size_mm : 0.0) + 1.0;
  // the box of voxels this rank's sections reach (the same box every pass computes for a section,
  // so a section's samples never depend on the other sections of its rank)
  std::array<double, 3> bmin, bmax;
  bmin.fill(std::numeric_limits<double>::infinity());
  bmax.fill(-std::numeric_limits<double>::infinity());
  for (size_t k = first; k < last; ++k) {
    std::array<double, 3> a, b;
    vessel::voxel_box_of_disc(w2v, centres[k], frames[k], reach, &a, &b);
    for (size_t c = 0; c < 3; ++c)
      if (std::isfinite(a[c]) && std::isfinite(b[c])) {
        bmin[c] = std::min(bmin[c], a[c]);
        bmax[c] = std::max(bmax[c], b[c]);
      }
  }
  std::array<std::int64_t, 3> lo{0, 0, 0}, hi{-1, -1, -1};
  const auto& dims = img.layout.grid.dims;
  bool any = true;
  for (size_t c = 0; c < 3; ++c) any = any && std::isfinite(bmin[c]) && std::isfinite(bmax[c]);
  if (any)
    for (size_t c = 0; c < 3; ++c) {
      const double nd = static_cast<double>(dims[c]);
      lo[c] = static_cast<std::int64_t>(std::max(0.0, std::min(nd, bmin[c])));
      hi[c] = static_cast<std::int64_t>(std::max(-1.0, std::min(nd - 1, bmax[c])));
    }
  const vessel::PlaneBlock block = vessel::fetch_plane_block(img, lo, hi, comm);
  const int nu = cpr_width(o);
  Packer pk;
  double cpu = 0.0;
  long long starts = 0;
  for (size_t k = first; k < last; ++k) {
    const vessel::PolarImage polar = vessel::polar_unwrap(block, w2v, centres[k], frames[k], o.angles, o.radii, o.max_radius_mm);
    const auto c0 = std::chrono::steady_clock::now();
    const vessel::SectionWalls w = vessel::segment_walls(polar, o.walls);
    cpu += std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    starts += w.dp_starts;
    pk.d(w.ok ? 1.0 : 0.0);
    pk.s(w.warning);
    if (w.ok) {
      for (double r : w.lumen_mm) pk.d(r);
      for (double r : w.outer_mm) pk.d(r);
    }
    pk.d(w.calcified_area_mm2);
    pk.d(w.edge_blur_mm);
    for (int j = 0; j < nu; ++j) {
      const double u = (j - 0.5 * (nu - 1)) * o.section_spacing_mm;
      pk.d(vessel::trilinear(block, w2v(vessel::plane_point(centres[k], frames[k], u, 0.0))));
    }
  }
  Pass p;
  p.dp_cpu = comm.sum(cpu);
  p.dp_starts = comm.sum(starts);
  const std::vector<char> all = allgather_bytes(pk.b, comm);
  Unpacker up{all};
  p.lumen.resize(n);
  p.outer.resize(n);
  p.ok.assign(n, false);
  p.warning.resize(n);
  p.calcified.assign(n, 0.0);
  p.edge_blur.assign(n, std::nan(""));
  p.cpr.resize(n);
  const size_t A = static_cast<size_t>(o.angles);
  for (size_t k = 0; k < n; ++k) {
    p.ok[k] = up.d() != 0.0;
    p.warning[k] = up.s();
    if (p.ok[k]) {
      p.lumen[k].resize(A);
      p.outer[k].resize(A);
      for (auto& r : p.lumen[k]) r = up.d();
      for (auto& r : p.outer[k]) r = up.d();
    }
    p.calcified[k] = up.d();
    p.edge_blur[k] = up.d();
    p.cpr[k].resize(static_cast<size_t>(nu));
    for (auto& v : p.cpr[k]) v = static_cast<float>(up.d());
  }
  if (!want_panel) return p;
  // panel: 7 sections evenly spread over the valid ones, and the one of minimal lumen area
  std::vector<int> valid;
  int kmin = -1;
  double amin = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < n; ++k)
    if (p.ok[k]) {
      valid.push_back(static_cast<int>(k));
      const double a = vessel::polar_contour_area(p.lumen[k]);
      if (a < amin) {
        amin = a;
        kmin = static_cast<int>(k);
      }
    }
  if (valid.empty()) return p;
  int lesion = -1;
  {
    std::vector<double> zero(n, 0.0);
    vessel::VesselMeasurement vm;
    vessel::measure_sections(arc, p.lumen, p.lumen, zero, p.ok, o.measure, &vm);
    for (size_t k = 0; k < n; ++k)
      if (p.ok[k] && std::fabs(arc[k] - vm.lesion_arc_mm) < 1e-9) lesion = static_cast<int>(k);
  }
  const int want = 6;
  for (int i = 0; i < want; ++i) {
    const int k = valid[static_cast<size_t>(std::lround((valid.size() - 1) * (i + 0.5) / want))];
    p.panel.push_back(k);
  }
  p.panel.push_back(kmin);
  if (lesion >= 0) p.panel.push_back(lesion);
  std::sort(p.panel.begin(), p.panel.end());
  p.panel.erase(std::unique(p.panel.begin(), p.panel.end()), p.panel.end());
  Packer pi;
  for (int k : p.panel) {
    if (static_cast<size_t>(k) < first || static_cast<size_t>(k) >= last) continue;
    int size = 0;
    const auto im = vessel::cross_section_image(block, w2v, centres[static_cast<size_t>(k)], frames[static_cast<size_t>(k)],
                                                o.section_size_mm, o.section_spacing_mm, &size);
    pi.d(k);
    pi.d(size);
    for (float v : im) pi.d(v);
  }
  const std::vector<char> imgs = allgather_bytes(pi.b, comm);
  Unpacker ui{imgs};
  p.panel_images.resize(p.panel.size());
  while (ui.pos < imgs.size()) {
    const int k = static_cast<int>(ui.d());
    const int size = static_cast<int>(ui.d());
    const size_t slot = static_cast<size_t>(std::find(p.panel.begin(), p.panel.end(), k) - p.panel.begin());
    p.panel_size = size;
    p.panel_images[slot].resize(static_cast<size_t>(size) * static_cast<size_t>(size));
    for (auto& v : p.panel_images[slot]) v = static_cast<float>(ui.d());
  }
  return p;
}

void validate(const VesselWallOptions& o) {
  if (!(o.step_mm > 0.0)) throw InputError("vessel: --step-mm must be > 0");
  if (!(o.section_size_mm > 0.0)) throw InputError("vessel: --section-size-mm must be > 0");
  if (!(o.section_spacing_mm > 0.0)) throw InputError("vessel: --section-spacing-mm must be > 0");
  if (o.section_size_mm / o.section_spacing_mm > 2000.0) throw InputError("vessel: --section-size-mm / --section-spacing-mm is over 2000 pixels");
  if (o.angles < 8 || o.angles > 3600) throw InputError("vessel: --angles must be within [8, 3600]");
  if (o.radii < 4 || o.radii > 10000) throw InputError("vessel: --radii must be within [4, 10000]");
  if (!(o.max_radius_mm > 0.0)) throw InputError("vessel: --max-radius-mm must be > 0");
  if (o.walls.smoothness < 0) throw InputError("vessel: --smoothness must be >= 0");
  if (!(o.walls.min_wall_mm >= 0.0)) throw InputError("vessel: --min-wall-mm must be >= 0");
  if (!(o.walls.edges.calcium_hu > o.walls.edges.wall_hu)) throw InputError("vessel: --calcium-hu must be above --wall-hu");
  if (!(o.walls.edge_blur_mm >= 0.0)) throw InputError("vessel: --edge-blur-mm must be >= 0");
  if (o.refine_passes < 0) throw InputError("vessel: --refine-passes must be >= 0");
  if (!(o.flow_extensions >= 0.0)) throw InputError("vessel: --flow-extensions must be >= 0");
  if (!(o.smoothing_mm >= 0.0)) throw InputError("vessel: the smoothing length must be >= 0");
  if (!(o.measure.reference_distance_mm >= 0.0) || !(o.measure.reference_length_mm > 0.0))
    throw InputError("vessel: the reference window needs a distance >= 0 and a length > 0 mm");
}

size_t count_ok(const std::vector<bool>& ok) { return static_cast<size_t>(std::count(ok.begin(), ok.end(), true)); }

std::string num(double x) {
  if (!std::isfinite(x)) return "nan";
  char b[64];
  std::snprintf(b, sizeof b, "%.6f", x);
  return b;
}

Point3 contour_point(const VesselWallsResult& r, size_t k, size_t a, const std::vector<double>& rad) {
  const double th = 2.0 * kPi * double(a) / double(rad.size());
  return vessel::plane_point(r.centerline.points_mm[k], r.frames[k], rad[a] * std::cos(th), rad[a] * std::sin(th));
}

void write_contours(const std::string& stem, const VesselWallsResult& r, bool lumen) {
  std::ostringstream csv;
  csv << "section,angle_deg,x_mm,y_mm,z_mm\n";
  std::vector<std::array<double, 3>> pts;
  std::vector<std::vector<std::int64_t>> lines;
  std::vector<double> ang, arc;
  std::vector<int> sec;
  for (size_t k = 0; k < r.ok.size(); ++k) {
    if (!r.ok[k]) continue;
    const auto& rad = lumen ? r.lumen_mm[k] : r.outer_mm[k];
    std::vector<std::int64_t> line;
    for (size_t a = 0; a < rad.size(); ++a) {
      const Point3 p = contour_point(r, k, a, rad);
      const double deg = 360.0 * double(a) / double(rad.size());
      csv << k << ',' << num(deg) << ',' << num(p[0]) << ',' << num(p[1]) << ',' << num(p[2]) << '\n';
      line.push_back(static_cast<std::int64_t>(pts.size()));
      pts.push_back(p);
      ang.push_back(deg);
      arc.push_back(r.centerline.arc_length_mm[k]);
    }
    line.push_back(line.front());
    lines.push_back(line);
    sec.push_back(static_cast<int>(k));
  }
  io::write_text_atomic(stem + ".csv", csv.str());
  io::write_polylines_vtp(stem + ".vtp", pts, lines, {{"angle_deg", ang}, {"arc_length_mm", arc}}, {{"section", sec}});
}

void write_mesh(const std::string& stem, const VesselWallsResult& r, bool lumen, double flow_extensions, double step) {
  std::vector<Point3> c;
  std::vector<vessel::Frame> f;
  std::vector<std::vector<double>> rad;
  for (size_t k = 0; k < r.ok.size(); ++k)
    if (r.ok[k]) {
      c.push_back(r.centerline.points_mm[k]);
      f.push_back(r.frames[k]);
      rad.push_back(lumen ? r.lumen_mm[k] : r.outer_mm[k]);
    }
  const vessel::TriangleMesh m = vessel::tube_surface(c, f, rad, flow_extensions, step);
  io::write_stl_binary(stem + ".stl", m.vertices, m.triangles, std::string("voxflow vessel ") + (lumen ? "lumen" : "outer wall"));
  io::write_surface_vtp(stem + ".vtp", m.vertices, m.triangles, {}, {{"CellEntityIds", m.entity_ids}});
}

void write_pictures(const std::string& dir, const VesselWallsResult& r, const VesselWallOptions& o) {
  const RGBA kLumen{230, 40, 40, 255}, kOuter{40, 200, 255, 255};
  const size_t n = r.ok.size();
  const int nu = cpr_width(o);
  // straightened CPR: arc along x (cols columns per section), u along y (top: -max radius)
  int cols = std::max(1, static_cast<int>(std::lround(o.step_mm / o.section_spacing_mm)));
  while (cols > 1 && static_cast<long long>(cols) * static_cast<long long>(n) > 30000) --cols;
  const int W = static_cast<int>(std::min<size_t>(30000, n * static_cast<size_t>(cols)));
  viz::ContourImage cpr;
  cpr.title = "straightened CPR along the refined centerline (arc length " + num(r.centerline.length_mm()).substr(0, 6) +
              " mm, left = start)";
  cpr.width = W;
  cpr.height = nu;
  cpr.values.assign(static_cast<size_t>(W) * static_cast<size_t>(nu), std::nanf(""));
  for (int x = 0; x < W; ++x) {
    const size_t k = static_cast<size_t>(x / cols);
    for (int j = 0; j < nu; ++j) cpr.values[static_cast<size_t>(j) * static_cast<size_t>(W) + static_cast<size_t>(x)] = r.cpr_rows[k][static_cast<size_t>(j)];
  }
  const size_t A = static_cast<size_t>(r.angles), half = A / 2;
  auto ypix = [&](double u) { return u / o.section_spacing_mm + 0.5 * (nu - 1) + 0.5; };
  for (int side = 0; side < 2; ++side)
    for (int which = 0; which < 2; ++which) {
      viz::ImageLine l;
      l.colour = which == 0 ? kLumen : kOuter;
      for (size_t k = 0; k < n && static_cast<int>(k) * cols < W; ++k) {
        const double x = k * cols + 0.5 * cols;
        if (!r.ok[k]) {
          l.xy.push_back({std::nan(""), std::nan("")});
          continue;
        }
        const auto& rad = which == 0 ? r.lumen_mm[k] : r.outer_mm[k];
        // theta = 0 lies at u = +r, theta = 180 deg at u = -r (a non-even angle count: the nearest ray)
        l.xy.push_back({x, ypix(side == 0 ? rad[0] : -rad[half])});
      }
      cpr.lines.push_back(l);
    }
  viz::ContourFigure fc;
  fc.title = "voxflow vessel: lumen and outer wall";
  fc.images.push_back(cpr);
  fc.columns = 1;
  fc.scale = W * 2 <= 4000 && nu * 2 <= 1000 ? 2 : 1;
  fc.legend = {{"lumen", kLumen}, {"outer wall", kOuter}};
  io::write_png(dir + "/vessel_cpr.png", viz::render_contour_figure(fc));
  // panel of cross-sections
  if (!r.panel_sections.empty() && r.panel_size > 0) {
    viz::ContourFigure fp;
    fp.title = "cross-sections (lumen red, outer wall cyan)";
    fp.columns = 4;
    fp.scale = r.panel_size <= 100 ? 2 : 1;
    fp.legend = {{"lumen", kLumen}, {"outer wall", kOuter}};
    const double h = 0.5 * (r.panel_size - 1);
    for (size_t i = 0; i < r.panel_sections.size(); ++i) {
      const size_t k = static_cast<size_t>(r.panel_sections[i]);
      viz::ContourImage im;
      char t[160];
      std::snprintf(t, sizeof t, "#%zu  s = %.1f mm  A = %.2f mm2%s", k, r.centerline.arc_length_mm[k],
                    r.sections[k].lumen_area_mm2,
                    std::fabs(r.centerline.arc_length_mm[k] - r.vessel.lesion_arc_mm) < 1e-9 ? "  (lesion)" : std::fabs(r.centerline.arc_length_mm[k] - r.vessel.min_lumen_area_arc_mm) < 1e-9 ? "  (MLA)" : "");
      im.title = t;
      im.width = im.height = r.panel_size;
      im.values = r.panel_images[i];
      for (int which = 0; which < 2; ++which) {
        viz::ImageLine l;
        l.colour = which == 0 ? kLumen : kOuter;
        l.closed = true;
        const auto& rad = which == 0 ? r.lumen_mm[k] : r.outer_mm[k];
        for (size_t a = 0; a < rad.size(); ++a) {
          const double th = 2.0 * kPi * double(a) / double(rad.size());
          l.xy.push_back({h + 0.5 + rad[a] * std::cos(th) / o.section_spacing_mm, h + 0.5 + rad[a] * std::sin(th) / o.section_spacing_mm});
        }
        im.lines.push_back(l);
      }
      fp.images.push_back(im);
    }
    io::write_png(dir + "/vessel_sections.png", viz::render_contour_figure(fp));
  }
  // areas along the arc
  viz::LinePlot lp;
  lp.title = "lumen and vessel area along the centerline";
  lp.x_label = "arc length (mm)";
  lp.y_label = "area (mm2)";
  viz::PlotSeries sl{"lumen area", {}, {}, kLumen}, sv{"vessel (outer wall) area", {}, {}, RGBA{30, 120, 220, 255}};
  for (const auto& s : r.sections) {
    sl.x.push_back(s.arc_length_mm);
    sl.y.push_back(s.lumen_area_mm2);
    sv.x.push_back(s.arc_length_mm);
    sv.y.push_back(s.vessel_area_mm2);
  }
  lp.series = {sv, sl};
  char lab[160];
  std::snprintf(lab, sizeof lab, "stenosis %.0f %% (lumen %.2f mm2)", r.vessel.lesion_area_stenosis_pct, r.vessel.lesion_lumen_area_mm2);
  lp.markers.push_back({r.vessel.lesion_arc_mm, lab, RGBA{200, 0, 0, 255}});
  if (std::fabs(r.vessel.min_lumen_area_arc_mm - r.vessel.lesion_arc_mm) > 1.0) {
    std::snprintf(lab, sizeof lab, "MLA %.2f mm2", r.vessel.min_lumen_area_mm2);
    lp.markers.push_back({r.vessel.min_lumen_area_arc_mm, lab, RGBA{120, 0, 160, 255}});
  }
  io::write_png(dir + "/vessel_areas.png", viz::render_line_plot(lp));
}

std::string quoted(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

}  // namespace

VesselWallsResult run_vessel_walls(const vessel::Centerline& line, const Volume3D& img, const VesselWallOptions& o,
                                   const Comm& comm) {
  validate(o);
  VesselWallsResult r;
  r.angles = o.angles;
  const double t0 = now(comm);
  vessel::Centerline cur = vessel::resample_at_step(line, o.step_mm);
  if (cur.points_mm.size() < 2) throw InputError("vessel: the centerline is shorter than one --step-mm; no cross-sections");
  Pass p;
  size_t sections_done = 0;
  VesselWallOptions po = o;  // after the first pass: the vessel's edge blur (unless --edge-blur-mm)
  for (int pass = 0; pass <= o.refine_passes; ++pass) {
    const bool last = pass == o.refine_passes;
    r.frames = vessel::rotation_minimising_frames(cur.points_mm);
    p = segment_pass(cur.points_mm, r.frames, img, po, comm, last && o.pictures, cur.arc_length_mm);
    // the first pass: each section its own blur estimate; the next passes: their median
    if (!(po.walls.edge_blur_mm > 0.0)) {
      // the median of the sections' estimates (the same gathered numbers on every rank)
      std::vector<double> b;
      for (size_t k = 0; k < p.edge_blur.size(); ++k)
        if (p.ok[k] && p.edge_blur[k] > 0.0) b.push_back(p.edge_blur[k]);
      if (!b.empty()) {
        std::nth_element(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(b.size() / 2), b.end());
        po.walls.edge_blur_mm = b[b.size() / 2];
      }
    }
    r.edge_blur_mm = po.walls.edge_blur_mm;  // the blur of the last pass (or, with one pass, the sections' median)
    r.dp_starts += p.dp_starts;
    r.t_dp_cpu += p.dp_cpu;
    sections_done += p.ok.size();
    if (count_ok(p.ok) < 2) {
      std::string why;
      for (const auto& w : p.warning)
        if (!w.empty()) {
          why = " (e.g. " + w + ")";
          break;
        }
      throw InputError("vessel: " + std::to_string(count_ok(p.ok)) + " of " + std::to_string(p.ok.size()) +
                       " cross-sections could be segmented; nothing to measure" + why);
    }
    if (pass == 0) r.t_sections = now(comm) - t0;
    if (!last) {
      vessel::CenterlineOptions co;
      co.sample_spacing_mm = o.step_mm;
      co.smoothing_mm = o.smoothing_mm;
      cur = vessel::refine_centerline(cur.points_mm, r.frames, p.lumen, p.ok, co);
      if (cur.points_mm.size() < 2) throw InputError("vessel: the refined centerline is shorter than one --step-mm");
    }
  }
  r.t_refine = now(comm) - t0 - r.t_sections;
  const size_t n = cur.points_mm.size();
  r.dp_ms_per_section = 1000.0 * r.t_dp_cpu / double(sections_done);
  cur.radius_mm.assign(n, std::nan(""));
  r.lumen_mm = std::move(p.lumen);
  r.outer_mm = std::move(p.outer);
  r.ok = std::move(p.ok);
  r.cpr_rows = std::move(p.cpr);
  r.panel_sections = std::move(p.panel);
  r.panel_images = std::move(p.panel_images);
  r.panel_size = p.panel_size;
  r.sections = vessel::measure_sections(cur.arc_length_mm, r.lumen_mm, r.outer_mm, p.calcified, r.ok, o.measure, &r.vessel);
  for (size_t k = 0; k < n; ++k) {
    cur.radius_mm[k] = r.ok[k] ? std::sqrt(r.sections[k].lumen_area_mm2 / kPi) : std::nan("");
    if (!r.ok[k]) r.warnings.push_back({static_cast<int>(k), cur.arc_length_mm[k], p.warning[k]});
  }
  r.centerline = std::move(cur);
  return r;
}

void write_vessel_walls(const std::string& dir, VesselWallsResult& r, const VesselWallOptions& o, const Comm& comm) {
  double tm = 0.0, tp = 0.0, tw = 0.0;
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    const double a = MPI_Wtime();
    write_contours(dir + "/lumen_contours", r, true);
    write_contours(dir + "/outer_wall_contours", r, false);
    std::ostringstream m;
    m << "arc_length_mm,x_mm,y_mm,z_mm,lumen_area_mm2,vessel_area_mm2,lumen_min_diameter_mm,lumen_max_diameter_mm,"
         "area_stenosis_pct,plaque_burden_pct,remodeling_index,calcified_area_mm2,branch_flag\n";
    for (size_t k = 0; k < r.sections.size(); ++k) {
      const auto& s = r.sections[k];
      const Point3& p = r.centerline.points_mm[k];
      m << num(s.arc_length_mm) << ',' << num(p[0]) << ',' << num(p[1]) << ',' << num(p[2]) << ',' << num(s.lumen_area_mm2)
        << ',' << num(s.vessel_area_mm2) << ',' << num(s.lumen_min_diameter_mm) << ',' << num(s.lumen_max_diameter_mm) << ','
        << num(s.area_stenosis_pct) << ',' << num(s.plaque_burden_pct) << ',' << num(s.remodeling_index) << ','
        << num(s.calcified_area_mm2) << ',' << (s.branch_flag ? 1 : 0) << '\n';
    }
    io::write_text_atomic(dir + "/measurements.csv", m.str());
    const double b = MPI_Wtime();
    write_mesh(dir + "/lumen", r, true, o.flow_extensions, o.step_mm);
    write_mesh(dir + "/outer_wall", r, false, o.flow_extensions, o.step_mm);
    const double c = MPI_Wtime();
    if (o.pictures) write_pictures(dir, r, o);
    const double d = MPI_Wtime();
    tw = b - a;
    tm = c - b;
    tp = d - c;
  });
  r.t_write = tw;
  r.t_mesh = tm;
  r.t_pictures = tp;
}

std::string vessel_walls_yaml(const VesselWallsResult& r, const VesselWallOptions& o) {
  std::ostringstream y;
  y.precision(8);
  const auto& v = r.vessel;
  y << "walls:\n  sections: " << r.ok.size() << "\n  sections_segmented: " << count_ok(r.ok) << "\n  step_mm: " << o.step_mm
    << "\n  angles: " << o.angles << "\n  radii: " << o.radii << "\n  max_radius_mm: " << o.max_radius_mm
    << "\n  smoothness: " << o.walls.smoothness << "\n  min_wall_mm: " << o.walls.min_wall_mm
    << "\n  calcium_hu: " << o.walls.edges.calcium_hu << "\n  wall_hu: " << o.walls.edges.wall_hu
    << "\n  fat_hu: " << o.walls.fat_hu << "\n  edge_model: " << (o.walls.two_edge_fit ? "two-edge" : "dp")
    << "\n  edge_blur_mm: " << num(r.edge_blur_mm)
    << "\n  min_edge_hu: " << o.walls.min_edge_hu << "\n  refine_passes: " << o.refine_passes
    << "\n  flow_extensions: " << o.flow_extensions << "\n  dp_starts: " << r.dp_starts << "\n"
    << "vessel_measurements:\n  length_mm: " << r.centerline.length_mm() << "\n  min_lumen_area_mm2: " << num(v.min_lumen_area_mm2)
    << "\n  min_lumen_area_arc_mm: " << num(v.min_lumen_area_arc_mm)
    << "\n  lesion_arc_mm: " << num(v.lesion_arc_mm) << "\n  lesion_lumen_area_mm2: " << num(v.lesion_lumen_area_mm2)
    << "\n  lesion_area_stenosis_pct: " << num(v.lesion_area_stenosis_pct)
    << "\n  lesion_plaque_burden_pct: " << num(v.lesion_plaque_burden_pct)
    << "\n  reference_lumen_area_mm2: " << num(v.reference_lumen_area_mm2)
    << "\n  reference_vessel_area_mm2: " << num(v.reference_vessel_area_mm2)
    << "\n  max_area_stenosis_pct: " << num(v.max_area_stenosis_pct) << "\n  max_plaque_burden_pct: " << num(v.max_plaque_burden_pct)
    << "\n  remodeling_index: " << num(v.remodeling_index) << "\n  plaque_volume_mm3: " << num(v.plaque_volume_mm3)
    << "\n  calcified_plaque_volume_mm3: " << num(v.calcified_volume_mm3)
    << "\n  branch_sections: " << v.branch_sections << "\n"
    << "section_warnings:";
  if (r.warnings.empty()) y << " []";
  y << "\n";
  for (const auto& w : r.warnings)
    y << "  - {section: " << w.section << ", arc_length_mm: " << num(w.arc_length_mm) << ", text: " << quoted(w.text) << "}\n";
  y << "timing_walls_s:\n  sections: " << r.t_sections << "\n  refine_and_resection: " << r.t_refine
    << "\n  dp_cpu_all_ranks: " << r.t_dp_cpu << "\n  dp_ms_per_section: " << r.dp_ms_per_section << "\n  mesh: " << r.t_mesh
    << "\n  pictures: " << r.t_pictures << "\n  write: " << r.t_write << "\n";
  return y.str();
}

}  // namespace voxflow::pipelines
