// voxflow kinetics: voxel-wise extended PROXYL model maps (seed T005), distributed over z-slabs,
// with progress, cancellation, checkpoints and --resume.
#include <sys/stat.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "apps/kinetics_outputs.hpp"
#include "io/checkpoint.hpp"
#include "io/image_reader.hpp"
#include "io/nifti_reader.hpp"
#include "src/core/cancellation.hpp"
#include "src/core/chunked_run.hpp"
#include "src/core/error.hpp"
#include "src/core/fingerprint.hpp"
#include "src/core/halo_exchange.hpp"
#include "src/kinetics/pixel_maps.hpp"
#include "src/kinetics/time_axis.hpp"
#include "src/kinetics/voxel_fit.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace voxflow::apps {
namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

po::options_description kinetics_options() {
  po::options_description d("voxflow kinetics: voxel-wise PROXYL extended-model maps\n\n"
                            "usage: voxflow kinetics (--dicom FILE|DIR | --nifti FILE) [options] -o DIR\n\noptions");
  d.add_options()                                                                                     //
      ("help,h", "show this help")                                                                    //
      ("dicom", po::value<std::string>(), "multi-frame DICOM (time-major stacks of slices) or a folder of DICOM files")
      ("nifti", po::value<std::string>(), "4D NIfTI series (.nii / .nii.gz)")                          //
      ("output,o", po::value<std::string>(), "output folder (created)")                              //
      ("pixel-level-maps", po::bool_switch(), "fit every voxel independently (the default)")          //
      ("window", po::value<int>()->default_value(0),
       "sliding-window map instead: fit the mean curve of the N x N x N neighbourhood (N odd)")     //
      ("slices", po::value<int>()->default_value(0),
       "slices per time point of a multi-frame DICOM whose tags do not say (default 9)")            //
      ("z", po::value<int>(), "fit only slice K (0-based); default: all slices")                      //
      ("frame-interval", po::value<double>(), "seconds between frames (when the file has no timing)")
      ("times", po::value<std::string>(), "text file with one time in seconds per frame")           //
      ("injection-index", po::value<int>()->default_value(0),
       "first frame used in the fit (the original's injection index)")                               //
      ("mask", po::value<std::string>(), "NIfTI mask on the image grid: fit only voxels != 0")       //
      ("checkpoint-interval", po::value<double>()->default_value(60.0),
       "seconds between checkpoints (0: only on cancellation)")                                      //
      ("resume", po::bool_switch(), "continue from DIR/checkpoint.h5 of an interrupted run")         //
      ("panel-slice", po::value<int>(), "slice drawn in pixel_maps_visualization.png (default: middle)")
      ("no-dicom-export", po::bool_switch(), "do not export the maps as DICOM series")                //
      ("no-progress", po::bool_switch(), "no progress bar / progress lines");
  return d;
}

}  // namespace

int cmd_kinetics(const Args& args, const Comm& comm) {
  const auto t_start = clock_type::now();
  install_cancel_handlers();
  po::options_description desc = kinetics_options();
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm, "kinetics", comm)) return 0;
  KineticsRun run;
  if (vm.count("dicom") + vm.count("nifti") != 1)
    throw UsageError("kinetics: give exactly one input, --dicom FILE|DIR or --nifti FILE");
  run.input = vm.count("dicom") ? vm["dicom"].as<std::string>() : vm["nifti"].as<std::string>();
  if (!vm.count("output")) throw UsageError("kinetics: give the output folder with -o DIR");
  run.out_dir = vm["output"].as<std::string>();
  run.window = vm["window"].as<int>();
  if (run.window != 0 && (run.window < 1 || run.window % 2 == 0))
    throw UsageError("kinetics: --window must be an odd number >= 1 (got " + std::to_string(run.window) + ")");
  run.dicom_opts.slices = vm["slices"].as<int>();
  if (run.dicom_opts.slices < 0) throw UsageError("kinetics: --slices must be positive");
  run.z_only = vm.count("z") ? vm["z"].as<int>() : -1;
  run.injection_index = vm["injection-index"].as<int>();
  run.mask_path = vm.count("mask") ? vm["mask"].as<std::string>() : "";
  run.checkpoint_interval_s = vm["checkpoint-interval"].as<double>();
  run.resume = vm["resume"].as<bool>();
  run.dicom_export = !vm["no-dicom-export"].as<bool>();
  const bool progress_on = !vm["no-progress"].as<bool>();
  double frame_interval = vm.count("frame-interval") ? vm["frame-interval"].as<double>() : 0.0;
  if (vm.count("frame-interval") && !(frame_interval > 0))
    throw UsageError("kinetics: --frame-interval must be > 0 seconds");
  std::string times_file = vm.count("times") ? vm["times"].as<std::string>() : "";

  // ---- validate the inputs before any heavy work (every rank reads the headers) ------------
  io::ImageFormat fmt{};
  io::ImageInfo info;
  kinetics::TimeAxis axis;
  collective_check(comm, [&] {
    fmt = vm.count("nifti") ? io::ImageFormat::Nifti : io::ImageFormat::Dicom;
    if (vm.count("nifti") && io::detect_format(run.input) != io::ImageFormat::Nifti)
      throw InputError(run.input + " is not a NIfTI file");
    if (vm.count("dicom")) io::detect_format(run.input);  // missing / empty file: one clear line
    info = io::read_image_info(run.input, fmt, run.dicom_opts);
    std::vector<double> tv = times_file.empty() ? std::vector<double>{} : kinetics::read_times_file(times_file);
    axis = kinetics::make_time_axis(static_cast<int>(info.grid.nt), info.frame_times_s, frame_interval, tv,
                                    times_file, run.injection_index);
    if (static_cast<int>(axis.t_min.size()) < kinetics::kMinTimePoints)
      throw InputError(run.input + ": " + std::to_string(axis.t_min.size()) + " time points from the injection index on; the " +
                       "8-parameter model needs at least " + std::to_string(kinetics::kMinTimePoints));
    if (static_cast<int>(axis.t_min.size()) > kinetics::kMaxTimePoints)
      throw InputError(run.input + ": " + std::to_string(axis.t_min.size()) + " time points; at most " +
                       std::to_string(kinetics::kMaxTimePoints) + " are supported");
    if (run.z_only >= info.grid.nz() || run.z_only < -1)
      throw InputError("--z " + std::to_string(run.z_only) + " is outside the volume's " +
                       std::to_string(info.grid.nz()) + " slices");
    if (!run.mask_path.empty()) {
      const io::ImageInfo mi = io::read_nifti_info(run.mask_path);
      if (mi.grid.dims != info.grid.dims)
        throw InputError("mask " + run.mask_path + " is " + mi.grid.describe() + " but the series is " +
                         Grid{info.grid.dims}.describe());
    }
    if (run.resume && !fs::exists(fs::path(run.out_dir) / "checkpoint.h5"))
      throw InputError("--resume: no checkpoint in " + run.out_dir + " (nothing to resume)");
  });
  run.info = info;
  run.axis = axis;
  run.panel_slice = vm.count("panel-slice") ? vm["panel-slice"].as<int>()
                                             : (run.z_only >= 0 ? run.z_only : static_cast<int>(info.grid.nz() / 2));
  if (run.panel_slice < 0 || run.panel_slice >= info.grid.nz())
    throw UsageError("--panel-slice " + std::to_string(run.panel_slice) + " is outside the volume");

  // ---- read the rank's slab -------------------------------------------------------------------
  auto t0 = clock_type::now();
  const Slab slab = make_slab(info.grid.nz(), comm.rank(), comm.size());
  const int halo = run.window > 1 ? run.window / 2 : 0;
  Volume4D series;
  Volume3D mask;
  collective_check(comm, [&] {
    series = io::read_image_4d(run.input, fmt, slab, halo, run.dicom_opts);
    if (!run.mask_path.empty()) mask = io::read_nifti_3d(run.mask_path, slab, 0);
  });
  if (halo > 0) {
    exchange_halo(series, comm);
    series = kinetics::sliding_window_mean(series, run.window);
  }
  run.timing["read_s"] = seconds_since(t0);

  // ---- which voxels, fingerprint, resume ------------------------------------------------------
  const std::int64_t n_owned = series.layout.owned_voxels();
  Kokkos::View<std::uint8_t*> selected("selected", static_cast<size_t>(n_owned));
  {
    auto h = Kokkos::create_mirror_view(selected);
    auto mh = Kokkos::create_mirror_view(mask.data);
    if (mask.data.extent(0) > 0) Kokkos::deep_copy(mh, mask.data);
    const std::int64_t P = series.layout.plane_size();
    for (std::int64_t v = 0; v < n_owned; ++v) {
      bool sel = run.z_only < 0 || slab.to_global(v / P) == run.z_only;
      if (sel && mask.data.extent(0) > 0) sel = mh(v) != 0.0f;
      h(v) = sel ? 1 : 0;
    }
    Kokkos::deep_copy(selected, h);
  }
  std::ostringstream opt_key;
  opt_key << "window=" << run.window << ";z=" << run.z_only << ";injection=" << run.injection_index << ";t=";
  for (double t : axis.t_min) opt_key << t << ",";
  std::uint64_t fp = fingerprint(series, comm);
  const std::string key = opt_key.str();
  fp = fnv1a(key.data(), key.size(), fp);
  if (mask.data.extent(0) > 0) {
    const std::uint64_t mfp = fingerprint(mask, comm);
    fp = fnv1a(&mfp, sizeof mfp, fp);
  }
  run.fingerprint = to_hex(fp);

  kinetics::PixelMaps maps(series.layout);
  const std::string ckpt = (fs::path(run.out_dir) / "checkpoint.h5").string();
  std::int64_t resumed_local = 0;
  if (run.resume) {
    collective_check(comm, [&] {
      const std::string have = io::read_checkpoint_fingerprint(ckpt);
      if (have != run.fingerprint)
        throw InputError("checkpoint " + ckpt + " was made from another input or other options (fingerprint " + have +
                         ", this run " + run.fingerprint + "); remove it or start without --resume");
    });
    collective_check(comm, [&] {
      for (int m = 0; m < kinetics::kMapCount; ++m)
        maps.set_map(m, io::load_checkpoint_map(ckpt, kinetics::map_specs()[m].name, slab, comm));
      Volume3D done = io::load_checkpoint_map(ckpt, "done", slab, comm);
      auto dh = Kokkos::create_mirror_view(done.data);
      Kokkos::deep_copy(dh, done.data);
      auto d = Kokkos::create_mirror_view(maps.done);
      for (std::int64_t v = 0; v < n_owned; ++v) d(v) = dh(v) != 0.0f ? 1 : 0;
      Kokkos::deep_copy(maps.done, d);
    });
  } else {
    collective_check(comm, [&] {
      if (comm.is_root()) {
        std::error_code ec;
        fs::create_directories(run.out_dir, ec);
        if (ec || !fs::is_directory(run.out_dir))
          throw InputError("cannot create output folder " + run.out_dir + ": " + ec.message());
      }
    });
  }

  // voxels still to fit, in order
  std::vector<std::int64_t> pending_h;
  {
    auto d = Kokkos::create_mirror_view(maps.done);
    Kokkos::deep_copy(d, maps.done);
    for (std::int64_t v = 0; v < n_owned; ++v) {
      if (d(v)) ++resumed_local;
      else pending_h.push_back(v);
    }
  }
  Kokkos::View<std::int64_t*> pending("pending", pending_h.size());
  {
    auto h = Kokkos::create_mirror_view(pending);
    for (size_t i = 0; i < pending_h.size(); ++i) h(i) = pending_h[i];
    Kokkos::deep_copy(pending, h);
  }
  Kokkos::View<double*> t_min("t_min", axis.t_min.size());
  {
    auto h = Kokkos::create_mirror_view(t_min);
    for (size_t i = 0; i < axis.t_min.size(); ++i) h(i) = axis.t_min[i];
    Kokkos::deep_copy(t_min, h);
  }
  run.voxels_total = comm.sum(static_cast<long long>(n_owned));
  run.voxels_resumed = comm.sum(static_cast<long long>(resumed_local));
  if (comm.is_root()) {
    std::fprintf(stderr, "voxflow kinetics: %s %s, %lld voxels x %zu time points (%s), %d rank(s)%s\n",
                 info.format.c_str(), info.grid.describe().c_str(), static_cast<long long>(run.voxels_total),
                 axis.t_min.size(), axis.source.c_str(), comm.size(),
                 run.resume ? (", resuming: " + std::to_string(run.voxels_resumed) + " voxels already done").c_str() : "");
  }

  // ---- fit, chunk by chunk --------------------------------------------------------------------
  auto save_ckpt = [&] { write_kinetics_checkpoint(ckpt, maps, run, comm); };
  t0 = clock_type::now();
  ProgressReporter progress("fitting", run.voxels_total, run.voxels_resumed, progress_on && comm.is_root());
  ChunkedRunOptions copt;
  copt.checkpoint_interval_s = run.checkpoint_interval_s;
  const int first_frame = axis.injection_index;
  const ChunkedRunResult res = run_chunked(
      comm, static_cast<std::int64_t>(pending_h.size()), run.voxels_resumed, &progress, copt,
      [&](std::int64_t b, std::int64_t e) { kinetics::fit_voxel_range(series, first_frame, t_min, selected, maps, pending, b, e); },
      save_ckpt);
  run.timing["fit_s"] = seconds_since(t0);
  run.voxels_fitted = res.done_global;
  run.checkpoints = res.checkpoints;
  run.cancelled = res.cancelled;

  if (res.cancelled) {
    if (comm.is_root()) std::fprintf(stderr, "\nvoxflow kinetics: cancelled; writing the checkpoint and the maps finished so far\n");
    save_ckpt();
  }
  t0 = clock_type::now();
  write_kinetics_outputs(maps, run, comm, t_start);
  if (res.cancelled) {
    // the signal some rank saw (a rank that only followed the others' agreement saw none)
    const int seen = static_cast<int>(comm.max(static_cast<double>(res.signal)));
    const int sig = seen > 0 ? seen : SIGINT;
    std::string resume_cmd = command_line();
    if (resume_cmd.find("--resume") == std::string::npos) resume_cmd += " --resume";
    if (comm.is_root())
      std::fprintf(stderr, "voxflow kinetics: stopped by %s after %lld of %lld voxels; to continue:\n  %s\n",
                   signal_name(sig), static_cast<long long>(run.voxels_resumed + run.voxels_fitted),
                   static_cast<long long>(run.voxels_total), resume_cmd.c_str());
    if (!comm.is_root()) throw PeerFailure(0, 130);
    throw CancelledError("cancelled by " + std::string(signal_name(sig)) + " (checkpoint saved in " + ckpt + ")");
  }
  if (comm.is_root()) {
    std::error_code ec;
    fs::remove(ckpt, ec);
    std::fprintf(stderr, "voxflow kinetics: done in %.2f s; results in %s\n", seconds_since(t_start), run.out_dir.c_str());
  }
  return 0;
}

}  // namespace voxflow::apps
