// voxflow tia: voxel-wise time-integrated activity maps from N >= 2 SPECT/PET time points
// (seeds/002 PyTIA design, all steps of its pipeline §3.1), distributed over z-slabs.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numeric>

#include "apps/command_line.hpp"
#include "apps/commands.hpp"
#include "apps/tia_outputs.hpp"
#include "io/nifti_reader.hpp"
#include "src/core/cancellation.hpp"
#include "src/core/chunked_run.hpp"
#include "src/core/error.hpp"
#include "src/core/work_balance.hpp"
#include "src/filters/masked_gaussian.hpp"
#include "src/filters/otsu.hpp"
#include "src/tia/label_statistics.hpp"
#include "src/tia/region_tia.hpp"
#include "src/tia/tia_config.hpp"
#include "src/tia/tia_maps.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace voxflow::apps {
namespace {

using clock_type = std::chrono::steady_clock;
double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

po::options_description tia_options() {
  po::options_description d(
      "voxflow tia: voxel-wise time-integrated activity (TIA, Bq*s per voxel) from SPECT/PET time points\n\n"
      "usage: voxflow tia --config tia.yaml [options]\n"
      "       voxflow tia --images tp1.nii.gz tp2.nii.gz ... --times 3600 14400 ... --half-life S -o DIR\n\n"
      "Options override the configuration file; any key can be set with --set key.path=value\n"
      "(keys and defaults: docs/tia.md).\n\noptions");
  d.add_options()                                                                                      //
      ("help,h", "show this help")                                                                     //
      ("config,c", po::value<std::string>(), "YAML configuration (PyTIA keys)")                        //
      ("images", po::value<std::vector<std::string>>()->multitoken(), "activity images (Bq/ml), one NIfTI per time point")
      ("times", po::value<std::vector<std::string>>()->multitoken(), "acquisition times, one per image (see --time-unit)")
      ("time-unit", po::value<std::string>(), "unit of --times: seconds (default), minutes, hours, days")  //
      ("half-life", po::value<std::string>(), "physical half-life of the radionuclide in seconds")   //
      ("output,o", po::value<std::string>(), "output folder (created)")                               //
      ("mask", po::value<std::string>(), "otsu (default), none, or a NIfTI mask file on the image grid")
      ("sigma-mm", po::value<std::string>(), "masked Gaussian denoising sigma in mm")                 //
      ("no-denoise", po::bool_switch(), "no masked Gaussian denoising")                               //
      ("bootstrap", po::value<std::string>(), "bootstrap replicates (0: no uncertainty map)")        //
      ("seed", po::value<std::string>(), "bootstrap seed")                                            //
      ("prefix", po::value<std::string>(), "output file name prefix")                                 //
      ("set", po::value<std::vector<std::string>>()->composing(), "override one key: --set models.refine=true")
      ("no-progress", po::bool_switch(), "no progress bar / progress lines");
  return d;
}

std::string yaml_flow_list(const std::vector<std::string>& v, bool quote) {
  YAML::Emitter e;
  e << YAML::Flow << YAML::BeginSeq;
  for (const auto& s : v) {
    if (quote) e << YAML::DoubleQuoted << s;
    else e << s;
  }
  e << YAML::EndSeq;
  return e.c_str();
}

/// The command-line options as configuration overrides (applied after the file).
std::vector<std::string> overrides_from(const po::variables_map& vm) {
  std::vector<std::string> o;
  if (vm.count("images")) o.push_back("inputs.images=" + yaml_flow_list(vm["images"].as<std::vector<std::string>>(), true));
  if (vm.count("times")) o.push_back("inputs.times=" + yaml_flow_list(vm["times"].as<std::vector<std::string>>(), false));
  if (vm.count("time-unit")) o.push_back("time.unit=" + vm["time-unit"].as<std::string>());
  if (vm.count("half-life")) o.push_back("physics.half_life_seconds=" + vm["half-life"].as<std::string>());
  if (vm.count("output")) o.push_back("io.output_dir=\"" + vm["output"].as<std::string>() + "\"");
  if (vm.count("mask")) {
    const std::string m = vm["mask"].as<std::string>();
    if (m == "otsu" || m == "none") o.push_back("mask.mode=" + m);
    else {
      o.push_back("mask.mode=file");
      o.push_back("mask.path=\"" + m + "\"");
    }
  }
  if (vm.count("sigma-mm")) o.push_back("denoise.sigma_mm=" + vm["sigma-mm"].as<std::string>());
  if (vm["no-denoise"].as<bool>()) o.push_back("denoise.enabled=false");
  if (vm.count("bootstrap")) o.push_back("bootstrap.replicates=" + vm["bootstrap"].as<std::string>());
  if (vm.count("seed")) o.push_back("bootstrap.seed=" + vm["seed"].as<std::string>());
  if (vm.count("prefix")) o.push_back("io.prefix=\"" + vm["prefix"].as<std::string>() + "\"");
  if (vm.count("set"))
    for (const auto& s : vm["set"].as<std::vector<std::string>>()) o.push_back(s);
  return o;
}

/// |det| of the affine's 3x3 part / 1000: voxel volume in ml (design §2.2).
double voxel_volume_ml(const Grid& g) {
  const auto& A = g.affine;
  const double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                     A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
  return std::fabs(det) / 1000.0;
}

std::string describe_affine_difference(const Grid& a, const Grid& b) {
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c)
      if (std::fabs(a.affine[r][c] - b.affine[r][c]) > 1e-4)
        return "affine[" + std::to_string(r) + "][" + std::to_string(c) + "] is " + std::to_string(b.affine[r][c]) +
               " instead of " + std::to_string(a.affine[r][c]);
  return "";
}

}  // namespace

int cmd_tia(const Args& args, const Comm& comm) {
  const auto t_start = clock_type::now();
  install_cancel_handlers();
  po::options_description desc = tia_options();
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm, "tia", comm)) return 0;
  if (!vm.count("config") && !vm.count("images"))
    throw UsageError("tia: give --config FILE or --images ... --times ... --half-life S -o DIR");
  const bool progress_on = !vm["no-progress"].as<bool>();

  // ---- configuration and input checks, before any heavy work ---------------------------------
  TiaRun run;
  auto t0 = clock_type::now();
  collective_check(comm, [&] {
    run.config = tia::load_tia_config(vm.count("config") ? vm["config"].as<std::string>() : "", overrides_from(vm));
  });
  tia::TiaConfig& cfg = run.config;
  if (cfg.output_dir.empty()) throw UsageError("tia: give the output folder with -o DIR (or io.output_dir)");
  const int n_tp = static_cast<int>(cfg.images.size());
  std::vector<int> order(static_cast<size_t>(n_tp));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return cfg.times_s[a] < cfg.times_s[b]; });
  for (int i : order) {
    run.images_sorted.push_back(cfg.images[static_cast<size_t>(i)]);
    run.times_sorted_s.push_back(cfg.times_s[static_cast<size_t>(i)]);
  }
  collective_check(comm, [&] {
    const io::ImageInfo first = io::read_nifti_info(cfg.images[0]);
    if (first.grid.nt != 1)
      throw InputError(cfg.images[0] + ": a time point must be a 3D image (this one has " + std::to_string(first.grid.nt) +
                       " volumes)");
    for (int i = 1; i < n_tp; ++i) {
      const io::ImageInfo inf = io::read_nifti_info(cfg.images[static_cast<size_t>(i)]);
      if (inf.grid.dims != first.grid.dims || inf.grid.nt != 1)
        throw InputError(cfg.images[static_cast<size_t>(i)] + ": shape " + inf.grid.describe() + " differs from " +
                         cfg.images[0] + " (" + first.grid.describe() + ")");
      const std::string d = describe_affine_difference(first.grid, inf.grid);
      if (!d.empty()) throw InputError(cfg.images[static_cast<size_t>(i)] + ": " + d + " (in " + cfg.images[0] + "): the time points are not on one grid");
    }
    run.grid = first.grid;
    run.reference_image = cfg.images[0];
    if (cfg.mask_mode == tia::MaskMode::File) {
      const io::ImageInfo mi = io::read_nifti_info(cfg.mask_path);
      if (mi.grid.dims != first.grid.dims || !describe_affine_difference(first.grid, mi.grid).empty())
        throw InputError("mask " + cfg.mask_path + " (" + mi.grid.describe() + ") is not on the grid of the images (" +
                         first.grid.describe() + ")");
    }
    if (cfg.regions_enabled) {
      const io::ImageInfo li = io::read_nifti_info(cfg.label_map_path);
      if (li.grid.dims != first.grid.dims || li.grid.nt != 1)
        throw InputError("label map " + cfg.label_map_path + " is " + li.grid.describe() + " but the images are " +
                         first.grid.describe());
      const std::string d = describe_affine_difference(first.grid, li.grid);
      if (!d.empty()) throw InputError("label map " + cfg.label_map_path + ": " + d + ": not on the grid of the images");
    }
    if (comm.is_root()) {
      std::error_code ec;
      fs::create_directories(cfg.output_dir, ec);
      if (ec || !fs::is_directory(cfg.output_dir))
        throw InputError("cannot create output folder " + cfg.output_dir + (ec ? ": " + ec.message() : std::string()));
    }
  });
  const Grid& grid = run.grid;
  run.voxel_volume_ml = voxel_volume_ml(grid);
  const tia::TiaFitOptions fit_opt = cfg.fit_options(run.voxel_volume_ml);

  // ---- load: the rank's slab of every time point ------------------------------------------------
  const Slab slab = make_slab(grid.nz(), comm.rank(), comm.size());
  Grid grid4 = grid;
  grid4.nt = n_tp;
  Volume4D density(grid4, slab, 0, "activity_density");
  collective_check(comm, [&] {
    for (int k = 0; k < n_tp; ++k) {
      const Volume3D tp = io::read_nifti_3d(run.images_sorted[static_cast<size_t>(k)], slab, 0);
      auto dst = density.data;
      auto src = tp.data;
      Kokkos::parallel_for(
          "tia_stack", Kokkos::RangePolicy<>(0, static_cast<std::int64_t>(src.extent(0))),
          KOKKOS_LAMBDA(std::int64_t v) { dst(v, k) = src(v); });
    }
  });
  Kokkos::fence();
  run.timing_ms["load"] = ms_since(t0);

  // ---- mask ------------------------------------------------------------------------------------
  t0 = clock_type::now();
  const std::int64_t n_owned = density.layout.owned_voxels();
  Volume3D mask(grid, slab, 0, "mask");
  run.otsu_threshold = std::numeric_limits<double>::quiet_NaN();
  if (cfg.mask_mode == tia::MaskMode::Otsu) {
    Volume3D sum(grid, slab, 0, "sum_image");
    auto s = sum.data;
    auto d = density.data;
    Kokkos::parallel_for(
        "tia_sum_image", Kokkos::RangePolicy<>(0, n_owned), KOKKOS_LAMBDA(std::int64_t v) {
          float acc = 0.0f;
          for (int k = 0; k < n_tp; ++k) acc += d(v, k);
          s(v) = acc;
        });
    run.otsu_threshold = filters::otsu_threshold(sum, comm);
    mask = filters::tia_body_mask(sum, cfg.mask_min_fraction_of_max, comm);
  } else if (cfg.mask_mode == tia::MaskMode::File) {
    collective_check(comm, [&] { mask = io::read_nifti_3d(cfg.mask_path, slab, 0); });
    auto m = mask.data;
    Kokkos::parallel_for(
        "tia_mask_binarise", Kokkos::RangePolicy<>(0, n_owned), KOKKOS_LAMBDA(std::int64_t v) { m(v) = m(v) != 0.0f ? 1.0f : 0.0f; });
  } else {
    Kokkos::deep_copy(mask.data, 1.0f);
  }
  run.timing_ms["mask"] = ms_since(t0);

  // ---- denoise: masked Gaussian across slab boundaries -----------------------------------------
  t0 = clock_type::now();
  if (cfg.denoise) {
    const std::array<double, 3> sigma_vox{cfg.denoise_sigma_mm / grid.spacing_mm[0], cfg.denoise_sigma_mm / grid.spacing_mm[1],
                                          cfg.denoise_sigma_mm / grid.spacing_mm[2]};
    filters::masked_gaussian(density, mask, sigma_vox, comm);
  }
  run.timing_ms["denoise"] = ms_since(t0);

  // ---- clamp, Bq/ml -> Bq per voxel; the voxels to fit --------------------------------------------
  t0 = clock_type::now();
  // converted in place when the densities carry no halo (saves a copy of the slab)
  const std::int64_t off = density.layout.halo * density.layout.plane_size();
  Kokkos::View<float**> activity =
      off == 0 ? density.data : Kokkos::View<float**>("activity_bq", static_cast<size_t>(n_owned), static_cast<size_t>(n_tp));
  {
    auto d = density.data;
    const float vml = static_cast<float>(run.voxel_volume_ml);
    Kokkos::parallel_for(
        "tia_to_bq", Kokkos::RangePolicy<>(0, n_owned), KOKKOS_LAMBDA(std::int64_t v) {
          for (int k = 0; k < n_tp; ++k) {
            const float x = d(v + off, k);
            activity(v, k) = (x > 0.0f ? x : (x == x ? 0.0f : x)) * vml;  // clamp negatives, keep NaN
          }
        });
  }
  density = Volume4D();  // the activities keep the storage alive when converted in place
  std::vector<std::int64_t> fit_voxels_h;
  Kokkos::View<std::uint8_t*> in_mask("in_mask", static_cast<size_t>(n_owned));
  {
    auto mh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), mask.data);
    auto ih = Kokkos::create_mirror_view(in_mask);
    for (std::int64_t v = 0; v < n_owned; ++v) {
      ih(v) = mh(v) != 0.0f ? 1 : 0;
      if (ih(v)) fit_voxels_h.push_back(v);
    }
    Kokkos::deep_copy(in_mask, ih);
  }
  Kokkos::View<double*> times("times_s", static_cast<size_t>(n_tp));
  {
    auto h = Kokkos::create_mirror_view(times);
    for (int k = 0; k < n_tp; ++k) h(k) = run.times_sorted_s[static_cast<size_t>(k)];
    Kokkos::deep_copy(times, h);
  }
  run.voxels_total = comm.sum(static_cast<long long>(n_owned));
  run.voxels_in_mask = comm.sum(static_cast<long long>(fit_voxels_h.size()));

  // ---- region mode: mean TAC and fit per configured label -----------------------------------------
  tia::RegionInputs region_inputs;
  Kokkos::View<std::int32_t*> labels;
  if (cfg.regions_enabled) {
    Volume3D labels_f;
    collective_check(comm, [&] { labels_f = io::read_nifti_3d(cfg.label_map_path, slab, 0); });
    labels = Kokkos::View<std::int32_t*>("labels", static_cast<size_t>(n_owned));
    auto lf = labels_f.data;
    Kokkos::parallel_for(
        "tia_labels", Kokkos::RangePolicy<>(0, n_owned), KOKKOS_LAMBDA(std::int64_t v) {
          const float x = lf(v);
          labels(v) = (x == x && x >= 0.0f && x < 2147483647.0f) ? static_cast<std::int32_t>(x + 0.5f) : -1;
        });
    const int max_label = cfg.region_classes.rbegin()->first;
    const tia::LabelSums sums = tia::label_sums(SlabLayout{grid, slab, 0}, activity, labels, in_mask, max_label, comm);
    Kokkos::View<int*> l2r("label_to_region", static_cast<size_t>(max_label) + 1);
    auto l2r_h = Kokkos::create_mirror_view(l2r);
    for (int L = 0; L <= max_label; ++L) l2r_h(L) = -1;
    std::vector<tia::RegionFit> fits;
    for (const auto& [label, rc] : cfg.region_classes) {
      TiaRegionReport rep;
      rep.label = label;
      rep.voxels = static_cast<long long>(sums.count[static_cast<size_t>(label)]);
      for (int k = 0; k < n_tp; ++k) rep.mean_tac_bq.push_back(sums.mean(label, k));
      if (rep.voxels == 0) {
        if (comm.is_root()) std::fprintf(stderr, "voxflow tia: warning: region label %d has no voxel inside the mask\n", label);
        run.regions.push_back(rep);
        continue;
      }
      std::vector<std::uint8_t> models{rc.default_model};
      for (auto m : rc.allowed_models)
        if (m != rc.default_model) models.push_back(m);
      tia::fit_region_tac(run.times_sorted_s.data(), rep.mean_tac_bq.data(), n_tp, fit_opt, models.data(),
                          static_cast<int>(models.size()), rep.fit);
      rep.fit.sigma_tia_ref = std::numeric_limits<double>::quiet_NaN();
      if (cfg.bootstrap && rep.fit.fit.status == tia::kStatusOk)
        rep.fit.sigma_tia_ref = tia::region_bootstrap_sigma(run.times_sorted_s.data(), rep.mean_tac_bq.data(), n_tp, fit_opt,
                                                            rep.fit, cfg.bootstrap_replicates, cfg.bootstrap_seed, label);
      if (rep.fit.fit.status == tia::kStatusOk) {
        l2r_h(label) = static_cast<int>(fits.size());
        fits.push_back(rep.fit);
      } else if (comm.is_root()) {
        std::fprintf(stderr, "voxflow tia: warning: region label %d: the %s fit of its mean curve failed (%s); its voxels are fitted one by one\n",
                     label, tia::model_name(rc.default_model), tia::status_name(rep.fit.fit.status));
      }
      run.regions.push_back(rep);
    }
    Kokkos::deep_copy(l2r, l2r_h);
    Kokkos::View<tia::RegionFit*> regs("regions", fits.size());
    auto rh = Kokkos::create_mirror_view(regs);
    for (size_t i = 0; i < fits.size(); ++i) rh(i) = fits[i];
    Kokkos::deep_copy(regs, rh);
    region_inputs.label_to_region = l2r;
    region_inputs.regions = regs;
  }
  run.timing_ms["prepare"] = ms_since(t0);

  if (comm.is_root())
    std::fprintf(stderr, "voxflow tia: %d time points, %s, %lld of %lld voxels in the mask, %s mode, %d bootstrap replicates, %d rank(s)\n",
                 n_tp, grid.describe().c_str(), run.voxels_in_mask, run.voxels_total,
                 cfg.regions_enabled ? "region" : "voxel", cfg.bootstrap ? cfg.bootstrap_replicates : 0, comm.size());

  // ---- work items: the voxels inside the mask, spread evenly over the ranks -------------------------
  // (the slabs balance voxels, not masked voxels: organs may sit in a few slabs)
  t0 = clock_type::now();
  const int width = tia::tia_item_width(n_tp);
  std::vector<double> rows(fit_voxels_h.size() * static_cast<size_t>(width));
  {
    auto ah = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), activity);
    Kokkos::View<std::int32_t*, Kokkos::HostSpace> lh("labels_h", labels.extent(0));
    if (labels.extent(0) > 0) Kokkos::deep_copy(lh, labels);
    const std::int64_t first_global = slab.z0 * grid.plane_size();
    for (size_t i = 0; i < fit_voxels_h.size(); ++i) {
      const std::int64_t v = fit_voxels_h[i];
      double* r = rows.data() + i * static_cast<size_t>(width);
      for (int k = 0; k < n_tp; ++k) r[k] = ah(v, k);
      r[n_tp + tia::kItemLabel] = lh.extent(0) ? lh(v) : -1.0;
      r[n_tp + tia::kItemGlobalVoxel] = static_cast<double>(first_global + v);
    }
  }
  activity = Kokkos::View<float**>();
  const WorkBalancePlan plan = plan_work_balance(static_cast<std::int64_t>(fit_voxels_h.size()), comm);
  Kokkos::View<double**> items("tia_items", static_cast<size_t>(plan.n_balanced), static_cast<size_t>(width));
  {
    const std::vector<double> mine = balance_forward(plan, rows, width, comm);
    rows.clear();
    rows.shrink_to_fit();
    auto ih = Kokkos::create_mirror_view(items);
    for (std::int64_t i = 0; i < plan.n_balanced; ++i)
      for (int c = 0; c < width; ++c) ih(i, c) = mine[static_cast<size_t>(i * width + c)];
    Kokkos::deep_copy(items, ih);
  }
  run.timing_ms["balance"] = ms_since(t0);

  // ---- fit (+ bootstrap), chunk by chunk -----------------------------------------------------------
  t0 = clock_type::now();
  tia::TiaKernelSettings ks;
  ks.fit = fit_opt;
  ks.bootstrap = cfg.bootstrap;
  ks.replicates = cfg.bootstrap_replicates;
  ks.seed = cfg.bootstrap_seed;
  ks.reclassify = cfg.bootstrap_reclassify;
  ks.voxel_level_r2 = cfg.voxel_level_r2;
  Kokkos::View<double**> results("tia_results", static_cast<size_t>(plan.n_balanced), tia::kTiaMapCount);
  ProgressReporter progress("tia", run.voxels_in_mask, 0, progress_on && comm.is_root());
  ChunkedRunOptions copt;
  copt.max_chunk = cfg.chunk_size_vox;
  const ChunkedRunResult res = run_chunked(
      comm, plan.n_balanced, 0, &progress, copt,
      [&](std::int64_t b, std::int64_t e) {
        tia::fit_tia_items(items, times, ks, region_inputs, b, e, results);
        Kokkos::fence();
      },
      [] {});
  run.timing_ms["fit"] = ms_since(t0);
  if (res.cancelled) {
    const int seen = static_cast<int>(comm.max(static_cast<double>(res.signal)));
    const int sig = seen > 0 ? seen : SIGINT;
    if (!comm.is_root()) throw PeerFailure(0, 130);
    throw CancelledError("tia: cancelled by " + std::string(signal_name(sig)) + " after " + std::to_string(res.done_global) +
                         " of " + std::to_string(run.voxels_in_mask) + " voxels; nothing was written");
  }

  items = Kokkos::View<double**>();
  tia::TiaMaps maps(SlabLayout{grid, slab, 0});  // allocated only now: the inputs are gone
  {
    auto rh = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), results);
    std::vector<double> back(rh.data(), rh.data() + rh.size());
    maps.scatter(fit_voxels_h, balance_backward(plan, back, tia::kTiaMapCount, comm));
  }

  // ---- outputs -------------------------------------------------------------------------------------
  run.timing_ms["total_before_save"] = ms_since(t_start);
  write_tia_outputs(maps, run, comm);
  if (comm.is_root())
    std::fprintf(stderr, "voxflow tia: done in %.2f s (%.0f voxels/s fit+bootstrap); results in %s\n",
                 ms_since(t_start) / 1000.0, run.timing_ms["fit"] > 0 ? run.voxels_in_mask / (run.timing_ms["fit"] / 1000.0) : 0.0,
                 cfg.output_dir.c_str());
  return 0;
}

}  // namespace voxflow::apps
