// voxflow tia outputs: NIfTI maps, parallel HDF5, summary YAML.
#include "apps/tia_outputs.hpp"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "apps/commands.hpp"
#include "io/atomic_file.hpp"
#include "io/hdf5_results.hpp"
#include "io/nifti_writer.hpp"
#include "src/core/error.hpp"
#include "voxflow/version.hpp"

namespace fs = std::filesystem;

namespace voxflow::apps {
namespace {

/// counts[c] of the id map `index` over owned voxels, summed over ranks (ids 0..n-1)
std::vector<long long> id_counts(const tia::TiaMaps& maps, int index, int n, const Comm& comm) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.values);
  std::vector<long long> c(static_cast<size_t>(n), 0);
  for (size_t v = 0; v < h.extent(0); ++v) {
    const int id = static_cast<int>(h(v, index));
    if (id >= 0 && id < n) ++c[static_cast<size_t>(id)];
  }
  for (auto& x : c) x = comm.sum(x);
  return c;
}

YAML::Node number_or_null(double x) {
  if (!std::isfinite(x)) return YAML::Node(YAML::NodeType::Null);
  return YAML::Node(x);
}

}  // namespace

void write_tia_outputs(const tia::TiaMaps& maps, TiaRun& run, const Comm& comm) {
  const auto t0 = std::chrono::steady_clock::now();
  const tia::TiaConfig& cfg = run.config;
  const fs::path out(cfg.output_dir);
  const std::string pre = cfg.file_prefix();
  const auto& specs = tia::tia_map_specs();
  const io::NiftiReference ref{run.grid, run.reference_image};

  for (int m = 0; m < tia::kTiaMapCount; ++m) {
    if (m == tia::kMapTpeak && !cfg.write_tpeak) continue;
    const Volume3D vol = maps.map(m);
    io::write_nifti_map((out / (pre + specs[m].name + ".nii.gz")).string(), vol, ref,
                        specs[m].is_id ? io::MapType::UInt8 : io::MapType::Float32, comm, std::string("voxflow tia ") + specs[m].name,
                        specs[m].units);
  }
  const std::string config_yaml = tia::tia_config_to_yaml(cfg);
  {
    io::H5ResultWriter h5((out / (pre + "tia_maps.h5")).string(), run.grid, comm, command_line(), config_yaml);
    for (int m = 0; m < tia::kTiaMapCount; ++m) {
      if (m == tia::kMapTpeak && !cfg.write_tpeak) continue;
      h5.write_map(specs[m].name, maps.map(m), specs[m].units);
    }
    h5.write_attribute("times_s", run.times_sorted_s);
    h5.write_attribute("half_life_s", std::vector<double>{cfg.half_life_s});
    h5.write_attribute("voxel_volume_ml", std::vector<double>{run.voxel_volume_ml});
    h5.commit();
  }
  run.timing_ms["save"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  const auto status = id_counts(maps, tia::kMapStatusId, 6, comm);
  const auto model = id_counts(maps, tia::kMapModelId, 4, comm);
  const auto cls = id_counts(maps, tia::kMapCurveClass, 5, comm);
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    YAML::Node s;
    s["voxflow_version"] = kVersion;
    s["command_line"] = command_line();
    s["state"] = "complete";
    s["configuration"] = YAML::Load(config_yaml);
    YAML::Node in;
    for (size_t i = 0; i < run.images_sorted.size(); ++i) {
      YAML::Node tp;
      tp["image"] = run.images_sorted[i];
      tp["time_s"] = run.times_sorted_s[i];
      in.push_back(tp);
    }
    s["time_points_sorted"] = in;
    YAML::Node g;
    g["dims"] = std::vector<long long>{run.grid.nx(), run.grid.ny(), run.grid.nz()};
    g["spacing_mm"] = std::vector<double>(run.grid.spacing_mm.begin(), run.grid.spacing_mm.end());
    g["voxel_volume_ml"] = run.voxel_volume_ml;
    s["grid"] = g;
    YAML::Node ph;
    ph["lambda_phys_per_s"] = cfg.lambda_phys();
    s["physics"] = ph;
    YAML::Node mk;
    mk["voxels_total"] = run.voxels_total;
    mk["voxels_in_mask"] = run.voxels_in_mask;
    mk["otsu_threshold"] = number_or_null(run.otsu_threshold);
    s["mask"] = mk;
    YAML::Node sl(YAML::NodeType::Map), sc;
    for (int i = 0; i < 6; ++i) {
      sl[i] = tia::status_name(static_cast<std::uint8_t>(i));
      sc[tia::status_name(static_cast<std::uint8_t>(i))] = status[static_cast<size_t>(i)];
    }
    s["status_legend"] = sl;
    s["status_counts"] = sc;
    YAML::Node ml(YAML::NodeType::Map), mc;
    for (int i = 0; i < 4; ++i) {
      ml[i] = tia::model_name(static_cast<std::uint8_t>(i));
      mc[tia::model_name(static_cast<std::uint8_t>(i))] = model[static_cast<size_t>(i)];
    }
    s["model_legend"] = ml;
    s["model_counts"] = mc;
    YAML::Node cl(YAML::NodeType::Map), cc;
    for (int i = 0; i < 5; ++i) {
      cl[i] = tia::class_name(static_cast<std::uint8_t>(i));
      cc[tia::class_name(static_cast<std::uint8_t>(i))] = cls[static_cast<size_t>(i)];
    }
    s["class_legend"] = cl;
    s["class_counts"] = cc;
    if (cfg.regions_enabled) {
      YAML::Node regs;
      for (const auto& r : run.regions) {
        YAML::Node n;
        n["label"] = r.label;
        n["voxels"] = r.voxels;
        n["status"] = tia::status_name(r.fit.fit.status);
        n["model"] = tia::model_name(r.fit.fit.model);
        n["mean_tac_bq_per_voxel"] = r.mean_tac_bq;
        n["tia_ref_bq_s"] = number_or_null(r.fit.tia_ref);
        n["sigma_tia_ref_bq_s"] = number_or_null(r.fit.sigma_tia_ref);
        n["t_ref_s"] = r.fit.ref_index >= 0 ? YAML::Node(run.times_sorted_s[static_cast<size_t>(r.fit.ref_index)])
                                           : YAML::Node(YAML::NodeType::Null);
        n["a_ref_bq"] = number_or_null(r.fit.a_ref);
        n["r2"] = number_or_null(r.fit.fit.r2);
        n["tpeak_s"] = number_or_null(r.fit.fit.tpeak);
        regs.push_back(n);
      }
      s["regions"] = regs;
    }
    YAML::Node tm;
    for (const auto& [k, v] : run.timing_ms) tm[k] = v;
    s["timing_ms"] = tm;
    const double fit_ms = run.timing_ms.count("fit") ? run.timing_ms["fit"] : 0.0;
    s["voxels_per_second"] = fit_ms > 0 ? static_cast<double>(run.voxels_in_mask) / (fit_ms / 1000.0) : 0.0;
    YAML::Node par;
    par["mpi_ranks"] = comm.size();
    par["kokkos_execution_space"] = Kokkos::DefaultExecutionSpace::name();
    par["threads_per_rank"] = Kokkos::DefaultExecutionSpace().concurrency();
    s["parallel"] = par;
    YAML::Node mp;
    for (const auto& sp : specs) mp[sp.name] = std::string(sp.units) + (sp.units[0] ? " - " : "") + sp.description;
    s["maps"] = mp;
    YAML::Emitter e;
    e << s;
    io::write_text_atomic((out / (pre + "tia_summary.yaml")).string(), std::string(e.c_str()) + "\n");
  });
}

}  // namespace voxflow::apps
