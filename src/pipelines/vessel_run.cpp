#include "src/pipelines/vessel_run.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <sstream>

#include "io/atomic_file.hpp"
#include "io/huge_pages.hpp"
#include "io/image_reader.hpp"
#include "io/nifti_reader.hpp"
#include "io/nifti_writer.hpp"
#include "io/output_manifest.hpp"
#include "io/png_writer.hpp"
#include "io/vtp_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/fault_injection.hpp"
#include "src/filters/frangi.hpp"
#include "src/filters/frangi_blocks.hpp"
#include "src/filters/mip.hpp"
#include "src/filters/resample_isotropic.hpp"
#include "src/vessel/backtrack.hpp"
#include "src/vessel/centerline.hpp"
#include "src/vessel/lazy_speed.hpp"
#include "src/viz/mip_figure.hpp"

namespace voxflow::pipelines {
namespace {

double now(const Comm& comm) {
  comm.barrier();
  return MPI_Wtime();
}

/// The t = 0 volume of the rank's slab of a 3D image, with `halo` planes (a NIfTI file fills them
/// from the file, straight into the 3D volume; a DICOM series goes through the 4D reader and
/// leaves them for the halo exchange). Collective (call it outside any collective_check; it agrees
/// on failures itself): a DICOM folder is scanned by rank 0 only and the plan broadcast.
Volume3D read_volume(const std::string& path, io::ImageFormat fmt, const Grid& grid, const Slab& slab,
                     const std::string& label, const Comm& comm, int halo = 0) {
  // a one-stream .nii.gz is inflated once, by rank 0, and streamed to the ranks
  if (fmt == io::ImageFormat::Nifti) return io::read_nifti_3d(path, slab, halo, comm);
  Volume3D v;
  const Volume4D v4 = io::read_image_4d(path, fmt, slab, 0, io::DicomReadOptions{}, comm);
  collective_check(comm, [&] {
    v = Volume3D(grid, slab, halo, label);
    auto src = Kokkos::create_mirror_view(v4.data);
    Kokkos::deep_copy(src, v4.data);
    auto dst = Kokkos::create_mirror_view(v.data);
    for (std::int64_t n = 0; n < v.layout.owned_voxels(); ++n)
      dst(v.layout.owned_to_storage(n)) = src(v4.layout.owned_to_storage(n), 0);
    Kokkos::deep_copy(v.data, dst);
  });
  return v;
}

/// Voxel of a click on the working grid `g`; `input` is the grid --coords voxel refers to.
vessel::VoxelIndex click_to_voxel(const std::array<double, 3>& c, bool voxel, const Grid& input, const Grid& g,
                                  const char* which) {
  const vessel::Point3 world = voxel ? vessel::voxel_to_world(input.affine, {c[0], c[1], c[2]}) : vessel::Point3{c[0], c[1], c[2]};
  const vessel::Point3 v = vessel::world_to_voxel(g.affine, world);
  vessel::VoxelIndex out{};
  for (size_t a = 0; a < 3; ++a) {
    if (!std::isfinite(v[a]) || v[a] < -0.5 || v[a] > double(g.dims[a]) - 0.5) {
      std::ostringstream o;
      o << "the " << which << " point (" << c[0] << ", " << c[1] << ", " << c[2] << (voxel ? " voxel" : " mm")
        << ") is outside the volume " << g.describe() << " (voxel " << v[0] << ", " << v[1] << ", " << v[2] << ")";
      throw InputError(o.str());
    }
    out[a] = std::min<std::int64_t>(g.dims[a] - 1, std::max<std::int64_t>(0, std::llround(v[a])));
  }
  return out;
}

std::string num(double x) {
  if (!std::isfinite(x)) return "nan";
  char b[64];
  std::snprintf(b, sizeof b, "%.6f", x);
  return b;
}

}  // namespace

VesselSummary run_vessel(const VesselOptions& o, const Comm& comm) {
  VesselSummary s;
  s.ranks = comm.size();
  s.huge_pages = transparent_huge_pages_requested();
  const double t0 = now(comm);
  if (o.output_dir.empty()) throw UsageError("vessel: an output folder is needed (-o DIR)");
  // ---- input header, clicks
  io::ImageFormat fmt{};
  io::ImageInfo info;
  collective_check(comm, [&] {
    fmt = io::detect_format(o.input);
    if (fmt == io::ImageFormat::Hdf5) throw InputError("vessel: give a NIfTI file or a DICOM series, not HDF5");
  });
  info = io::read_image_info(o.input, fmt, io::DicomReadOptions{}, comm);  // collective: a DICOM folder is scanned once
  const Grid in_grid = info.grid;
  const auto& isp = in_grid.spacing_mm;
  const double smin = std::min({isp[0], isp[1], isp[2]}), smax = std::max({isp[0], isp[1], isp[2]});
  s.anisotropic = smax > 1.01 * smin;
  s.resampled_to_mm = o.spacing_mm > 0.0 ? o.spacing_mm : (o.spacing_mm < 0.0 && s.anisotropic ? 0.5 : 0.0);
  Grid grid = in_grid;  // the working grid
  // every rank decides the same; collective_check lets only rank 0 print the line
  collective_check(comm, [&] {
    if (in_grid.nt != 1)
      throw InputError("vessel: " + o.input + " has " + std::to_string(in_grid.nt) + " time points; a 3D image is needed");
    if (s.resampled_to_mm > 0.0) grid = filters::isotropic_grid(in_grid, s.resampled_to_mm);
    s.start_voxel = click_to_voxel(o.start, o.coords_voxel, in_grid, grid, "start");
    s.end_voxel = click_to_voxel(o.end, o.coords_voxel, in_grid, grid, "end");
    if (s.start_voxel == s.end_voxel) throw InputError("vessel: the start and end points fall on the same voxel");
  });
  const auto& sp = grid.spacing_mm;
  filters::FrangiOptions fo;
  fo.sigmas_vox = o.scales_vox;
  if (!o.scales_mm.empty()) {
    const double mean = std::cbrt(sp[0] * sp[1] * sp[2]);
    fo.sigmas_vox.clear();
    for (double m : o.scales_mm) fo.sigmas_vox.push_back(m / mean);
  }
  fo.alpha = o.alpha;
  fo.beta = o.beta;
  fo.c = o.c;
  fo.c_auto = o.c_auto;
  fo.bright_vessels = !o.dark_vessels;

  // ---- read
  const Slab in_slab = make_slab(in_grid.nz(), comm.rank(), comm.size());
  Volume3D img, mask;
  // with lazy vesselness on the input grid, the slab is read with the halo the block filter
  // reads, so that it works on the image in place (no copy of a large volume)
  const bool lazy = o.lazy_vesselness && !o.c_auto;
  const int read_halo = lazy && s.resampled_to_mm == 0.0 ? filters::frangi_block_margin(fo) : 0;
  img = read_volume(o.input, fmt, in_grid, in_slab, "cta", comm, read_halo);
  collective_check(comm, [&] { fault_point("read", comm); });
  const bool has_mask = !o.mask.empty();
  if (has_mask) {
    io::ImageFormat mf{};
    collective_check(comm, [&] { mf = io::detect_format(o.mask); });
    const io::ImageInfo mi = io::read_image_info(o.mask, mf, io::DicomReadOptions{}, comm);
    collective_check(comm, [&] {
      if (mi.grid.dims != in_grid.dims || mi.grid.nt != 1)
        throw InputError("vessel: the mask " + o.mask + " (" + mi.grid.describe() + ") is not on the image grid (" +
                         in_grid.describe() + ")");
    });
    mask = read_volume(o.mask, mf, in_grid, in_slab, "mask", comm);
  }
  if (s.resampled_to_mm > 0.0) {
    img = filters::resample_trilinear(img, grid, comm);
    if (has_mask) {  // inside where the interpolated mask is >= 0.5
      mask = filters::resample_trilinear(mask, grid, comm);
      auto h = Kokkos::create_mirror_view(mask.data);
      Kokkos::deep_copy(h, mask.data);
      for (size_t n = 0; n < h.extent(0); ++n) h(n) = h(n) >= 0.5f ? 1.0f : 0.0f;
      Kokkos::deep_copy(mask.data, h);
    }
  }
  const double t1 = now(comm);
  s.t_read = t1 - t0;

  // ---- vesselness, speed, fast marching
  // the kernels below are collective and throw the same InputError on every rank (after their own
  // collectives): collective_or_abort turns that into one line on rank 0, and a failure on some
  // ranks only into MPI_Abort (no agreement around a collective, docs/design.md)
  s.lazy_vesselness = lazy;
  vessel::FastMarchingOptions mo;
  mo.second_order = o.second_order;
  mo.stop_at_end = true;
  mo.end_voxel = s.end_voxel;
  mo.stop_margin = o.stop_margin;
  const std::vector<vessel::VoxelIndex> clicks{s.start_voxel, s.end_voxel};
  filters::FrangiResult fr;
  vessel::FastMarchingResult fmm;
  double t4 = 0.0;
  std::unique_ptr<vessel::LazyVesselnessSpeed> lz;
  if (lazy) {
    // Frangi block by block inside the march: its time is the blocks' time (the slowest rank);
    // the march's is the rest
    collective_or_abort(comm, [&] {
      lz = std::make_unique<vessel::LazyVesselnessSpeed>(img, fo, o.speed, comm, has_mask ? &mask : nullptr,
                                                         o.block_voxels);
    });
    collective_or_abort(comm, [&] { s.v_reference = lz->set_reference(clicks, o.reference_half_width, comm); });
    collective_or_abort(comm, [&] {
      fault_point("fit", comm);
      fmm = vessel::fast_marching(*lz, s.start_voxel, mo, comm);
    });
    t4 = now(comm);
    fr.c_used.assign(fo.sigmas_vox.size(), fo.c);
    s.t_frangi = comm.max(lz->seconds_in_frangi());
    s.t_speed = 0.0;
    s.t_fmm = (t4 - t1) - s.t_frangi;
    s.blocks_computed = comm.sum(static_cast<long long>(lz->blocks_computed()));
    s.voxels_computed = comm.sum(static_cast<long long>(lz->voxels_computed()));
  } else {
    collective_or_abort(comm, [&] { fr = filters::frangi_vesselness(img, fo, comm); });
    const double t2 = now(comm);
    s.t_frangi = t2 - t1;
    Volume3D speed;
    collective_or_abort(comm, [&] {
      s.v_reference = vessel::reference_vesselness(fr.vesselness, clicks, o.reference_half_width, comm);
      speed = vessel::speed_from_vesselness(fr.vesselness, o.speed, comm, has_mask ? &mask : nullptr, s.v_reference);
    });
    const double t3 = now(comm);
    s.t_speed = t3 - t2;
    collective_or_abort(comm, [&] {
      fault_point("fit", comm);
      fmm = vessel::fast_marching(speed, s.start_voxel, mo, comm);
    });
    t4 = now(comm);
    s.t_fmm = t4 - t3;
    s.voxels_computed = grid.n_voxels();
  }
  s.end_time = fmm.end_time;
  s.fmm_rounds = fmm.rounds;
  s.voxels_marched = fmm.voxels_marched;
  s.voxels_reached = fmm.voxels_reached;
  vessel::BacktrackResult bt;
  collective_or_abort(comm, [&] { bt = vessel::backtrack(fmm, s.start_voxel, s.end_voxel, {}, comm); });
  std::vector<vessel::Point3> mm;
  for (const auto& p : bt.path_vox) mm.push_back(vessel::voxel_to_world(grid.affine, p));
  vessel::CenterlineOptions co;
  co.sample_spacing_mm = o.sample_spacing_mm;
  co.smoothing_mm = o.smoothing_mm;
  vessel::Centerline line = vessel::smooth_and_resample(mm, co);
  if (lz) {
    std::vector<std::array<double, 3>> vox;
    for (const auto& p : line.points_mm) vox.push_back(vessel::world_to_voxel(grid.affine, p));
    vessel::attach_radius_from_sigmas(line, lz->best_sigma_at(vox, comm), grid);
  } else {
    vessel::attach_radius_from_scale(line, fr.best_sigma, comm);
  }
  s.path_points = static_cast<std::int64_t>(bt.path_vox.size());
  s.planes_fetched = bt.planes_fetched;
  s.samples = line.points_mm.size();
  s.length_mm = line.length_mm();
  const double t5 = now(comm);
  s.t_backtrack = t5 - t4;

  // ---- part 2 (issue 12): walls, refined centerline, measurements (validated before any file)
  VesselWallsResult walls;
  if (o.walls.enabled) {
    collective_or_abort(comm, [&] { walls = run_vessel_walls(line, img, o.walls, comm); });
    line = walls.centerline;  // the refined centerline, radius = lumen equivalent radius
    s.samples = line.points_mm.size();
    s.length_mm = line.length_mm();
    s.sections = walls.ok.size();
    s.sections_segmented = static_cast<std::size_t>(std::count(walls.ok.begin(), walls.ok.end(), true));
    s.min_lumen_area_mm2 = walls.vessel.min_lumen_area_mm2;
    s.area_stenosis_pct = walls.vessel.lesion_area_stenosis_pct;
    s.t_walls = now(comm) - t5;
  }

  // ---- outputs (everything above validated the input)
  const std::string dir = o.output_dir;
  collective_check(comm, [&] { fault_point("write", comm); });
  // the folder from here on holds this run only: an earlier run's manifest and the files it lists go
  const io::FolderSnapshot folder = io::begin_output_folder(dir, {}, comm);
  s.maps_written = o.maps == MapsChoice::on || (o.maps == MapsChoice::automatic && grid.n_voxels() <= kAutoMapsVoxels);
  if (s.maps_written) {
    // on the input grid: resampled back (trilinear) when the pipeline worked on an isotropic grid
    const io::NiftiReference ref{in_grid, fmt == io::ImageFormat::Nifti ? o.input : std::string()};
    Volume3D at = fmm.to_volume();
    {
      auto h = Kokkos::create_mirror_view(at.data);
      Kokkos::deep_copy(h, at.data);
      for (size_t n = 0; n < h.extent(0); ++n)
        if (!std::isfinite(h(n))) h(n) = std::numeric_limits<float>::quiet_NaN();
      Kokkos::deep_copy(at.data, h);
    }
    Volume3D vs = lz ? lz->vesselness_volume() : fr.vesselness;
    if (s.resampled_to_mm > 0.0) {
      vs = filters::resample_trilinear(vs, in_grid, comm);
      at = filters::resample_trilinear(at, in_grid, comm);
      at.units = "s";
    }
    io::write_nifti_map(dir + "/vesselness.nii.gz", vs, ref, io::MapType::Float32, comm,
                        lazy ? "voxflow Frangi vesselness (NaN: block not computed)" : "voxflow Frangi vesselness");
    io::write_nifti_map(dir + "/arrival_time.nii.gz", at, ref, io::MapType::Float32, comm,
                        "voxflow fast marching arrival time");
  }
  {
    // maximum-intensity projection of the planes the centerline spans (+ 5 mm), centerline drawn
    double zlo = 1e300, zhi = -1e300;
    std::vector<std::array<double, 2>> ij;
    for (const auto& p : line.points_mm) {
      const vessel::Point3 v = vessel::world_to_voxel(grid.affine, p);
      zlo = std::min(zlo, v[2]);
      zhi = std::max(zhi, v[2]);
      ij.push_back({v[0], v[1]});
    }
    const double pad = 5.0 / sp[2];
    const std::vector<float> mip = filters::axial_mip(img, static_cast<std::int64_t>(std::floor(zlo - pad)),
                                                      static_cast<std::int64_t>(std::ceil(zhi + pad)) + 1, comm);
    collective_check(comm, [&] {
      if (!comm.is_root()) return;
      viz::MipFigure f;
      f.mip = mip;
      f.nx = static_cast<int>(grid.nx());
      f.ny = static_cast<int>(grid.ny());
      f.aspect = sp[1] / sp[0];
      f.path = ij;
      f.start = {double(s.start_voxel[0]), double(s.start_voxel[1])};
      f.end = {double(s.end_voxel[0]), double(s.end_voxel[1])};
      char title[160];
      std::snprintf(title, sizeof title, "MIP, planes %lld-%lld; centerline %.1f mm (red), start (green), end (blue)",
                    static_cast<long long>(std::max(0.0, std::floor(zlo - pad))),
                    static_cast<long long>(std::min(double(grid.nz() - 1), std::ceil(zhi + pad))), s.length_mm);
      f.title = title;
      io::write_png(dir + "/centerline_mip.png", viz::render_mip_figure(f));
    });
  }
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::ostringstream csv;
    csv << "x_mm,y_mm,z_mm,arc_length_mm,radius_mm\n";
    for (size_t n = 0; n < line.points_mm.size(); ++n)
      csv << num(line.points_mm[n][0]) << ',' << num(line.points_mm[n][1]) << ',' << num(line.points_mm[n][2]) << ','
          << num(line.arc_length_mm[n]) << ',' << num(line.radius_mm[n]) << '\n';
    io::write_text_atomic(dir + "/centerline.csv", csv.str());
    io::write_polyline_vtp(dir + "/centerline.vtp", line.points_mm,
                           {{"arc_length_mm", line.arc_length_mm}, {"radius_mm", line.radius_mm}});
  });
  if (o.walls.enabled) write_vessel_walls(dir, walls, o.walls, comm);
  const double t6 = now(comm);
  s.t_write = t6 - t5 - s.t_walls;
  s.t_total = t6 - t0;
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::ostringstream y;
    y.precision(10);
    y << "command: vessel\ninput: \"" << o.input << "\"\ngrid: \"" << grid.describe() << "\"\n"
      << "spacing_mm: [" << sp[0] << ", " << sp[1] << ", " << sp[2] << "]\n"
      << "input_grid: \"" << in_grid.describe() << "\"\n"
      << "resampled_to_mm: " << s.resampled_to_mm << "\n"
      << "start_voxel: [" << s.start_voxel[0] << ", " << s.start_voxel[1] << ", " << s.start_voxel[2] << "]\n"
      << "end_voxel: [" << s.end_voxel[0] << ", " << s.end_voxel[1] << ", " << s.end_voxel[2] << "]\n"
      << "frangi:\n  sigmas_vox: [";
    for (size_t n = 0; n < fo.sigmas_vox.size(); ++n) y << (n ? ", " : "") << fo.sigmas_vox[n];
    y << "]\n  alpha: " << fo.alpha << "\n  beta: " << fo.beta << "\n  c: [";
    for (size_t n = 0; n < fr.c_used.size(); ++n) y << (n ? ", " : "") << fr.c_used[n];
    y << "]\n  bright_vessels: " << (fo.bright_vessels ? "true" : "false") << "\n"
      << "  mode: " << (s.lazy_vesselness ? "lazy" : "full") << "\n  block_voxels: " << o.block_voxels
      << "\n  voxels_computed: " << s.voxels_computed << "\n  fraction_computed: "
      << double(s.voxels_computed) / double(grid.n_voxels()) << "\n  blocks_computed: " << s.blocks_computed << "\n"
      << "speed:\n  form: " << (o.speed.form == vessel::SpeedForm::power ? "power" : "exponential")
      << "\n  reference_vesselness: " << s.v_reference << "\n  reference_half_width_vox: " << o.reference_half_width
      << "\n  epsilon: " << o.speed.epsilon << "\n  power: " << o.speed.power << "\n  alpha: " << o.speed.alpha << "\n"
      << "fast_marching:\n  second_order: " << (o.second_order ? "true" : "false") << "\n  end_time: " << s.end_time
      << "\n  rounds: " << s.fmm_rounds << "\n  voxels_marched: " << s.voxels_marched
      << "\n  voxels_reached: " << s.voxels_reached << "\n"
      << "centerline:\n  samples: " << s.samples << "\n  length_mm: " << s.length_mm
      << "\n  path_points: " << s.path_points << "\n  planes_fetched: " << s.planes_fetched << "\n"
      << "maps_written: " << (s.maps_written ? "true" : "false") << "\n"
      << "ranks: " << s.ranks << "\n"
      << "huge_pages: " << (s.huge_pages ? "true" : "false") << "\n"
      << "timing_s:\n  read: " << s.t_read << "\n  frangi: " << s.t_frangi << "\n  speed: " << s.t_speed
      << "\n  fast_marching: " << s.t_fmm << "\n  backtrack_centerline: " << s.t_backtrack << "\n  write: " << s.t_write
      << "\n  total: " << s.t_total << "\n";
    if (o.walls.enabled) y << "  walls: " << s.t_walls << "\n" << vessel_walls_yaml(walls, o.walls);
    io::write_text_atomic(dir + "/summary.yaml", y.str());
  });
  io::write_output_manifest(folder, o.command_line, comm);  // last: the folder now holds a finished run
  return s;
}

}  // namespace voxflow::pipelines
