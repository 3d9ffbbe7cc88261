// voxflow kinetics: voxel-wise extended PROXYL model maps (seed T005) on z-slabs.
#include "src/pipelines/kinetics_pipeline.hpp"

#include <yaml-cpp/yaml.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "io/atomic_file.hpp"
#include "io/checkpoint.hpp"
#include "io/dicom_writer.hpp"
#include "io/image_reader.hpp"
#include "io/nifti_reader.hpp"
#include "io/output_manifest.hpp"
#include "io/png_writer.hpp"
#include "io/times_file.hpp"
#include "src/core/cancellation.hpp"
#include "src/core/error.hpp"
#include "src/core/fault_injection.hpp"
#include "src/core/stopwatch.hpp"
#include "src/core/fingerprint.hpp"
#include "src/core/halo_exchange.hpp"
#include "src/core/plane_gather.hpp"
#include "src/filters/box_mean.hpp"
#include "src/kinetics/pixel_maps.hpp"
#include "src/kinetics/slice_statistics.hpp"
#include "src/kinetics/time_axis.hpp"
#include "src/kinetics/voxel_fit.hpp"
#include "src/pipelines/map_outputs.hpp"
#include "src/pipelines/voxel_map_run.hpp"
#include "src/viz/normalization.hpp"
#include "src/viz/panel_figure.hpp"

namespace fs = std::filesystem;

namespace voxflow::pipelines {
namespace {

/// What the outputs need besides the maps.
struct KineticsContext {
  const KineticsOptions* opt = nullptr;
  std::string input;
  io::ImageInfo info;
  kinetics::TimeAxis axis;
  int panel_slice = 0;
  std::string fingerprint;
  bool cancelled = false;
};

/// The PNG panel of the original's maps on the panel slice (rank 0 writes).
void write_panel_png(const MapSet& maps, const std::vector<Volume3D>& vols, const KineticsContext& ctx,
                     const std::string& path, const Comm& comm) {
  const Grid& grid = maps.layout.grid;
  std::vector<viz::Panel> panels;
  for (int m : kinetics::original_npy_maps()) {
    std::vector<float> plane = gather_plane(vols[static_cast<size_t>(m)], ctx.panel_slice, comm);
    if (!comm.is_root()) continue;
    viz::Panel p;
    p.title = maps.specs[static_cast<size_t>(m)].name;
    p.units = maps.specs[static_cast<size_t>(m)].units;
    p.width = static_cast<int>(grid.nx());
    p.height = static_cast<int>(grid.ny());
    p.values.resize(plane.size());
    // row 0 at the top: the highest y (anterior in RAS) first
    for (std::int64_t j = 0; j < grid.ny(); ++j)
      for (std::int64_t i = 0; i < grid.nx(); ++i)
        p.values[static_cast<size_t>((grid.ny() - 1 - j) * grid.nx() + i)] = plane[static_cast<size_t>(j * grid.nx() + i)];
    p.range = viz::compute_range(p.values, viz::Normalization::Percentile);
    panels.push_back(std::move(p));
  }
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    const std::string title = "voxflow kinetics: " + fs::path(ctx.input).filename().string() + ", slice " +
                              std::to_string(ctx.panel_slice) + (ctx.cancelled ? " (cancelled: partial)" : "");
    io::write_png(path, viz::render_panel_figure(panels, 3, title));
  });
}

void write_kinetics_outputs(const MapSet& maps, const KineticsContext& ctx, RunSummary& sum, long long checkpoints,
                            const Comm& comm) {
  const Stopwatch t_write;
  fault_point("write", comm);
  const KineticsOptions& o = *ctx.opt;
  const fs::path out(o.output_dir);
  const auto& specs = maps.specs;
  make_output_dir((out / "pixel_maps").string(), comm);
  make_output_dir((out / "nifti").string(), comm);
  const std::vector<Volume3D> vols = map_volumes(maps);
  std::vector<int> all(static_cast<size_t>(maps.count()));
  for (int m = 0; m < maps.count(); ++m) all[static_cast<size_t>(m)] = m;

  Stopwatch t0;
  write_npy_maps(maps, vols, kinetics::original_npy_maps(), (out / "pixel_maps").string(), "_map.npy", comm);
  sum.timing_s["write_npy"] = t0.seconds();

  t0.restart();
  const io::NiftiReference ref{maps.layout.grid, ctx.info.format.rfind("NIfTI", 0) == 0 ? ctx.input : std::string()};
  write_nifti_maps(maps, vols, all, (out / "nifti").string(), "", ref, comm);
  sum.timing_s["write_nifti"] = t0.seconds();

  t0.restart();
  write_hdf5_maps(maps, vols, all, (out / "kinetics_maps.h5").string(), "maps/", sum.command_line, sum.configuration_yaml,
                  [&](io::H5ResultWriter& h5) {
                    h5.write_attribute("time_axis_min", ctx.axis.t_min);
                    h5.write_attribute("model",
                                       "I(t) = A0 + A1 (1 - exp(-kb (t - t0))) exp(-kd (t - t0)) + A2 (1 - exp(-knt (t - "
                                       "tmax))), shifts clamped at 0, t in min");
                    std::string legend;
                    for (size_t i = 0; i < kinetics::status_names().size(); ++i)
                      legend += (i ? ", " : "") + std::to_string(i) + " " + kinetics::status_names()[i];
                    h5.write_attribute("status_legend", legend);
                  },
                  comm);
  sum.timing_s["write_hdf5"] = t0.seconds();

  t0.restart();
  const auto stats = kinetics::slice_statistics(maps, comm);
  collective_check(comm, [&] {
    if (comm.is_root()) io::write_text_atomic((out / "slice_statistics.csv").string(), kinetics::slice_statistics_csv(stats));
  });
  write_panel_png(maps, vols, ctx, (out / "pixel_maps" / "pixel_maps_visualization.png").string(), comm);
  sum.timing_s["write_png_csv"] = t0.seconds();

  t0.restart();
  if (o.dicom_export) {
    make_output_dir((out / "dicom").string(), comm);
    for (int m : kinetics::original_npy_maps())
      io::write_dicom_map_series((out / "dicom" / specs[static_cast<size_t>(m)].name).string(),
                                 specs[static_cast<size_t>(m)].name, vols[static_cast<size_t>(m)],
                                 specs[static_cast<size_t>(m)].units, comm);
  }
  sum.timing_s["write_dicom"] = t0.seconds();

  sum.status_counts = maps.code_counts(kinetics::kMapStatus, static_cast<int>(sum.status_names.size()), comm);
  sum.timing_s["write"] = t_write.seconds();
  write_run_summary((out / "summary.yaml").string(), sum,
                    [&](YAML::Node& s) {
                      YAML::Node in;
                      in["path"] = ctx.input;
                      in["format"] = ctx.info.format;
                      in["time_points"] = static_cast<long long>(ctx.info.grid.nt);
                      in["fingerprint"] = ctx.fingerprint;
                      s["input"] = in;
                      YAML::Node ax;
                      ax["source"] = ctx.axis.source;
                      ax["unit"] = "min";
                      ax["injection_index"] = ctx.axis.injection_index;
                      ax["frames_fitted"] = static_cast<int>(ctx.axis.t_min.size());
                      ax["t_min"] = ctx.axis.t_min;
                      s["time_axis"] = ax;
                      s["mode"] = o.window > 1 ? "sliding_window" : "pixel_level";
                      s["checkpoints_written"] = checkpoints;
                    },
                    comm);
}

}  // namespace

RunSummary run_kinetics(const KineticsOptions& o, const Comm& comm) {
  const Stopwatch t_start;
  KineticsContext ctx;
  ctx.opt = &o;
  ctx.input = o.dicom.empty() ? o.nifti : o.dicom;
  RunSummary sum;
  sum.command = "kinetics";
  sum.command_line = o.command_line.empty() ? std::string("voxflow kinetics (library call)") : o.command_line;
  sum.output_dir = o.output_dir;
  sum.configuration_yaml = kinetics_options_to_yaml(o);
  sum.mpi_ranks = comm.size();
  sum.status_names = kinetics::status_names();
  sum.maps = kinetics::map_specs();
  io::DicomReadOptions dicom_opts;
  dicom_opts.slices = o.slices;
  const fs::path out(o.output_dir);
  const std::string ckpt = (out / "checkpoint.h5").string();

  // ---- validate the inputs before any heavy work (every rank reads the headers) ------------
  const io::ImageFormat fmt = o.nifti.empty() ? io::ImageFormat::Dicom : io::ImageFormat::Nifti;
  collective_check(comm, [&] {
    if (fmt == io::ImageFormat::Nifti && io::detect_format(ctx.input) != io::ImageFormat::Nifti)
      throw InputError(ctx.input + " is not a NIfTI file");
    if (fmt == io::ImageFormat::Dicom) io::detect_format(ctx.input);  // missing / empty file: one clear line
  });
  // collective (agrees on failures itself): a DICOM folder is scanned by rank 0 only, the plan broadcast
  ctx.info = io::read_image_info(ctx.input, fmt, dicom_opts, comm);
  collective_check(comm, [&] {
    const std::vector<double> tv = o.times_file.empty() ? std::vector<double>{} : io::read_times_file(o.times_file);
    ctx.axis = kinetics::make_time_axis(static_cast<int>(ctx.info.grid.nt), ctx.info.frame_times_s, o.frame_interval_s, tv,
                                        o.times_file, o.injection_index);
    const int n = static_cast<int>(ctx.axis.t_min.size());
    if (n < kinetics::kMinTimePoints)
      throw InputError(ctx.input + ": " + std::to_string(n) + " time points from the injection index on; the " +
                       "8-parameter model needs at least " + std::to_string(kinetics::kMinTimePoints));
    if (n > kinetics::kMaxTimePoints)
      throw InputError(ctx.input + ": " + std::to_string(n) + " time points; at most " +
                       std::to_string(kinetics::kMaxTimePoints) + " are supported");
    if (o.z >= ctx.info.grid.nz() || o.z < -1)
      throw InputError("--z " + std::to_string(o.z) + " is outside the volume's " + std::to_string(ctx.info.grid.nz()) +
                       " slices");
    if (!o.mask.empty()) require_same_grid(ctx.info.grid, "the series " + ctx.input, io::read_nifti_info(o.mask).grid, "mask " + o.mask);
    if (o.resume && !fs::exists(ckpt)) throw InputError("--resume: no checkpoint in " + o.output_dir + " (nothing to resume)");
  });
  ctx.panel_slice = o.panel_slice >= 0 ? o.panel_slice : (o.z >= 0 ? o.z : static_cast<int>(ctx.info.grid.nz() / 2));
  if (ctx.panel_slice >= ctx.info.grid.nz())
    throw UsageError("--panel-slice " + std::to_string(ctx.panel_slice) + " is outside the volume");
  sum.grid = ctx.info.grid;

  // ---- read the rank's slab -------------------------------------------------------------------
  Stopwatch t0;
  const Slab slab = make_slab(ctx.info.grid.nz(), comm.rank(), comm.size());
  const int halo = o.window > 1 ? o.window / 2 : 0;
  Volume4D series;
  Volume3D mask;
  collective_check(comm, [&] { fault_point("read", comm); });
  // collective (no agreement around it: it agrees on failures itself); a one-stream .nii.gz is
  // inflated once, by rank 0
  series = io::read_image_4d(ctx.input, fmt, slab, halo, dicom_opts, comm);
  if (!o.mask.empty()) mask = io::read_nifti_3d(o.mask, slab, 0, comm);
  if (halo > 0) {
    exchange_halo(series, comm);
    series = filters::box_mean(series, o.window);
  }
  sum.timing_s["read"] = t0.seconds();

  // ---- which voxels, fingerprint, resume ------------------------------------------------------
  t0.restart();
  const std::int64_t n_owned = series.layout.owned_voxels();
  const std::int64_t P = series.layout.plane_size();
  std::vector<std::uint8_t> selected(static_cast<size_t>(n_owned), 1);
  {
    auto mh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), mask.data);
    for (std::int64_t v = 0; v < n_owned; ++v) {
      bool sel = o.z < 0 || slab.to_global(v / P) == o.z;
      if (sel && mask.data.extent(0) > 0) sel = mh(v) != 0.0f;
      selected[static_cast<size_t>(v)] = sel ? 1 : 0;
    }
  }
  std::ostringstream opt_key;
  opt_key << "window=" << o.window << ";z=" << o.z << ";injection=" << o.injection_index << ";t=";
  for (double t : ctx.axis.t_min) opt_key << t << ",";
  std::uint64_t fp = fingerprint(series, comm);
  const std::string key = opt_key.str();
  fp = fnv1a(key.data(), key.size(), fp);
  if (mask.data.extent(0) > 0) {
    const std::uint64_t mfp = fingerprint(mask, comm);
    fp = fnv1a(&mfp, sizeof mfp, fp);
  }
  ctx.fingerprint = to_hex(fp);
  mask = Volume3D();

  MapSet maps(series.layout, kinetics::map_specs(), "kinetics_maps");
  {
    // not fitted yet: "not processed"; outside the mask or the --z slice: final at once (also on
    // --resume: the checkpoint holds only fitted voxels)
    maps.fill(kinetics::kMapStatus, kinetics::kStatusNotProcessed);
    auto vh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.values);
    auto dh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.done);
    for (std::int64_t v = 0; v < n_owned; ++v)
      if (!selected[static_cast<size_t>(v)]) {
        vh(v, kinetics::kMapStatus) = static_cast<float>(kinetics::FitStatus::OutsideMask);
        dh(v) = 1;
      }
    Kokkos::deep_copy(maps.values, vh);
    Kokkos::deep_copy(maps.done, dh);
  }
  MapCheckpoint ck;
  if (o.resume) ck = resume_map_checkpoint(ckpt, ctx.fingerprint, sum.command_line, maps, comm);
  // the folder from here on holds this run only: an earlier run's manifest and files go (the
  // checkpoint a --resume continues from stays)
  const io::FolderSnapshot folder = io::begin_output_folder(o.output_dir, {"checkpoint.h5"}, comm);
  if (!o.resume) ck = start_map_checkpoint(ckpt, ctx.fingerprint, sum.command_line, maps, comm);

  // the selected voxels still to fit, in order
  VoxelMapJob job;
  long long selected_local = 0, resumed_local = 0;
  {
    auto dh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.done);
    for (std::int64_t v = 0; v < n_owned; ++v) {
      if (!selected[static_cast<size_t>(v)]) continue;
      ++selected_local;
      if (dh(v)) ++resumed_local;
      else job.voxels.push_back(v);
    }
  }
  sum.voxels_total = comm.sum(static_cast<long long>(n_owned));
  sum.voxels_selected = comm.sum(selected_local);
  sum.voxels_resumed = comm.sum(resumed_local);
  if (comm.is_root())
    std::fprintf(stderr, "voxflow kinetics: %s %s, %lld of %lld voxels selected x %zu time points (%s), %d rank(s)%s\n",
                 ctx.info.format.c_str(), ctx.info.grid.describe().c_str(), sum.voxels_selected, sum.voxels_total,
                 ctx.axis.t_min.size(), ctx.axis.source.c_str(), comm.size(),
                 o.resume ? (", resuming: " + std::to_string(sum.voxels_resumed) + " voxels already done").c_str() : "");

  // ---- fit: the shared voxel-map run ------------------------------------------------------------
  const int n_t = static_cast<int>(ctx.axis.t_min.size());
  const int first_frame = ctx.axis.injection_index;
  const auto series_h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), series.data);
  const std::int64_t halo_off = series.layout.halo * P;
  Kokkos::View<double*> t_min("t_min", static_cast<size_t>(n_t));
  {
    auto h = Kokkos::create_mirror_view(t_min);
    for (int i = 0; i < n_t; ++i) h(i) = ctx.axis.t_min[static_cast<size_t>(i)];
    Kokkos::deep_copy(t_min, h);
  }
  job.label = "fitting";
  job.item_width = kinetics::kinetics_item_width(n_t);
  job.pack = [&](std::int64_t v, double* item) {
    for (int k = 0; k < n_t; ++k) item[k] = static_cast<double>(series_h(v + halo_off, first_frame + k));
  };
  job.kernel = [&](const ConstItemView& items, std::int64_t b, std::int64_t e,
                   const ItemView& results) { kinetics::fit_kinetics_items(items, t_min, b, e, results); };
  job.progress = o.progress;
  job.already_done_global = sum.voxels_resumed;
  job.checkpoint_interval_s = o.checkpoint_interval_s;
  job.checkpoint = [&](const MapSet& m) { save_map_checkpoint(ck, m, comm); };
  sum.timing_s["prepare"] = t0.seconds();
  series = Volume4D();  // the packed curves and the host copy are all the fit needs
  const VoxelMapOutcome res = run_voxel_maps(job, maps, comm);
  sum.timing_s["balance"] = res.balance_s;
  sum.timing_s["fit"] = res.compute_s;
  sum.voxels_fitted = res.done_global;
  ctx.cancelled = res.cancelled;
  sum.state = res.cancelled ? "cancelled" : "complete";

  if (res.cancelled) {
    // the signal some rank saw (a rank that only followed the others' agreement saw none)
    const int seen = static_cast<int>(comm.max(static_cast<double>(res.signal)));
    const int sig = seen > 0 ? seen : SIGINT;
    // SIGUSR1 / SIGTERM: a batch system's warning before the time limit, or its stop; only the
    // checkpoint fits in that window (exit 75, "checkpointed, not finished"). Ctrl+C (SIGINT) also
    // writes the maps finished so far (exit 130).
    const bool checkpoint_only = sig == SIGUSR1 || sig == SIGTERM;
    if (comm.is_root())
      std::fprintf(stderr, "\nvoxflow kinetics: cancelled; writing the checkpoint%s\n",
                   checkpoint_only ? " only" : " and the maps finished so far");
    const Stopwatch t_ckpt;
    const std::string part = save_map_checkpoint(ck, maps, comm);
    const double ckpt_s = t_ckpt.seconds();
    std::string resume_cmd = sum.command_line;
    if (resume_cmd.find("--resume") == std::string::npos) resume_cmd += " --resume";
    if (checkpoint_only) {
      if (comm.is_root()) {
        std::error_code ec;
        const auto bytes = fs::file_size(part, ec);
        std::fprintf(stderr,
                     "voxflow kinetics: stopped by %s after %lld of %lld voxels; checkpoint written in %.3f s (%.1f MB, "
                     "part %d); to continue:\n  %s\n",
                     signal_name(sig), sum.voxels_resumed + res.done_global, sum.voxels_selected, ckpt_s,
                     ec ? 0.0 : static_cast<double>(bytes) / 1e6, ck.next_part - 1, resume_cmd.c_str());
      }
      if (!comm.is_root()) throw PeerFailure(0, CheckpointedError::kExitCode);
      throw CheckpointedError("stopped by " + std::string(signal_name(sig)) + "; checkpoint saved in " + ckpt +
                              " (not finished: continue with --resume)");
    }
    sum.timing_s["total"] = t_start.seconds();  // updated after the outputs
    write_kinetics_outputs(maps, ctx, sum, res.checkpoints + 1, comm);
    if (comm.is_root())
      std::fprintf(stderr, "voxflow kinetics: stopped by %s after %lld of %lld voxels; to continue:\n  %s\n", signal_name(sig),
                   sum.voxels_resumed + sum.voxels_fitted, sum.voxels_selected, resume_cmd.c_str());
    if (!comm.is_root()) throw PeerFailure(0, 130);
    throw CancelledError("cancelled by " + std::string(signal_name(sig)) + " (checkpoint saved in " + ckpt + ")");
  }
  sum.timing_s["total"] = t_start.seconds();  // updated after the outputs
  write_kinetics_outputs(maps, ctx, sum, res.checkpoints, comm);
  sum.timing_s["total"] = t_start.seconds();
  io::remove_checkpoint(ckpt, comm);
  io::write_output_manifest(folder, sum.command_line, comm);  // last: the folder now holds a finished run
  if (comm.is_root())
    std::fprintf(stderr, "voxflow kinetics: done in %.2f s; results in %s\n", t_start.seconds(), o.output_dir.c_str());
  return sum;
}

}  // namespace voxflow::pipelines
