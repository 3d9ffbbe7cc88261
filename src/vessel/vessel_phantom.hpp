#pragma once
// A CTA-like coronary phantom with known truth (issue 11, "built-in default input and truth"),
// generated slab by slab: pure computation, no files (src/pipelines writes them).
//
// Scene (HU): epicardial fat -100 everywhere, myocardium 50 below a gently curved surface, a
// contrast-filled blood pool 350 deep inside it, and over the myocardium a curved coronary-like
// artery (lumen 350) whose radius tapers from radius_mm to 0.6 radius_mm, with a side branch
// (radius 0.55 radius_mm at its root), a 50 % area stenosis (lumen radius / sqrt 2 at its
// narrowest) filled with soft plaque (50 HU) up to the vessel's outer radius, and a calcified
// plaque (800 HU) against the wall downstream. Edges are blurred over edge_mm (logistic
// profile, partial volume), and Gaussian noise of noise_hu standard deviation is added from a
// counter-based generator keyed on (seed, global voxel index), so the image does not depend on
// the number of ranks. The world affine is oblique: a rotation of rotation_deg about an oblique
// axis, times the spacing, plus an origin; the geometry is defined in voxel space, so the image
// content does not depend on the rotation.
#include <array>
#include <cstdint>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/grid.hpp"
#include "src/vessel/centerline.hpp"
#include "src/vessel/fast_marching.hpp"

namespace voxflow::vessel {

struct VesselPhantomOptions {
  std::array<std::int64_t, 3> dims{512, 512, 256};  // voxels (issue 11 default)
  double spacing_mm = 0.4;                          // isotropic
  double radius_mm = 1.8;                           // lumen radius at the start of the artery
  double noise_hu = 20.0;                           // noise standard deviation
  double edge_mm = 0.25;                            // logistic edge width (partial volume)
  double rotation_deg = 20.0;                       // obliquity of the affine
  std::uint64_t seed = 20261203;
};

/// The phantom's geometry and truth (identical on every rank; cheap).
struct VesselPhantomTruth {
  Grid grid;                              // dims, spacing, oblique affine
  std::vector<Point3> centerline_mm;      // main artery, world mm, start to end, ~0.1 mm apart
  std::vector<Point3> centerline_vox;     // the same in voxel indices
  std::vector<double> lumen_radius_mm;    // lumen radius at each centerline point (stenosis included)
  std::vector<double> outer_radius_mm;    // vessel (plaque) outer radius at each point
  std::vector<double> arc_length_mm;      // along centerline_mm
  std::vector<Point3> branch_centerline_mm;
  std::vector<double> branch_radius_mm;
  Point3 start_mm{}, end_mm{};            // the two clicks (world mm), on the main artery
  VoxelIndex start_voxel{}, end_voxel{};  // nearest voxels of the clicks
  Point3 stenosis_mm{}, calcium_mm{};     // centre of the stenosis (on the centerline) and of the calcium
  double stenosis_area_fraction = 0.5;    // lumen area at the narrowest / healthy area
  // issue 12: where the lesions are along arc_length_mm (the stenosis: lumen factor
  // 1 - (1 - 1/sqrt 2) exp(-(s - s0)^2 / (2 sigma^2)); the calcium: a ball of calcium_radius_mm
  // centred beside the wall at calcium_arc_mm, overlapping the lumen)
  double stenosis_arc_mm = 0.0, stenosis_sigma_mm = 0.0;
  double calcium_arc_mm = 0.0, calcium_radius_mm = 0.0;
};

/// Truth of a phantom with these options. Throws InputError for dims < 16, spacing <= 0,
/// radius <= 0 or noise < 0.
VesselPhantomTruth vessel_phantom_truth(const VesselPhantomOptions& options);

/// The CTA image (HU, float32) of this rank's slab (halo planes 0), units "HU". Host loops per
/// xy-plane over the curve segments that reach it (memory: one plane of distances).
Volume3D vessel_phantom_volume(const VesselPhantomTruth& truth, const VesselPhantomOptions& options, const Slab& slab,
                               int halo = 0);

}  // namespace voxflow::vessel
