#pragma once
// The `voxflow tia` settings (seeds/002 PyTIA design §11, keys listed in docs/tia.md) as a plain
// struct; src/pipelines/tia_options.hpp reads them from YAML and writes them back.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/tia/tia_types.hpp"

namespace voxflow::tia {

enum class MaskMode { Otsu, File, None };

/// The fixed class and model policy of one label in region mode (design §8).
struct RegionClass {
  std::uint8_t curve_class = kClassAmbiguous;  // falling / rising / hump / ambiguous
  std::vector<std::uint8_t> allowed_models;    // TiaModel ids, tried in order after default_model
  std::uint8_t default_model = kModelHybrid;
};

/// Every setting of a run, with the design's defaults. Times are in seconds after load()
/// (time.unit applied), paths are absolute or relative to the working directory (the YAML
/// file's own relative paths are resolved against its folder).
struct TiaConfig {
  // inputs
  std::vector<std::string> images;
  std::vector<double> times_s;
  std::string time_unit = "seconds";  // as given (times_s already converted)
  // physics
  double half_life_s = 0.0;           // required, > 0
  bool enforce_lambda_phys = true;
  // mask
  MaskMode mask_mode = MaskMode::Otsu;
  std::string mask_path;
  double mask_min_fraction_of_max = 0.02;
  // denoise
  bool denoise = true;
  double denoise_sigma_mm = 2.0;
  // noise floor
  bool floor_enabled = true;
  std::string floor_mode = "relative";  // relative | absolute
  double floor_absolute_bq_per_ml = 0.0;
  double floor_relative_fraction = 0.01;
  // models
  std::string model_mode = "auto";
  RisingMode rising_mode = RisingMode::Hybrid;
  bool include_t0 = true;
  double classification_epsilon = 0.02;
  bool refine = false;
  FallingIntegral falling_integral = FallingIntegral::Design;
  ModelSelection selection = ModelSelection::Design;  // models.selection: design | aic | aicc
  std::vector<std::uint8_t> candidates{kModelGamma, kModelMonoexp, kModelBiexp, kModelTriexp,
                                       kModelHybrid};  // models.candidates (ignored by design)
  // regions
  bool regions_enabled = false;
  std::string label_map_path;
  bool voxel_level_r2 = false;
  std::map<int, RegionClass> region_classes;  // label -> policy
  // bootstrap
  bool bootstrap = true;
  int bootstrap_replicates = 50;
  std::uint64_t bootstrap_seed = 0;
  bool bootstrap_reclassify = true;
  // performance / io
  std::int64_t chunk_size_vox = 500000;
  std::string output_dir;
  std::string prefix;
  bool write_tpeak = true;

  /// ln 2 / half-life, 1/s
  double lambda_phys() const;
  /// The kernel options (floor_absolute converted with the voxel volume in ml).
  TiaFitOptions fit_options(double voxel_volume_ml) const;
  /// "<prefix>_" or "" when no prefix
  std::string file_prefix() const;
};

/// Names used in the configuration and the summary legends.
const char* model_name(std::uint8_t model);  // "none", "gamma", "exp", "hybrid", "monoexp", "biexp",
                                             // "biexp_washout", "triexp"
const char* selection_name(ModelSelection s);  // "design", "aic", "aicc"
const char* class_name(std::uint8_t curve_class);  // "none", "falling", "rising", "hump", "ambiguous"
const char* status_name(std::uint8_t status);      // "outside_mask", "ok", ...

}  // namespace voxflow::tia
