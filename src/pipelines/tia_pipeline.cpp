// voxflow tia: voxel-wise time-integrated activity maps (seeds/002 PyTIA design) on z-slabs.
#include "src/pipelines/tia_pipeline.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numeric>

#include "io/nifti_reader.hpp"
#include "io/output_manifest.hpp"
#include "src/core/cancellation.hpp"
#include "src/core/fault_injection.hpp"
#include "src/core/error.hpp"
#include "src/core/stopwatch.hpp"
#include "src/core/label_map.hpp"
#include "src/filters/masked_gaussian.hpp"
#include "src/filters/otsu.hpp"
#include "src/pipelines/map_outputs.hpp"
#include "src/pipelines/tia_options.hpp"
#include "src/pipelines/voxel_map_run.hpp"
#include "src/tia/body_mask.hpp"
#include "src/tia/label_statistics.hpp"
#include "src/tia/region_tia.hpp"
#include "src/tia/tia_maps.hpp"

namespace fs = std::filesystem;

namespace voxflow::pipelines {
namespace {

/// One region of a region-mode run, for the summary.
struct RegionReport {
  int label = 0;
  long long voxels = 0;
  tia::RegionFit fit;
  std::vector<double> mean_tac_bq;  // region mean TAC at the sorted times, Bq per voxel
};

/// s["<what>_legend"] = {id: name}, s["<what>_counts"] = {name: voxels} for ids 0 .. counts.size() - 1
void add_legend(YAML::Node& s, const std::string& what, const char* (*name)(std::uint8_t), const std::vector<long long>& counts) {
  YAML::Node legend(YAML::NodeType::Map), n(YAML::NodeType::Map);
  for (size_t i = 0; i < counts.size(); ++i) {
    legend[static_cast<int>(i)] = name(static_cast<std::uint8_t>(i));
    n[name(static_cast<std::uint8_t>(i))] = counts[i];
  }
  s[what + "_legend"] = legend;
  s[what + "_counts"] = n;
}

YAML::Node number_or_null(double x) {
  if (!std::isfinite(x)) return YAML::Node(YAML::NodeType::Null);
  return YAML::Node(x);
}

}  // namespace

RunSummary run_tia(const TiaOptions& options, const Comm& comm) {
  const Stopwatch t_start;
  const tia::TiaConfig& cfg = options.config;
  if (cfg.output_dir.empty()) throw UsageError("tia: give the output folder with -o DIR (or io.output_dir)");
  RunSummary sum;
  sum.command = "tia";
  sum.command_line = options.command_line.empty() ? std::string("voxflow tia (library call)") : options.command_line;
  sum.output_dir = cfg.output_dir;
  sum.configuration_yaml = tia::tia_config_to_yaml(cfg);
  sum.mpi_ranks = comm.size();
  for (int i = 0; i < 6; ++i) sum.status_names.push_back(tia::status_name(static_cast<std::uint8_t>(i)));
  sum.maps = tia::tia_map_specs();

  // ---- input checks, before any heavy work --------------------------------------------------
  Stopwatch t0;
  const int n_tp = static_cast<int>(cfg.images.size());
  std::vector<int> order(static_cast<size_t>(n_tp));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return cfg.times_s[a] < cfg.times_s[b]; });
  std::vector<std::string> images_sorted;
  std::vector<double> times_sorted_s;
  for (int i : order) {
    images_sorted.push_back(cfg.images[static_cast<size_t>(i)]);
    times_sorted_s.push_back(cfg.times_s[static_cast<size_t>(i)]);
  }
  Grid grid;
  collective_check(comm, [&] {
    const io::ImageInfo first = io::read_nifti_info(cfg.images[0]);
    if (first.grid.nt != 1)
      throw InputError(cfg.images[0] + ": a time point must be a 3D image (this one has " + std::to_string(first.grid.nt) +
                       " volumes)");
    for (int i = 1; i < n_tp; ++i) {
      const io::ImageInfo inf = io::read_nifti_info(cfg.images[static_cast<size_t>(i)]);
      if (inf.grid.nt != 1)
        throw InputError(cfg.images[static_cast<size_t>(i)] + ": a time point must be a 3D image (this one has " +
                         std::to_string(inf.grid.nt) + " volumes)");
      require_same_grid(first.grid, cfg.images[0], inf.grid, "time point " + cfg.images[static_cast<size_t>(i)]);
    }
    grid = first.grid;
    if (cfg.mask_mode == tia::MaskMode::File)
      require_same_grid(first.grid, "the images (" + cfg.images[0] + ")", io::read_nifti_info(cfg.mask_path).grid,
                        "mask " + cfg.mask_path);
    if (cfg.regions_enabled) {
      const io::ImageInfo li = io::read_nifti_info(cfg.label_map_path);
      if (li.grid.nt != 1) throw InputError("label map " + cfg.label_map_path + " must be a 3D image");
      require_same_grid(first.grid, "the images (" + cfg.images[0] + ")", li.grid, "label map " + cfg.label_map_path);
    }
  });
  // the folder from here on holds this run only (its prefix's earlier manifest and files go)
  const io::FolderSnapshot folder = io::begin_output_folder(cfg.output_dir, {}, comm, cfg.file_prefix());
  sum.grid = grid;
  const double vml = grid.voxel_volume_ml();  // design §2.2
  const tia::TiaFitOptions fit_opt = cfg.fit_options(vml);

  // ---- load: the rank's slab of every time point ------------------------------------------------
  const Slab slab = make_slab(grid.nz(), comm.rank(), comm.size());
  Grid grid4 = grid;
  grid4.nt = n_tp;
  Volume4D density(grid4, slab, 0, "activity_density");
  collective_check(comm, [&] { fault_point("read", comm); });
  for (int k = 0; k < n_tp; ++k) {
    // collective: a one-stream .nii.gz is inflated once, by rank 0 (io/nifti_reader.hpp), and a
    // failure is agreed on inside
    const Volume3D tp = io::read_nifti_3d(images_sorted[static_cast<size_t>(k)], slab, 0, comm);
    auto dst = density.data;
    auto src = tp.data;
    Kokkos::parallel_for(
        "tia_stack", Kokkos::RangePolicy<>(0, static_cast<std::int64_t>(src.extent(0))),
        KOKKOS_LAMBDA(std::int64_t v) { dst(v, k) = src(v); });
  }
  Kokkos::fence();
  sum.timing_s["read"] = t0.seconds();

  // ---- mask ------------------------------------------------------------------------------------
  t0.restart();
  const std::int64_t n_owned = density.layout.owned_voxels();
  Volume3D mask(grid, slab, 0, "mask");
  double otsu = std::numeric_limits<double>::quiet_NaN();
  if (cfg.mask_mode == tia::MaskMode::Otsu) {
    Volume3D total(grid, slab, 0, "sum_image");
    auto s = total.data;
    auto d = density.data;
    Kokkos::parallel_for(
        "tia_sum_image", Kokkos::RangePolicy<>(0, n_owned), KOKKOS_LAMBDA(std::int64_t v) {
          float acc = 0.0f;
          for (int k = 0; k < n_tp; ++k) acc += d(v, k);
          s(v) = acc;
        });
    otsu = filters::otsu_threshold(total, comm);
    mask = tia::body_mask(total, cfg.mask_min_fraction_of_max, comm);
  } else if (cfg.mask_mode == tia::MaskMode::File) {
    mask = io::read_nifti_3d(cfg.mask_path, slab, 0, comm);  // collective, agrees on failures
    auto m = mask.data;
    Kokkos::parallel_for(
        "tia_mask_binarise", Kokkos::RangePolicy<>(0, n_owned), KOKKOS_LAMBDA(std::int64_t v) { m(v) = m(v) != 0.0f ? 1.0f : 0.0f; });
  } else {
    Kokkos::deep_copy(mask.data, 1.0f);
  }
  sum.timing_s["mask"] = t0.seconds();

  // ---- denoise: masked Gaussian across slab boundaries -----------------------------------------
  t0.restart();
  if (cfg.denoise) {
    const std::array<double, 3> sigma_vox{cfg.denoise_sigma_mm / grid.spacing_mm[0], cfg.denoise_sigma_mm / grid.spacing_mm[1],
                                          cfg.denoise_sigma_mm / grid.spacing_mm[2]};
    filters::masked_gaussian(density, mask, sigma_vox, comm);
  }
  sum.timing_s["denoise"] = t0.seconds();

  // ---- clamp, Bq/ml -> Bq per voxel; the voxels to fit --------------------------------------------
  t0.restart();
  // converted in place when the densities carry no halo (saves a copy of the slab)
  const std::int64_t off = density.layout.halo * density.layout.plane_size();
  Kokkos::View<float**> activity =
      off == 0 ? density.data : Kokkos::View<float**>("activity_bq", static_cast<size_t>(n_owned), static_cast<size_t>(n_tp));
  {
    auto d = density.data;
    const float fvml = static_cast<float>(vml);
    Kokkos::parallel_for(
        "tia_to_bq", Kokkos::RangePolicy<>(0, n_owned), KOKKOS_LAMBDA(std::int64_t v) {
          for (int k = 0; k < n_tp; ++k) {
            const float x = d(v + off, k);
            activity(v, k) = (x > 0.0f ? x : (x == x ? 0.0f : x)) * fvml;  // clamp negatives, keep NaN
          }
        });
  }
  density = Volume4D();  // the activities keep the storage alive when converted in place
  VoxelMapJob job;
  Kokkos::View<std::uint8_t*> in_mask("in_mask", static_cast<size_t>(n_owned));
  {
    auto mh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), mask.data);
    auto ih = Kokkos::create_mirror_view(in_mask);
    for (std::int64_t v = 0; v < n_owned; ++v) {
      ih(v) = mh(v) != 0.0f ? 1 : 0;
      if (ih(v)) job.voxels.push_back(v);
    }
    Kokkos::deep_copy(in_mask, ih);
  }
  mask = Volume3D();
  Kokkos::View<double*> times("times_s", static_cast<size_t>(n_tp));
  {
    auto h = Kokkos::create_mirror_view(times);
    for (int k = 0; k < n_tp; ++k) h(k) = times_sorted_s[static_cast<size_t>(k)];
    Kokkos::deep_copy(times, h);
  }
  sum.voxels_total = comm.sum(static_cast<long long>(n_owned));
  sum.voxels_selected = comm.sum(static_cast<long long>(job.voxels.size()));

  // ---- region mode: mean TAC and fit per configured label -----------------------------------------
  tia::RegionInputs region_inputs;
  Kokkos::View<std::int32_t*> labels;
  std::vector<RegionReport> regions;
  if (cfg.regions_enabled) {
    Volume3D labels_f;
    labels_f = io::read_nifti_3d(cfg.label_map_path, slab, 0, comm);  // collective, agrees on failures
    labels = decode_labels(labels_f);
    const int max_label = cfg.region_classes.rbegin()->first;
    const tia::LabelSums sums = tia::label_sums(SlabLayout{grid, slab, 0}, activity, labels, in_mask, max_label, comm);
    Kokkos::View<int*> l2r("label_to_region", static_cast<size_t>(max_label) + 1);
    auto l2r_h = Kokkos::create_mirror_view(l2r);
    for (int L = 0; L <= max_label; ++L) l2r_h(L) = -1;
    std::vector<tia::RegionFit> fits;
    for (const auto& [label, rc] : cfg.region_classes) {
      RegionReport rep;
      rep.label = label;
      rep.voxels = static_cast<long long>(sums.count[static_cast<size_t>(label)]);
      for (int k = 0; k < n_tp; ++k) rep.mean_tac_bq.push_back(sums.mean(label, k));
      if (rep.voxels == 0) {
        if (comm.is_root()) std::fprintf(stderr, "voxflow tia: warning: region label %d has no voxel inside the mask\n", label);
        regions.push_back(rep);
        continue;
      }
      std::vector<std::uint8_t> models{rc.default_model};
      for (auto m : rc.allowed_models)
        if (m != rc.default_model) models.push_back(m);
      tia::fit_region_tac(times_sorted_s.data(), rep.mean_tac_bq.data(), n_tp, fit_opt, models.data(),
                          static_cast<int>(models.size()), rep.fit);
      rep.fit.sigma_tia_ref = std::numeric_limits<double>::quiet_NaN();
      if (cfg.bootstrap && rep.fit.fit.status == tia::kStatusOk)
        rep.fit.sigma_tia_ref = tia::region_bootstrap_sigma(times_sorted_s.data(), rep.mean_tac_bq.data(), n_tp, fit_opt,
                                                            rep.fit, cfg.bootstrap_replicates, cfg.bootstrap_seed, label);
      if (rep.fit.fit.status == tia::kStatusOk) {
        l2r_h(label) = static_cast<int>(fits.size());
        fits.push_back(rep.fit);
      } else if (comm.is_root()) {
        std::fprintf(stderr, "voxflow tia: warning: region label %d: the %s fit of its mean curve failed (%s); its voxels are fitted one by one\n",
                     label, tia::model_name(rc.default_model), tia::status_name(rep.fit.fit.status));
      }
      regions.push_back(rep);
    }
    Kokkos::deep_copy(l2r, l2r_h);
    Kokkos::View<tia::RegionFit*> regs("regions", fits.size());
    auto rh = Kokkos::create_mirror_view(regs);
    for (size_t i = 0; i < fits.size(); ++i) rh(i) = fits[i];
    Kokkos::deep_copy(regs, rh);
    region_inputs.label_to_region = l2r;
    region_inputs.regions = regs;
  }
  sum.timing_s["prepare"] = t0.seconds();

  if (comm.is_root())
    std::fprintf(stderr, "voxflow tia: %d time points, %s, %lld of %lld voxels in the mask, %s mode, %d bootstrap replicates, %d rank(s)\n",
                 n_tp, grid.describe().c_str(), sum.voxels_selected, sum.voxels_total,
                 cfg.regions_enabled ? "region" : "voxel", cfg.bootstrap ? cfg.bootstrap_replicates : 0, comm.size());

  // ---- fit (+ bootstrap): the shared voxel-map run ---------------------------------------------------
  tia::TiaKernelSettings ks;
  ks.fit = fit_opt;
  ks.bootstrap = cfg.bootstrap;
  ks.replicates = cfg.bootstrap_replicates;
  ks.seed = cfg.bootstrap_seed;
  ks.reclassify = cfg.bootstrap_reclassify;
  ks.voxel_level_r2 = cfg.voxel_level_r2;
  const auto act_h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), activity);
  Kokkos::View<std::int32_t*, Kokkos::HostSpace> lab_h("labels_h", labels.extent(0));
  if (labels.extent(0) > 0) Kokkos::deep_copy(lab_h, labels);
  const std::int64_t first_global = slab.z0 * grid.plane_size();
  job.label = "tia";
  job.item_width = tia::tia_item_width(n_tp);
  job.pack = [&](std::int64_t v, double* r) {
    for (int k = 0; k < n_tp; ++k) r[k] = act_h(v, k);
    r[n_tp + tia::kItemLabel] = lab_h.extent(0) ? lab_h(v) : -1.0;
    r[n_tp + tia::kItemGlobalVoxel] = static_cast<double>(first_global + v);
  };
  job.kernel = [&](const ConstItemView& items, std::int64_t b, std::int64_t e,
                   const ItemView& results) { tia::fit_tia_items(items, times, ks, region_inputs, b, e, results); };
  job.progress = options.progress;
  job.max_chunk = cfg.chunk_size_vox;
  MapSet maps = tia::make_tia_maps(SlabLayout{grid, slab, 0});
  activity = Kokkos::View<float**>();
  const VoxelMapOutcome res = run_voxel_maps(job, maps, comm);
  sum.timing_s["balance"] = res.balance_s;
  sum.timing_s["fit"] = res.compute_s;
  sum.voxels_fitted = res.done_global;
  if (res.cancelled) {
    const int seen = static_cast<int>(comm.max(static_cast<double>(res.signal)));
    const int sig = seen > 0 ? seen : SIGINT;
    if (!comm.is_root()) throw PeerFailure(0, 130);
    throw CancelledError("tia: cancelled by " + std::string(signal_name(sig)) + " after " + std::to_string(res.done_global) +
                         " of " + std::to_string(sum.voxels_selected) + " voxels; nothing was written");
  }

  // ---- outputs -------------------------------------------------------------------------------------
  t0.restart();
  fault_point("write", comm);
  const fs::path out(cfg.output_dir);
  const std::string pre = cfg.file_prefix();
  std::vector<int> which;
  for (int m = 0; m < tia::kTiaMapCount; ++m)
    if (m != tia::kMapTpeak || cfg.write_tpeak) which.push_back(m);
  {
    const std::vector<Volume3D> vols = map_volumes(maps);
    write_nifti_maps(maps, vols, which, cfg.output_dir, pre, io::NiftiReference{grid, cfg.images[0]}, comm);
    write_hdf5_maps(maps, vols, which, (out / (pre + "tia_maps.h5")).string(), "", sum.command_line, sum.configuration_yaml,
                    [&](io::H5ResultWriter& h5) {
                      h5.write_attribute("times_s", times_sorted_s);
                      h5.write_attribute("half_life_s", std::vector<double>{cfg.half_life_s});
                      h5.write_attribute("voxel_volume_ml", std::vector<double>{vml});
                    },
                    comm);
  }
  sum.status_counts = maps.code_counts(tia::kMapStatusId, 6, comm);
  const auto model = maps.code_counts(tia::kMapModelId, tia::kTiaModelCount, comm);
  const auto cls = maps.code_counts(tia::kMapCurveClass, 5, comm);
  sum.timing_s["write"] = t0.seconds();
  sum.timing_s["total"] = t_start.seconds();
  write_run_summary((out / (pre + "tia_summary.yaml")).string(), sum,
                    [&](YAML::Node& s) {
                      YAML::Node in;
                      for (size_t i = 0; i < images_sorted.size(); ++i) {
                        YAML::Node tp;
                        tp["image"] = images_sorted[i];
                        tp["time_s"] = times_sorted_s[i];
                        in.push_back(tp);
                      }
                      s["time_points_sorted"] = in;
                      YAML::Node ph;
                      ph["lambda_phys_per_s"] = cfg.lambda_phys();
                      s["physics"] = ph;
                      YAML::Node mk;
                      mk["voxels_total"] = sum.voxels_total;
                      mk["voxels_in_mask"] = sum.voxels_selected;
                      mk["otsu_threshold"] = number_or_null(otsu);
                      s["mask"] = mk;
                      add_legend(s, "model", tia::model_name, model);
                      add_legend(s, "class", tia::class_name, cls);
                      if (!cfg.regions_enabled) return;
                      YAML::Node regs;
                      for (const auto& r : regions) {
                        YAML::Node n;
                        n["label"] = r.label;
                        n["voxels"] = r.voxels;
                        n["status"] = tia::status_name(r.fit.fit.status);
                        n["model"] = tia::model_name(r.fit.fit.model);
                        n["mean_tac_bq_per_voxel"] = r.mean_tac_bq;
                        n["tia_ref_bq_s"] = number_or_null(r.fit.tia_ref);
                        n["sigma_tia_ref_bq_s"] = number_or_null(r.fit.sigma_tia_ref);
                        n["t_ref_s"] = r.fit.ref_index >= 0 ? YAML::Node(times_sorted_s[static_cast<size_t>(r.fit.ref_index)])
                                                           : YAML::Node(YAML::NodeType::Null);
                        n["a_ref_bq"] = number_or_null(r.fit.a_ref);
                        n["r2"] = number_or_null(r.fit.fit.r2);
                        n["tpeak_s"] = number_or_null(r.fit.fit.tpeak);
                        regs.push_back(n);
                      }
                      s["regions"] = regs;
                    },
                    comm);
  io::write_output_manifest(folder, sum.command_line, comm);  // last: the folder now holds a finished run
  if (comm.is_root())
    std::fprintf(stderr, "voxflow tia: done in %.2f s (%.0f voxels/s fit+bootstrap); results in %s\n", t_start.seconds(),
                 sum.voxels_per_second(), cfg.output_dir.c_str());
  return sum;
}

}  // namespace voxflow::pipelines
