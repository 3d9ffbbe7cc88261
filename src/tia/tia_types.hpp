#pragma once
// Shared types of the TIA kernels (seeds/002 PyTIA design §6, §7; exact semantics in docs/tia_models.md):
// status, model and curve-class ids as written to the maps, the per-voxel options every kernel
// reads (plain data, copyable into a Kokkos kernel) and the per-curve result.
#include <Kokkos_Core.hpp>
#include <cstdint>

namespace voxflow::tia {

/// Most time points one curve may have (fixed-size per-voxel state inside the kernels).
constexpr int kTiaMaxTimePoints = 16;

/// status_id map values (design §6.1).
enum TiaStatus : std::uint8_t {
  kStatusOutsideMask = 0,
  kStatusOk = 1,
  kStatusInsufficientPoints = 2,  // fewer than 2 valid points
  kStatusFitFailed = 3,
  kStatusAllBelowFloor = 4,
  kStatusNonPhysical = 5,
};

/// model_id map values. 1-3: the design's models; 4-7: the exponential sums of issue 16
/// (docs/tia_models.md "Exponential sums"): monoexp A e^(-l t) from 0, bi-exponential
/// uptake-washout C (e^(-l1 t) - e^(-l2 t)), bi-exponential two-phase washout
/// A1 e^(-l1 t) + A2 e^(-l2 t), tri-exponential A1 e^(-l1 t) + A2 e^(-l2 t) - (A1 + A2) e^(-l3 t).
enum TiaModel : std::uint8_t {
  kModelNone = 0,
  kModelGamma = 1,
  kModelExponential = 2,
  kModelHybrid = 3,
  kModelMonoexp = 4,
  kModelBiexp = 5,
  kModelBiexpWashout = 6,
  kModelTriexp = 7,
};
/// Number of model ids (legend size).
constexpr int kTiaModelCount = 8;

/// curve classes (design §7.2).
enum CurveClass : std::uint8_t {
  kClassNone = 0,
  kClassFalling = 1,
  kClassRising = 2,
  kClassHump = 3,
  kClassAmbiguous = 4,
};

enum class NoiseFloorMode : std::uint8_t { Off, Absolute, Relative };
enum class FallingIntegral : std::uint8_t { Design, FittedFromZero };
enum class RisingMode : std::uint8_t { Hybrid, PeakAtLast };
/// models.selection: the design's classification-driven choice, or the lowest AIC / AICc among
/// models.candidates (docs/tia_models.md "Model selection").
enum class ModelSelection : std::uint8_t { Design, Aic, Aicc };

/// Bit of a model id in TiaFitOptions::candidates.
KOKKOS_INLINE_FUNCTION constexpr std::uint8_t model_bit(std::uint8_t model) {
  return static_cast<std::uint8_t>(1u << model);
}

/// Options of one fit (all in SI: seconds, Bq per voxel). Plain data: captured by value in kernels.
struct TiaFitOptions {
  double lambda_phys = 0.0;          // ln 2 / half-life, 1/s (> 0)
  bool enforce_lambda_phys = true;   // clearance rates >= lambda_phys
  NoiseFloorMode floor_mode = NoiseFloorMode::Relative;
  double floor_absolute_bq = 0.0;    // absolute floor already converted to Bq per voxel
  double floor_relative = 0.01;      // fraction of the curve's maximum
  double classification_epsilon = 0.02;
  bool include_t0 = true;            // hybrid trapezoid starts at (0, 0)
  RisingMode rising_mode = RisingMode::Hybrid;
  FallingIntegral falling_integral = FallingIntegral::Design;
  bool refine_gamma = false;         // bounded nonlinear refinement of the gamma fit
  ModelSelection selection = ModelSelection::Design;  // Design: candidates ignored
  std::uint8_t candidates = 0;       // model_bit() of gamma, monoexp, biexp, triexp, hybrid
};

/// Result of fitting one time-activity curve.
struct TacResult {
  double tia = 0.0;       // Bq*s (NaN unless status ok)
  double r2 = 0.0;        // NaN when undefined
  double tpeak = 0.0;     // s, NaN when not estimated
  std::uint8_t status = kStatusFitFailed;
  std::uint8_t model = kModelNone;
  std::uint8_t curve_class = kClassNone;
  int n_valid = 0;
  double prediction[kTiaMaxTimePoints] = {};  // Ahat at every sample time (Bq per voxel)
  bool valid[kTiaMaxTimePoints] = {};         // point used by the fit (above the floor)
};

}  // namespace voxflow::tia
