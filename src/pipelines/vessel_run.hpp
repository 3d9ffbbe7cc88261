#pragma once
// voxflow vessel (issue 11, part 1): from a CTA and two clicks to a centerline in world mm.
// Joins the readers and writers of io/ with the kernels of src/filters and src/vessel.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/mpi_context.hpp"
#include "src/pipelines/vessel_walls_run.hpp"
#include "src/vessel/fast_marching.hpp"
#include "src/vessel/speed.hpp"

namespace voxflow::pipelines {

/// Whether the vesselness and arrival-time maps are written: automatic = when the working grid
/// has at most kAutoMapsVoxels voxels (a 512 x 512 x 256 CTA has 4 times more: writing two
/// gzipped float maps of it costs more than the whole centerline).
enum class MapsChoice { automatic, on, off };
constexpr std::int64_t kAutoMapsVoxels = 16777216;

struct VesselOptions {
  std::string input;        // NIfTI file or DICOM series folder (3D)
  std::string output_dir;   // created if missing
  std::string mask;         // optional NIfTI on the input grid: the front moves only where != 0
  std::string command_line;  // recorded in manifest.json
  std::array<double, 3> start{0, 0, 0}, end{0, 0, 0};
  bool coords_voxel = false;  // start/end are voxel indices of the input (else world RAS mm through the affine)
  /// Isotropic resampling (trilinear) before the filters: < 0 automatic (off for an isotropic
  /// input, the seed's 0.5 mm otherwise), 0 off, > 0 this spacing in mm. The maps are written on
  /// the grid the pipeline worked on (the input grid unless resampled).
  double spacing_mm = -1.0;
  std::vector<double> scales_vox{1.0, 2.0, 3.0};  // Frangi sigmas in voxels (seed: 1, 2, 3)
  std::vector<double> scales_mm;                  // if given: sigmas in mm (divided by the mean spacing)
  double alpha = 0.5, beta = 0.5, c = 15.0;       // seed values; c in image units (HU)
  bool c_auto = false;                            // c = half the max Hessian norm per scale
  bool dark_vessels = false;                      // default: bright (contrast-filled) lumen
  vessel::SpeedOptions speed;                     // default: 1e-3 + (V / V_max)^2
  bool second_order = false;
  double stop_margin = 0.1;         // march on to T_end (1 + margin) after the end click
  double sample_spacing_mm = 0.5;   // centerline samples
  double smoothing_mm = 1.0;        // centerline smoothing length
  MapsChoice maps = MapsChoice::automatic;  // vesselness.nii.gz, arrival_time.nii.gz
  /// Frangi only in the blocks of block_voxels^3 the front reaches (filters/frangi_blocks.hpp),
  /// else on the whole volume first; c_auto always takes the whole volume. The centerline and
  /// the arrival times are the same either way.
  bool lazy_vesselness = true;
  int block_voxels = 32;
  int reference_half_width = 8;  // voxels around each click for V_ref (vessel/speed.hpp)
  VesselWallOptions walls;          // part 2 (issue 12): lumen, outer wall, measurements, meshes
};

struct VesselSummary {
  int ranks = 1;
  vessel::VoxelIndex start_voxel{}, end_voxel{};
  double end_time = 0.0;
  std::int64_t fmm_rounds = 0, voxels_marched = 0, voxels_reached = 0;
  std::int64_t path_points = 0, planes_fetched = 0;
  std::size_t samples = 0;
  double length_mm = 0.0;
  bool anisotropic = false;  // the input's spacing differs by > 1 % between axes
  double resampled_to_mm = 0.0;  // 0: worked on the input grid
  bool lazy_vesselness = false;
  double v_reference = 0.0;            // V_ref of the power-form speed
  std::int64_t blocks_computed = 0;    // lazy: vesselness blocks computed, all ranks
  std::int64_t voxels_computed = 0;    // vesselness voxels computed, all ranks
  bool maps_written = false;
  bool huge_pages = false;  // malloc asked for transparent huge pages (io/huge_pages.hpp)
  // part 2 (issue 12)
  std::size_t sections = 0, sections_segmented = 0;
  double min_lumen_area_mm2 = 0.0, area_stenosis_pct = 0.0, t_walls = 0.0;  // stenosis at the lesion
  double t_read = 0, t_frangi = 0, t_speed = 0, t_fmm = 0, t_backtrack = 0, t_write = 0, t_total = 0;  // s
};

/// Runs the pipeline and writes, in options.output_dir: centerline.csv
/// (x_mm,y_mm,z_mm,arc_length_mm,radius_mm), centerline.vtp (the same arrays), centerline_mip.png
/// (a maximum-intensity projection along z of the planes the centerline spans, with the
/// centerline drawn), vesselness.nii.gz and arrival_time.nii.gz on the input grid (NaN where the
/// front did not arrive, or where a lazy vesselness block was not computed; see MapsChoice), and
/// summary.yaml (timings per stage, voxels marched, rounds, ranks, blocks computed).
/// Everything is validated before the first file is written: a non-3D input, a click outside the
/// volume, identical clicks, a start where the speed is zero (e.g. outside the mask) and an end
/// the front cannot reach are InputErrors (exit 2) on every rank, with nothing written.
/// With options.walls.enabled (default), part 2 (run_vessel_walls, write_vessel_walls) runs after
/// the centerline: centerline.csv/.vtp then hold the refined centerline (radius = the lumen's
/// equivalent radius), and the contours, surfaces, measurements.csv and pictures are written too;
/// fewer than 2 segmentable cross-sections is an InputError before any file.
/// Collective over comm.
VesselSummary run_vessel(const VesselOptions& options, const Comm& comm);

}  // namespace voxflow::pipelines
