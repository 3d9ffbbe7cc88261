#pragma once
// Centerline refinement (the seed's phase 4, refine_centerline): the lumen centroids of the
// cross-sections replace the first path (which cuts corners on curves), smoothed with the
// smoothing spline of centerline.hpp and resampled at the same arc step.
#include <vector>

#include "src/vessel/centerline.hpp"
#include "src/vessel/rotation_minimising_frames.hpp"

namespace voxflow::vessel {

/// Lumen centroid (world mm) of each valid section: the area centroid of its lumen contour
/// r(theta) placed in the section's plane. Sections with ok[k] false are skipped. Then
/// smooth_and_resample(centroids, options). Throws InputError when fewer than 2 sections are
/// valid.
Centerline refine_centerline(const std::vector<Point3>& centres, const std::vector<Frame>& frames,
                             const std::vector<std::vector<double>>& lumen_mm, const std::vector<bool>& ok,
                             const CenterlineOptions& options);

/// The centerline resampled every step_mm of arc length by linear interpolation (the last
/// sample is the end); radius_mm interpolated the same way. Throws InputError for step <= 0 or an
/// empty line.
Centerline resample_at_step(const Centerline& line, double step_mm);

}  // namespace voxflow::vessel
