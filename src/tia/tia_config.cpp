// `voxflow tia` settings: the derived quantities and the names of ids (pure computation; the YAML
// reading lives with the pipeline, src/pipelines/tia_options.cpp).
#include "src/tia/tia_config.hpp"

#include <cmath>

namespace voxflow::tia {

double TiaConfig::lambda_phys() const { return std::log(2.0) / half_life_s; }

std::string TiaConfig::file_prefix() const { return prefix.empty() ? std::string() : prefix + "_"; }

TiaFitOptions TiaConfig::fit_options(double voxel_volume_ml) const {
  TiaFitOptions o;
  o.lambda_phys = lambda_phys();
  o.enforce_lambda_phys = enforce_lambda_phys;
  if (!floor_enabled) o.floor_mode = NoiseFloorMode::Off;
  else o.floor_mode = floor_mode == "absolute" ? NoiseFloorMode::Absolute : NoiseFloorMode::Relative;
  o.floor_absolute_bq = floor_absolute_bq_per_ml * voxel_volume_ml;
  o.floor_relative = floor_relative_fraction;
  o.classification_epsilon = classification_epsilon;
  o.include_t0 = include_t0;
  o.rising_mode = rising_mode;
  o.falling_integral = falling_integral;
  // with aic / aicc every candidate is a least-squares fit of the activities: the gamma is refined
  o.refine_gamma = refine || selection != ModelSelection::Design;
  o.selection = selection;
  o.candidates = 0;
  for (std::uint8_t m : candidates) o.candidates |= model_bit(m);
  return o;
}

const char* model_name(std::uint8_t model) {
  switch (model) {
    case kModelGamma: return "gamma";
    case kModelExponential: return "exp";
    case kModelHybrid: return "hybrid";
    case kModelMonoexp: return "monoexp";
    case kModelBiexp: return "biexp";
    case kModelBiexpWashout: return "biexp_washout";
    case kModelTriexp: return "triexp";
    default: return "none";
  }
}

const char* selection_name(ModelSelection s) {
  switch (s) {
    case ModelSelection::Aic: return "aic";
    case ModelSelection::Aicc: return "aicc";
    default: return "design";
  }
}

const char* class_name(std::uint8_t c) {
  switch (c) {
    case kClassFalling: return "falling";
    case kClassRising: return "rising";
    case kClassHump: return "hump";
    case kClassAmbiguous: return "ambiguous";
    default: return "none";
  }
}

const char* status_name(std::uint8_t s) {
  switch (s) {
    case kStatusOutsideMask: return "outside_mask";
    case kStatusOk: return "ok";
    case kStatusInsufficientPoints: return "insufficient_points";
    case kStatusFitFailed: return "fit_failed";
    case kStatusAllBelowFloor: return "all_below_floor";
    case kStatusNonPhysical: return "nonphysical_params";
    default: return "unknown";
  }
}

}  // namespace voxflow::tia
