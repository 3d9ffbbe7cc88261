// `voxflow tia` configuration: strict YAML reading (io/config_file), overrides, effective-config
// echo (seeds/002 PyTIA design §11; keys in docs/tia.md).
#include "src/pipelines/tia_options.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "io/config_file.hpp"
#include "src/core/error.hpp"

namespace voxflow::tia {
namespace {

std::uint8_t parse_model(const std::string& s, const io::ConfigSection& sec, const std::string& key) {
  if (s == "gamma") return kModelGamma;
  if (s == "exp" || s == "exponential") return kModelExponential;
  if (s == "hybrid") return kModelHybrid;
  if (s == "monoexp") return kModelMonoexp;
  if (s == "biexp") return kModelBiexp;
  if (s == "biexp_washout") return kModelBiexpWashout;
  if (s == "triexp") return kModelTriexp;
  sec.fail(key, "must be one of gamma, exp, hybrid, monoexp, biexp, biexp_washout, triexp (got '" + s + "')");
}

std::uint8_t parse_class(const std::string& s, const io::ConfigSection& sec, const std::string& key) {
  if (s == "falling") return kClassFalling;
  if (s == "rising") return kClassRising;
  if (s == "hump") return kClassHump;
  if (s == "ambiguous") return kClassAmbiguous;
  sec.fail(key, "must be one of falling, rising, hump, ambiguous (got '" + s + "')");
}

double time_unit_seconds(const std::string& unit, const io::ConfigSection& sec) {
  if (unit == "seconds" || unit == "s") return 1.0;
  if (unit == "minutes" || unit == "min") return 60.0;
  if (unit == "hours" || unit == "h") return 3600.0;
  if (unit == "days" || unit == "d") return 86400.0;
  sec.fail("time.unit", "must be seconds, minutes, hours or days (got '" + unit + "')");
}

}  // namespace

TiaConfig load_tia_config(const std::string& path, const std::vector<std::string>& overrides) {
  const std::string source = io::config_source(path);
  const YAML::Node root = io::load_config_tree(path, overrides, "tia",
                                               {"inputs.images", "mask.path", "regions.label_map_path", "io.output_dir"});
  TiaConfig c;
  io::ConfigSection top(root, "", source, "docs/tia.md");

  io::ConfigSection inputs = top.sub("inputs");
  inputs.read_string_list("images", c.images);
  inputs.read_number_list("times", c.times_s);
  inputs.finish();

  io::ConfigSection time = top.sub("time");
  time.read_string("unit", c.time_unit);
  time.finish();
  const double unit_s = time_unit_seconds(c.time_unit, time);
  for (double& t : c.times_s) t *= unit_s;

  io::ConfigSection physics = top.sub("physics");
  bool have_half_life = physics.has("half_life_seconds");
  physics.read_double("half_life_seconds", c.half_life_s);
  physics.read_bool("enforce_lambda_phys", c.enforce_lambda_phys);
  physics.finish();

  io::ConfigSection mask = top.sub("mask");
  std::string mask_mode = "otsu";
  const bool mask_mode_given = mask.has("mode");
  mask.read_string("mode", mask_mode);
  mask.read_string("path", c.mask_path);
  mask.read_double("min_fraction_of_max", c.mask_min_fraction_of_max);
  mask.finish();
  if (mask_mode == "otsu") c.mask_mode = MaskMode::Otsu;
  else if (mask_mode == "file") c.mask_mode = MaskMode::File;
  else if (mask_mode == "none") c.mask_mode = MaskMode::None;
  else mask.fail("mask.mode", "must be otsu, file or none (got '" + mask_mode + "')");
  if (c.mask_mode == MaskMode::File && c.mask_path.empty()) mask.fail("mask.path", "is required when mask.mode is file");
  if (!mask_mode_given && !c.mask_path.empty())
    c.mask_mode = MaskMode::File;  // a path alone means "use this mask"
  if (c.mask_min_fraction_of_max < 0 || c.mask_min_fraction_of_max > 1)
    mask.fail("mask.min_fraction_of_max", "must be in [0, 1]");

  io::ConfigSection denoise = top.sub("denoise");
  denoise.read_bool("enabled", c.denoise);
  denoise.read_double("sigma_mm", c.denoise_sigma_mm);
  denoise.finish();
  if (c.denoise && !(c.denoise_sigma_mm > 0)) denoise.fail("denoise.sigma_mm", "must be > 0 when denoise is enabled");

  io::ConfigSection floor = top.sub("noise_floor");
  floor.read_bool("enabled", c.floor_enabled);
  floor.read_string("mode", c.floor_mode);
  floor.read_double("absolute_bq_per_ml", c.floor_absolute_bq_per_ml);
  floor.read_double("relative_fraction", c.floor_relative_fraction);
  floor.finish();
  if (c.floor_mode != "relative" && c.floor_mode != "absolute")
    floor.fail("noise_floor.mode", "must be relative or absolute (got '" + c.floor_mode + "')");
  if (c.floor_absolute_bq_per_ml < 0) floor.fail("noise_floor.absolute_bq_per_ml", "must be >= 0");
  if (c.floor_relative_fraction < 0 || c.floor_relative_fraction > 1)
    floor.fail("noise_floor.relative_fraction", "must be in [0, 1]");

  io::ConfigSection models = top.sub("models");
  models.read_string("mode", c.model_mode);
  std::string rising = "hybrid", falling = "design";
  models.read_string("rising_mode", rising);
  models.read_bool("include_t0", c.include_t0);
  models.read_double("classification_epsilon", c.classification_epsilon);
  models.read_bool("refine", c.refine);
  models.read_string("falling_integral", falling);
  std::string selection = "design";
  models.read_string("selection", selection);
  std::vector<std::string> candidates;
  const bool candidates_given = models.has("candidates");
  models.read_string_list("candidates", candidates);
  models.finish();
  if (selection == "design") c.selection = ModelSelection::Design;
  else if (selection == "aic") c.selection = ModelSelection::Aic;
  else if (selection == "aicc") c.selection = ModelSelection::Aicc;
  else models.fail("models.selection", "must be design, aic or aicc (got '" + selection + "')");
  if (candidates_given) {
    if (candidates.empty()) models.fail("models.candidates", "must name at least one model");
    c.candidates.clear();
    for (const auto& m : candidates) {
      std::uint8_t id = kModelNone;
      if (m == "gamma") id = kModelGamma;
      else if (m == "monoexp") id = kModelMonoexp;
      else if (m == "biexp") id = kModelBiexp;
      else if (m == "triexp") id = kModelTriexp;
      else if (m == "hybrid") id = kModelHybrid;
      else models.fail("models.candidates", "must be a subset of gamma, monoexp, biexp, triexp, hybrid (got '" + m + "')");
      if (std::find(c.candidates.begin(), c.candidates.end(), id) != c.candidates.end())
        models.fail("models.candidates", "names '" + m + "' twice");
      c.candidates.push_back(id);
    }
  }
  if (c.model_mode != "auto") models.fail("models.mode", "must be auto (region mode is set under regions)");
  if (rising == "hybrid") c.rising_mode = RisingMode::Hybrid;
  else if (rising == "peak_at_last") c.rising_mode = RisingMode::PeakAtLast;
  else models.fail("models.rising_mode", "must be hybrid or peak_at_last (got '" + rising + "')");
  if (falling == "design") c.falling_integral = FallingIntegral::Design;
  else if (falling == "fitted_from_zero") c.falling_integral = FallingIntegral::FittedFromZero;
  else models.fail("models.falling_integral", "must be design or fitted_from_zero (got '" + falling + "')");
  if (c.classification_epsilon < 0) models.fail("models.classification_epsilon", "must be >= 0");

  io::ConfigSection regions = top.sub("regions");
  regions.read_bool("enabled", c.regions_enabled);
  regions.read_string("label_map_path", c.label_map_path);
  regions.read_bool("voxel_level_r2", c.voxel_level_r2);
  io::ConfigSection classes = regions.sub("classes");
  {
    YAML::Node cn = regions.get("classes");
    if (cn && cn.IsMap()) {
      for (const auto& kv : cn) {
        const std::string label = kv.first.Scalar();
        int lab = 0;
        try {
          size_t used = 0;
          lab = std::stoi(label, &used);
          if (used != label.size() || lab <= 0) throw std::invalid_argument(label);
        } catch (const std::exception&) {
          classes.fail(classes.key(label), "is not a positive integer label");
        }
        io::ConfigSection one = classes.sub(label);
        RegionClass rc;
        std::string cls = "ambiguous", def;
        one.read_string("class", cls);
        rc.curve_class = parse_class(cls, one, one.key("class"));
        std::vector<std::string> allowed;
        one.read_string_list("allowed_models", allowed);
        one.read_string("default_model", def);
        one.finish();
        for (const auto& m : allowed) rc.allowed_models.push_back(parse_model(m, one, one.key("allowed_models")));
        if (def.empty()) {
          if (rc.allowed_models.empty()) {
            rc.default_model = rc.curve_class == kClassHump      ? kModelGamma
                               : rc.curve_class == kClassFalling ? kModelExponential
                                                                 : kModelHybrid;
          } else {
            rc.default_model = rc.allowed_models.front();
          }
        } else {
          rc.default_model = parse_model(def, one, one.key("default_model"));
        }
        if (!rc.allowed_models.empty() &&
            std::find(rc.allowed_models.begin(), rc.allowed_models.end(), rc.default_model) == rc.allowed_models.end())
          one.fail(one.key("default_model"), "must be one of the region's allowed_models");
        c.region_classes[lab] = rc;
      }
    } else if (cn && !cn.IsNull()) {
      classes.fail("regions.classes", "must be a mapping from label to {class, allowed_models, default_model}");
    }
  }
  regions.finish();
  if (c.regions_enabled && c.label_map_path.empty())
    regions.fail("regions.label_map_path", "is required when regions.enabled is true");
  if (c.regions_enabled && c.region_classes.empty())
    regions.fail("regions.classes", "must define at least one label when regions.enabled is true");

  io::ConfigSection boot = top.sub("bootstrap");
  boot.read_bool("enabled", c.bootstrap);
  boot.read_int("replicates", c.bootstrap_replicates);
  long long seed = 0;
  boot.read_int64("seed", seed);
  boot.read_bool("reclassify", c.bootstrap_reclassify);
  boot.finish();
  if (seed < 0) boot.fail("bootstrap.seed", "must be >= 0");
  c.bootstrap_seed = static_cast<std::uint64_t>(seed);
  if (c.bootstrap_replicates < 0 || c.bootstrap_replicates > 100000)
    boot.fail("bootstrap.replicates", "must be in [0, 100000]");
  if (c.bootstrap_replicates == 0) c.bootstrap = false;

  io::ConfigSection perf = top.sub("performance");
  {
    long long chunk = c.chunk_size_vox;
    perf.read_int64("chunk_size_vox", chunk);
    c.chunk_size_vox = chunk;
  }
  perf.finish();
  if (c.chunk_size_vox < 1) perf.fail("performance.chunk_size_vox", "must be >= 1");

  io::ConfigSection out = top.sub("io");
  out.read_string("output_dir", c.output_dir);
  out.read_string("prefix", c.prefix);
  out.read_bool("write_tpeak", c.write_tpeak);
  out.finish();
  if (c.prefix.find('/') != std::string::npos) out.fail("io.prefix", "must not contain '/'");

  top.finish();

  // ---- cross-checks ------------------------------------------------------------------------
  if (!have_half_life) throw InputError(source + ": physics.half_life_seconds is required (e.g. 574300.8 for Lu-177)");
  if (!(c.half_life_s > 0)) throw InputError(source + ": physics.half_life_seconds must be > 0 (got " + std::to_string(c.half_life_s) + ")");
  if (c.images.empty()) throw InputError(source + ": inputs.images is required (a list of NIfTI time points)");
  if (c.times_s.size() != c.images.size())
    throw InputError(source + ": inputs.times has " + std::to_string(c.times_s.size()) + " values but inputs.images has " +
                     std::to_string(c.images.size()) + " images");
  if (c.images.size() < 2) throw InputError(source + ": at least 2 time points are needed (got " + std::to_string(c.images.size()) + ")");
  if (static_cast<int>(c.images.size()) > kTiaMaxTimePoints)
    throw InputError(source + ": at most " + std::to_string(kTiaMaxTimePoints) + " time points are supported (got " +
                     std::to_string(c.images.size()) + ")");
  for (double t : c.times_s)
    if (!(t > 0) || !std::isfinite(t)) throw InputError(source + ": inputs.times must all be > 0 (got " + std::to_string(t) + " s)");
  std::vector<double> sorted = c.times_s;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i] == sorted[i - 1]) throw InputError(source + ": inputs.times has the time " + std::to_string(sorted[i]) + " s twice");
  return c;
}

std::string tia_config_to_yaml(const TiaConfig& c) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "inputs" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "images" << YAML::Value << YAML::Flow << c.images;
  e << YAML::Key << "times" << YAML::Value << YAML::Flow << c.times_s;
  e << YAML::EndMap;
  e << YAML::Key << "time" << YAML::Value << YAML::BeginMap << YAML::Key << "unit" << YAML::Value << "seconds" << YAML::EndMap;
  e << YAML::Key << "physics" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "half_life_seconds" << YAML::Value << c.half_life_s;
  e << YAML::Key << "enforce_lambda_phys" << YAML::Value << c.enforce_lambda_phys << YAML::EndMap;
  e << YAML::Key << "mask" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "mode" << YAML::Value
    << (c.mask_mode == MaskMode::Otsu ? "otsu" : c.mask_mode == MaskMode::File ? "file" : "none");
  e << YAML::Key << "path" << YAML::Value;
  if (c.mask_path.empty()) e << YAML::Null;
  else e << c.mask_path;
  e << YAML::Key << "min_fraction_of_max" << YAML::Value << c.mask_min_fraction_of_max << YAML::EndMap;
  e << YAML::Key << "denoise" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << c.denoise;
  e << YAML::Key << "sigma_mm" << YAML::Value << c.denoise_sigma_mm << YAML::EndMap;
  e << YAML::Key << "noise_floor" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << c.floor_enabled;
  e << YAML::Key << "mode" << YAML::Value << c.floor_mode;
  e << YAML::Key << "absolute_bq_per_ml" << YAML::Value << c.floor_absolute_bq_per_ml;
  e << YAML::Key << "relative_fraction" << YAML::Value << c.floor_relative_fraction << YAML::EndMap;
  e << YAML::Key << "models" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "mode" << YAML::Value << c.model_mode;
  e << YAML::Key << "rising_mode" << YAML::Value << (c.rising_mode == RisingMode::Hybrid ? "hybrid" : "peak_at_last");
  e << YAML::Key << "include_t0" << YAML::Value << c.include_t0;
  e << YAML::Key << "classification_epsilon" << YAML::Value << c.classification_epsilon;
  e << YAML::Key << "refine" << YAML::Value << c.refine;
  e << YAML::Key << "falling_integral" << YAML::Value
    << (c.falling_integral == FallingIntegral::Design ? "design" : "fitted_from_zero");
  e << YAML::Key << "selection" << YAML::Value << selection_name(c.selection);
  e << YAML::Key << "candidates" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (auto m : c.candidates) e << model_name(m);
  e << YAML::EndSeq << YAML::EndMap;
  e << YAML::Key << "regions" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << c.regions_enabled;
  e << YAML::Key << "label_map_path" << YAML::Value;
  if (c.label_map_path.empty()) e << YAML::Null;
  else e << c.label_map_path;
  e << YAML::Key << "voxel_level_r2" << YAML::Value << c.voxel_level_r2;
  e << YAML::Key << "classes" << YAML::Value << YAML::BeginMap;
  for (const auto& [label, rc] : c.region_classes) {
    e << YAML::Key << std::to_string(label) << YAML::Value << YAML::Flow << YAML::BeginMap;
    e << YAML::Key << "class" << YAML::Value << class_name(rc.curve_class);
    e << YAML::Key << "allowed_models" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (auto m : rc.allowed_models) e << model_name(m);
    e << YAML::EndSeq;
    e << YAML::Key << "default_model" << YAML::Value << model_name(rc.default_model) << YAML::EndMap;
  }
  e << YAML::EndMap << YAML::EndMap;
  e << YAML::Key << "bootstrap" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << c.bootstrap;
  e << YAML::Key << "replicates" << YAML::Value << c.bootstrap_replicates;
  e << YAML::Key << "seed" << YAML::Value << static_cast<unsigned long long>(c.bootstrap_seed);
  e << YAML::Key << "reclassify" << YAML::Value << c.bootstrap_reclassify << YAML::EndMap;
  e << YAML::Key << "performance" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "chunk_size_vox" << YAML::Value << static_cast<long long>(c.chunk_size_vox) << YAML::EndMap;
  e << YAML::Key << "io" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "output_dir" << YAML::Value << c.output_dir;
  e << YAML::Key << "prefix" << YAML::Value << c.prefix;
  e << YAML::Key << "write_tpeak" << YAML::Value << c.write_tpeak << YAML::EndMap;
  e << YAML::EndMap;
  return e.c_str();
}

}  // namespace voxflow::tia
