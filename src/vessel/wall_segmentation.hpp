#pragma once
// Lumen and outer wall of one cross-section (the seed's segment_boundaries_dp): edge costs, the
// closed-loop DP for the lumen, then for the outer wall nested outside it
// (r_outer >= r_lumen + min_wall at every angle), both refined to sub-sample radii, then (by
// default) refined on each ray by the blurred two-edge model (two_edge_fit.hpp).
#include <string>
#include <vector>

#include "src/vessel/edge_costs.hpp"
#include "src/vessel/polar_unwrap.hpp"

namespace voxflow::vessel {

struct WallOptions {
  EdgeCostOptions edges;
  int smoothness = 1;          // |dr| per angle step, radial samples (--smoothness)
  double min_wall_mm = 0.0;    // r_outer >= r_lumen + min_wall_mm (--min-wall-mm)
  double min_edge_hu = 40.0;   // mean lumen contrast D_I below this: "no edge found" (--min-edge-hu)
  /// Where the mean image over [r_lumen + 0.4, r_lumen + 0.6] mm (averaged over the rays within
  /// +-30 degrees) is below fat_hu, the lumen borders fat directly (no visible wall or plaque
  /// there): the outer wall is held at r_lumen + min_wall (--fat-hu). -35 HU: on the phantom
  /// (edge blur 0.25 mm) a healthy edge gives about -44 HU there, the 50 % soft-plaque stenosis
  /// about -22 HU.
  double fat_hu = -35.0;
  /// After the DP, fit the blurred two-edge model on each ray (src/vessel/two_edge_fit.hpp) for
  /// sub-voxel, unbiased radii (--edge-model two-edge|dp).
  bool two_edge_fit = true;
  /// Edge blur of the model (logistic scale, mm); 0: the section's own estimate (--edge-blur-mm;
  /// the pipeline passes the vessel's median of the previous pass when this is 0).
  double edge_blur_mm = 0.0;
};

struct SectionWalls {
  bool ok = false;
  std::string warning;                       // why not ok (empty when ok)
  std::vector<double> lumen_mm, outer_mm;    // radius per angle (mm); empty when not ok
  double lumen_contrast_hu = 0.0;            // mean D_I along the lumen boundary
  double calcified_area_mm2 = 0.0;           // polar samples above calcium_hu between the boundaries
  int dp_starts = 0;                         // closed DPs run (both boundaries)
  double edge_blur_mm = 0.0;                 // the section's edge blur estimate (NaN: none, or not
                                             // estimated: fit off or options.edge_blur_mm given)
  bool two_edge_fitted = false;              // the radii are the two-edge model's
};

/// Segments one polar image. A section is not ok when the centre sample is outside the volume,
/// when more than a quarter of the samples inside max radius are outside it, when no closed
/// boundary fits, or when the mean lumen contrast is below min_edge_hu. Throws InputError for
/// bad options (smoothness < 0, min_wall_mm < 0).
SectionWalls segment_walls(const PolarImage& polar, const WallOptions& options);

}  // namespace voxflow::vessel
