// The TIA phantom on disk: the generator (src/tia/tia_phantom.hpp) through the same writers as
// every command (NIfTI maps, atomic text files).
#include "src/pipelines/tia_phantom_writer.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "io/atomic_file.hpp"
#include "io/nifti_writer.hpp"
#include "src/core/error.hpp"
#include "src/core/slab.hpp"

namespace fs = std::filesystem;

namespace voxflow::pipelines {

using namespace voxflow::tia;

namespace {

constexpr double kHour = 3600.0;

/// Shortest decimal that reads back as the same double.
std::string num(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char b[32];
    std::snprintf(b, sizeof b, "%.0f", v);
    return b;
  }
  for (int p = 6; p <= 17; ++p) {
    char b[40];
    std::snprintf(b, sizeof b, "%.*g", p, v);
    if (std::strtod(b, nullptr) == v) return b;
  }
  return std::to_string(v);
}

/// phantom_organs.csv: one row per label.
std::string organs_csv(const std::vector<PhantomOrgan>& organs,
                       const std::vector<long long>& counts, double v_ml) {
  std::ostringstream c;
  c << "label,name,class,model,expected_class,kinetics,K_bq_per_ml,alpha,beta_per_s,a_peak_bq_per_ml,t_peak_s,"
       "lambda_per_s,samples_bq_per_ml,tia_density_bq_s_per_ml,tia_voxel_bq_s,voxels,centre_mm,semi_axes_mm,"
       "biexp_c_bq_per_ml,lambda_uptake_per_s\n";
  const char* kin[] = {"none", "gamma_variate", "linear_uptake_then_exponential", "piecewise_linear_then_physical",
                       "biexponential_uptake_washout"};
  for (const auto& o : organs) {
    c << int(o.label) << "," << o.name << "," << o.curve_class << "," << o.model << ","
      << (o.kinetics == PhantomKinetics::None ? std::string("none") : expected_curve_class(o.samples)) << ","
      << kin[static_cast<int>(o.kinetics)] << ",";
    const bool g = o.kinetics == PhantomKinetics::Gamma, none = o.kinetics == PhantomKinetics::None;
    c << (g ? num(o.K) : "") << "," << (g ? num(o.alpha) : "") << "," << (g ? num(o.beta) : "") << ","
      << (none ? "" : num(o.a_peak)) << "," << (none ? "" : num(o.t_peak)) << ","
      << (g || none ? "" : num(o.lambda)) << ",";
    for (size_t i = 0; i < o.samples.size(); ++i) c << (i ? ";" : "") << num(o.samples[i]);
    c << "," << num(o.tia_density) << "," << num(o.tia_density * v_ml) << "," << counts[o.label] << ",";
    if (!none) c << num(o.cx) << ";" << num(o.cy) << ";" << num(o.cz) << "," << num(o.ax) << ";" << num(o.ay) << ";" << num(o.az);
    else c << ",";
    const bool b = o.kinetics == PhantomKinetics::Biexp;
    c << "," << (b ? num(o.c_biexp) : "") << "," << (b ? num(o.lambda_uptake) : "");
    c << "\n";
  }
  return c.str();
}

/// The sections shared by both configurations; mask_file empty: the spec default (Otsu).
void emit_common(YAML::Emitter& y, const TiaPhantomSpec& spec, const std::string& mask_file) {
  y << YAML::Key << "inputs" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "images" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (size_t t = 0; t < spec.times_h.size(); ++t) y << ("activity_tp" + std::to_string(t + 1) + ".nii.gz");
  y << YAML::EndSeq;
  y << YAML::Key << "times" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (double h : spec.times_h) y << num(h * kHour);
  y << YAML::EndSeq << YAML::EndMap;
  y << YAML::Key << "time" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "unit" << YAML::Value
    << "seconds" << YAML::EndMap;
  y << YAML::Key << "physics" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "half_life_seconds"
    << YAML::Value << num(spec.half_life_s) << YAML::Key << "enforce_lambda_phys" << YAML::Value << true
    << YAML::EndMap;
  if (mask_file.empty())
    y << YAML::Key << "mask" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "mode" << YAML::Value
      << "otsu" << YAML::Key << "min_fraction_of_max" << YAML::Value << "0.02" << YAML::EndMap;
  else
    y << YAML::Key << "mask" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "mode" << YAML::Value
      << "file" << YAML::Key << "path" << YAML::Value << mask_file << YAML::Key << "min_fraction_of_max"
      << YAML::Value << "0.02" << YAML::EndMap;
  y << YAML::Key << "denoise" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "enabled" << YAML::Value
    << true << YAML::Key << "sigma_mm" << YAML::Value << "2.0" << YAML::EndMap;
  y << YAML::Key << "noise_floor" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "enabled"
    << YAML::Value << true << YAML::Key << "mode" << YAML::Value << "relative" << YAML::Key << "absolute_bq_per_ml"
    << YAML::Value << "0.0" << YAML::Key << "relative_fraction" << YAML::Value << "0.01" << YAML::EndMap;
  y << YAML::Key << "models" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "mode" << YAML::Value
    << "auto" << YAML::Key << "rising_mode" << YAML::Value << "hybrid" << YAML::Key << "include_t0" << YAML::Value
    << true << YAML::Key << "classification_epsilon" << YAML::Value << "0.02" << YAML::Key << "refine" << YAML::Value
    << false << YAML::Key << "falling_integral" << YAML::Value << "design" << YAML::EndMap;
}

void emit_tail(YAML::Emitter& y, const std::string& out_dir) {
  y << YAML::Key << "bootstrap" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "enabled"
    << YAML::Value << true << YAML::Key << "replicates" << YAML::Value << 50 << YAML::Key << "seed" << YAML::Value << 0
    << YAML::Key << "reclassify" << YAML::Value << true << YAML::EndMap;
  y << YAML::Key << "performance" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "chunk_size_vox"
    << YAML::Value << 500000 << YAML::EndMap;
  y << YAML::Key << "io" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "output_dir" << YAML::Value
    << out_dir << YAML::Key << "prefix" << YAML::Value << YAML::DoubleQuoted << "" << YAML::Key << "write_tpeak"
    << YAML::Value << true << YAML::EndMap;
}

std::string voxel_yaml(const TiaPhantomSpec& spec) {
  YAML::Emitter y;
  y << YAML::BeginMap;
  // whole-body maps: the mask is the body of the label map. The design's default, Otsu of the
  // summed image, puts this phantom's low-uptake body with the air (DESIGN.md, known
  // weaknesses); `--mask otsu` on the command line shows it.
  emit_common(y, spec, "labels.nii.gz");
  y << YAML::Key << "regions" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "enabled" << YAML::Value
    << false << YAML::Key << "voxel_level_r2" << YAML::Value << false << YAML::EndMap;
  emit_tail(y, "tia_out");
  y << YAML::EndMap;
  return "# voxflow TIA phantom: voxel-mode configuration (every setting written out; docs/tia.md)\n"
         "# mask = the body of labels.nii.gz (label != 0): Otsu (mask.mode: otsu) would drop the body\n"
         "# run: voxflow tia --config tia.yaml   (inputs and output_dir are relative to this file)\n" +
         std::string(y.c_str()) + "\n";
}

std::string regions_yaml(const TiaPhantomSpec& spec, const std::vector<PhantomOrgan>& organs) {
  YAML::Emitter y;
  y << YAML::BeginMap;
  // the mask is the body of the label map: Otsu of the summed image puts the low-uptake body
  // background with the air (DESIGN.md, known weaknesses), which would leave region 1 empty
  emit_common(y, spec, "labels.nii.gz");
  y << YAML::Key << "regions" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "enabled" << YAML::Value << true;
  y << YAML::Key << "label_map_path" << YAML::Value << "labels.nii.gz";
  y << YAML::Key << "voxel_level_r2" << YAML::Value << false;
  y << YAML::Key << "classes" << YAML::Value << YAML::BeginMap;
  for (const auto& o : organs) {
    if (o.kinetics == PhantomKinetics::None) continue;
    y << YAML::Key << std::to_string(o.label) << YAML::Value << YAML::Flow << YAML::BeginMap;
    y << YAML::Key << "class" << YAML::Value << o.curve_class;
    y << YAML::Key << "allowed_models" << YAML::Value << YAML::Flow << YAML::BeginSeq << o.model;
    if (o.model != "hybrid") y << "hybrid";
    y << YAML::EndSeq << YAML::Key << "default_model" << YAML::Value << o.model << YAML::EndMap;
    y << YAML::Comment(o.name);
  }
  y << YAML::EndMap << YAML::EndMap;
  emit_tail(y, "tia_regions_out");
  y << YAML::EndMap;
  return "# voxflow TIA phantom: region-mode configuration, one class and model per organ label;\n"
         "# mask = the body of labels.nii.gz (label != 0)\n"
         "# run: voxflow tia --config tia_regions.yaml\n" +
         std::string(y.c_str()) + "\n";
}

}  // namespace

void write_tia_phantom(const tia::TiaPhantomSpec& spec, const std::string& dir, const Comm& comm) {
  spec.validate();
  const fs::path out = dir;
  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out)) throw InputError("cannot create " + out.string() + ": " + ec.message());
  });
  const std::vector<PhantomOrgan> organs = tia_phantom_organs(spec);
  const Grid grid = tia_phantom_grid(spec);
  const Slab slab = make_slab(spec.nz, comm.rank(), comm.size());
  const double v_ml = spec.spacing_mm * spec.spacing_mm * spec.spacing_mm / 1000.0;
  const std::int64_t P = grid.plane_size(), nv = slab.nz * P, off = slab.z0 * P;

  // labels of the slab, by voxel centre
  std::vector<std::uint8_t> lab(static_cast<size_t>(nv));
  Kokkos::parallel_for(
      "tia_phantom_labels", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, nv), [&](std::int64_t v) {
        const std::int64_t i = v % spec.nx, j = (v / spec.nx) % spec.ny, k = v / P;
        lab[static_cast<size_t>(v)] = tia_phantom_label(spec, organs, i, j, slab.to_global(k));
      });
  Kokkos::fence();
  std::vector<long long> counts(kPhantomLabels, 0);
  for (std::uint8_t l : lab) ++counts[l];
  for (auto& c : counts) c = comm.sum(c);

  const io::NiftiReference ref{grid, ""};
  Volume3D vol(grid, slab, 0, "tia_phantom");
  auto h = Kokkos::create_mirror_view(vol.data);
  auto write = [&](const std::string& name, io::MapType type, const std::string& descr, const std::string& units) {
    Kokkos::deep_copy(vol.data, h);
    vol.units = units;
    io::write_nifti_map((out / name).string(), vol, ref, type, comm, descr, units);
  };

  for (std::int64_t v = 0; v < nv; ++v) h(v) = static_cast<float>(lab[static_cast<size_t>(v)]);
  write("labels.nii.gz", io::MapType::UInt8,
        "0 air 1 body 2 liver 3 spleen 4 kidL 5 kidR 6 tumHump 7 tumRising 8 tumSmall", "");
  for (std::int64_t v = 0; v < nv; ++v)
    h(v) = static_cast<float>(organs[lab[static_cast<size_t>(v)]].tia_density * v_ml);
  write("tia_truth.nii.gz", io::MapType::Float32, "analytic TIA (Bq*s per voxel) of the noiseless curve", "Bq*s");

  for (size_t t = 0; t < spec.times_h.size(); ++t) {
    const int tp = static_cast<int>(t);
    const double noise = spec.noise;
    const std::uint64_t seed = spec.seed;
    Kokkos::parallel_for(
        "tia_phantom_activity", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, nv), [&](std::int64_t v) {
          const double a = organs[lab[static_cast<size_t>(v)]].samples[t];
          const double z = noise > 0 && a != 0 ? tia_phantom_gauss(seed, off + v, tp) : 0.0;
          h(v) = static_cast<float>(a * (1.0 + noise * z));
        });
    Kokkos::fence();
    char descr[80];
    std::snprintf(descr, sizeof descr, "Lu-177 activity density at %g h (Bq/ml)", spec.times_h[t]);
    write("activity_tp" + std::to_string(t + 1) + ".nii.gz", io::MapType::Float32, descr, "Bq/ml");
  }

  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    io::write_text_atomic((out / "phantom_organs.csv").string(), organs_csv(organs, counts, v_ml));
    io::write_text_atomic((out / "tia.yaml").string(), voxel_yaml(spec));
    io::write_text_atomic((out / "tia_regions.yaml").string(), regions_yaml(spec, organs));
  });
}

}  // namespace voxflow::pipelines
