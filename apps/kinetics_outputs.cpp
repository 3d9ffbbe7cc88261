#include "apps/kinetics_outputs.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <thread>

#include "apps/commands.hpp"
#include "io/atomic_file.hpp"
#include "io/checkpoint.hpp"
#include "io/dicom_writer.hpp"
#include "io/hdf5_results.hpp"
#include "io/nifti_writer.hpp"
#include "io/npy_writer.hpp"
#include "io/png_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/plane_gather.hpp"
#include "src/kinetics/slice_statistics.hpp"
#include "src/viz/normalization.hpp"
#include "src/viz/panel_figure.hpp"
#include "voxflow/version.hpp"

namespace fs = std::filesystem;

namespace voxflow::apps {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void make_dir(const std::string& dir, const Comm& comm) {
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) throw InputError("cannot create folder " + dir + ": " + ec.message());
  });
}

Volume3D done_map(const kinetics::PixelMaps& maps) {
  Volume3D v(maps.layout.grid, maps.layout.slab, 0, "done");
  auto d = maps.done;
  auto o = v.data;
  Kokkos::parallel_for("done_map", Kokkos::RangePolicy<>(0, static_cast<std::int64_t>(o.extent(0))),
                       KOKKOS_LAMBDA(std::int64_t i) { o(i) = d(i) ? 1.0f : 0.0f; });
  Kokkos::fence();
  return v;
}

/// the run's settings as YAML text (HDF5 "configuration" attribute and summary.yaml)
YAML::Node options_node(const KineticsRun& run) {
  YAML::Node o;
  o["mode"] = run.window > 1 ? "sliding_window" : "pixel_level";
  o["window"] = run.window;
  o["z"] = run.z_only;
  o["injection_index"] = run.injection_index;
  o["mask"] = run.mask_path;
  o["slices_option"] = run.dicom_opts.slices;
  o["checkpoint_interval_s"] = run.checkpoint_interval_s;
  o["resume"] = run.resume;
  return o;
}

std::string to_text(const YAML::Node& n) {
  YAML::Emitter e;
  e << n;
  return e.c_str();
}

}  // namespace

void write_kinetics_checkpoint(const std::string& path, const kinetics::PixelMaps& maps, const KineticsRun& run,
                               const Comm& comm) {
  std::vector<Volume3D> vols;
  vols.reserve(kinetics::kMapCount + 1);
  for (int m = 0; m < kinetics::kMapCount; ++m) vols.push_back(maps.map(m));
  vols.push_back(done_map(maps));
  std::vector<io::CheckpointMap> list;
  for (int m = 0; m < kinetics::kMapCount; ++m) list.push_back({kinetics::map_specs()[m].name, &vols[m]});
  list.push_back({"done", &vols.back()});
  io::save_checkpoint(path, list, maps.layout.grid, run.fingerprint, command_line(), comm);
}

void write_kinetics_outputs(const kinetics::PixelMaps& maps, KineticsRun& run, const Comm& comm,
                            std::chrono::steady_clock::time_point t_start) {
  const auto t_write = std::chrono::steady_clock::now();
  const fs::path out(run.out_dir);
  const auto& specs = kinetics::map_specs();
  const Grid& grid = maps.layout.grid;
  make_dir((out / "pixel_maps").string(), comm);
  make_dir((out / "nifti").string(), comm);

  std::vector<Volume3D> vols;
  vols.reserve(kinetics::kMapCount);
  for (int m = 0; m < kinetics::kMapCount; ++m) vols.push_back(maps.map(m));

  // the original's .npy maps, float64 [x, y, z]
  auto t0 = std::chrono::steady_clock::now();
  for (int m : kinetics::original_npy_maps())
    io::write_npy_map((out / "pixel_maps" / (std::string(specs[m].name) + "_map.npy")).string(), vols[m], comm);
  run.timing["write_npy_s"] = seconds_since(t0);

  // NIfTI maps on the input's grid
  t0 = std::chrono::steady_clock::now();
  io::NiftiReference ref{grid, run.info.format.rfind("NIfTI", 0) == 0 ? run.input : std::string()};
  for (int m = 0; m < kinetics::kMapCount; ++m) {
    const bool is_status = m == kinetics::kMapStatus;
    io::write_nifti_map((out / "nifti" / (std::string(specs[m].name) + ".nii.gz")).string(), vols[m], ref,
                        is_status ? io::MapType::UInt8 : io::MapType::Float32, comm, specs[m].description,
                        specs[m].units);
  }
  run.timing["write_nifti_s"] = seconds_since(t0);

  // parallel HDF5 with everything
  t0 = std::chrono::steady_clock::now();
  YAML::Node config = options_node(run);
  config["input"] = run.input;
  {
    io::H5ResultWriter h5((out / "kinetics_maps.h5").string(), grid, comm, command_line(), to_text(config));
    for (int m = 0; m < kinetics::kMapCount; ++m) h5.write_map(std::string("maps/") + specs[m].name, vols[m], specs[m].units);
    h5.write_attribute("time_axis_min", run.axis.t_min);
    h5.write_attribute("model", "I(t) = A0 + A1 (1 - exp(-kb (t - t0))) exp(-kd (t - t0)) + A2 (1 - exp(-knt (t - tmax))), shifts clamped at 0, t in min");
    std::string legend;
    for (size_t i = 0; i < kinetics::status_names().size(); ++i)
      legend += (i ? ", " : "") + std::to_string(i) + " " + kinetics::status_names()[i];
    h5.write_attribute("status_legend", legend);
    h5.commit();
  }
  run.timing["write_hdf5_s"] = seconds_since(t0);

  // per-slice statistics
  t0 = std::chrono::steady_clock::now();
  const auto stats = kinetics::slice_statistics(maps, comm);
  collective_check(comm, [&] {
    if (comm.is_root()) io::write_text_atomic((out / "slice_statistics.csv").string(), kinetics::slice_statistics_csv(stats));
  });

  // panel figure of the original's maps on one slice
  std::vector<viz::Panel> panels;
  for (int m : kinetics::original_npy_maps()) {
    std::vector<float> plane = gather_plane(vols[m], run.panel_slice, comm);
    if (!comm.is_root()) continue;
    viz::Panel p;
    p.title = specs[m].name;
    p.units = specs[m].units;
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
    const std::string title = "voxflow kinetics: " + fs::path(run.input).filename().string() + ", slice " +
                              std::to_string(run.panel_slice) + (run.cancelled ? " (cancelled: partial)" : "");
    io::write_png((out / "pixel_maps" / "pixel_maps_visualization.png").string(), viz::render_panel_figure(panels, 3, title));
  });
  run.timing["write_png_csv_s"] = seconds_since(t0);

  // DICOM series for PACS
  t0 = std::chrono::steady_clock::now();
  if (run.dicom_export) {
    make_dir((out / "dicom").string(), comm);
    for (int m : kinetics::original_npy_maps())
      io::write_dicom_map_series((out / "dicom" / specs[m].name).string(), specs[m].name, vols[m], specs[m].units, comm);
  }
  run.timing["write_dicom_s"] = seconds_since(t0);

  // status counts
  std::vector<long long> counts(kinetics::status_names().size(), 0);
  {
    auto h = Kokkos::create_mirror_view(maps.values);
    Kokkos::deep_copy(h, maps.values);
    std::vector<long long> local(counts.size(), 0);
    for (std::int64_t v = 0; v < static_cast<std::int64_t>(h.extent(0)); ++v) {
      const int s = static_cast<int>(h(v, kinetics::kMapStatus));
      if (s >= 0 && s < static_cast<int>(local.size())) ++local[static_cast<size_t>(s)];
    }
    MPI_Allreduce(local.data(), counts.data(), static_cast<int>(counts.size()), MPI_LONG_LONG, MPI_SUM, comm.comm);
  }
  run.timing["write_s"] = seconds_since(t_write);
  run.timing["total_s"] = seconds_since(t_start);

  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    YAML::Node s;
    s["voxflow_version"] = kVersion;
    s["command"] = "kinetics";
    s["command_line"] = command_line();
    s["state"] = run.cancelled ? "cancelled" : "complete";
    YAML::Node in;
    in["path"] = run.input;
    in["format"] = run.info.format;
    in["dims"] = std::vector<long long>{grid.nx(), grid.ny(), grid.nz()};
    in["time_points"] = static_cast<long long>(grid.nt);
    in["spacing_mm"] = std::vector<double>(grid.spacing_mm.begin(), grid.spacing_mm.end());
    in["fingerprint"] = run.fingerprint;
    s["input"] = in;
    s["options"] = options_node(run);
    YAML::Node ax;
    ax["source"] = run.axis.source;
    ax["unit"] = "min";
    ax["injection_index"] = run.axis.injection_index;
    ax["frames_fitted"] = static_cast<int>(run.axis.t_min.size());
    ax["t_min"] = run.axis.t_min;
    s["time_axis"] = ax;
    YAML::Node st;
    for (size_t i = 0; i < counts.size(); ++i) st[kinetics::status_names()[i]] = counts[i];
    s["status_counts"] = st;
    YAML::Node legend;
    for (size_t i = 0; i < kinetics::status_names().size(); ++i) legend[static_cast<int>(i)] = kinetics::status_names()[i];
    s["status_codes"] = legend;
    YAML::Node vox;
    vox["total"] = run.voxels_total;
    vox["resumed_from_checkpoint"] = run.voxels_resumed;
    vox["fitted_this_run"] = run.voxels_fitted;
    const double fit_s = run.timing.count("fit_s") ? run.timing["fit_s"] : 0.0;
    vox["voxels_per_second"] = fit_s > 0 ? static_cast<double>(run.voxels_fitted) / fit_s : 0.0;
    s["voxels"] = vox;
    YAML::Node par;
    par["mpi_ranks"] = comm.size();
    par["kokkos_execution_space"] = Kokkos::DefaultExecutionSpace::name();
    par["threads_per_rank"] = Kokkos::DefaultExecutionSpace().concurrency();
    s["parallel"] = par;
    YAML::Node tm;
    for (const auto& [k, v] : run.timing) tm[k] = v;
    s["timing_s"] = tm;
    s["checkpoints_written"] = run.checkpoints;
    YAML::Node maps_node;
    for (const auto& sp : specs) maps_node[sp.name] = std::string(sp.units) + (sp.units[0] ? " - " : "") + sp.description;
    s["maps"] = maps_node;
    io::write_text_atomic((out / "summary.yaml").string(), to_text(s) + "\n");
  });
}

}  // namespace voxflow::apps
