#pragma once
// voxflow vessel, part 2 (issue 12): from part 1's centerline and the distributed CTA to the
// lumen and outer wall contours (polar dynamic programming), the refined centerline, the
// measurements, closed surfaces for CFD and the pictures. Called by run_vessel after the
// centerline stage; joins the kernels of src/vessel, the writers of io/ and the figures of src/viz.
#include <string>
#include <utility>
#include <vector>

#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"
#include "src/vessel/centerline.hpp"
#include "src/vessel/rotation_minimising_frames.hpp"
#include "src/vessel/vessel_measurements.hpp"
#include "src/vessel/wall_segmentation.hpp"

namespace voxflow::pipelines {

struct VesselWallOptions {
  bool enabled = true;               // --no-walls: part 1 only
  double step_mm = 0.5;              // cross-sections every step_mm of arc (the seed's 0.5 mm)
  double section_size_mm = 16.0;     // MPR pictures: side of the square cross-section
  double section_spacing_mm = 0.1;   // MPR pixel size and CPR row spacing
  int angles = 72;                   // polar unwrap: rays (5 degrees)
  int radii = 61;                    // polar unwrap: samples per ray, from 0 to max_radius_mm
  double max_radius_mm = 6.0;
  vessel::WallOptions walls;         // calcium_hu 600, wall_hu 50, fat_hu -35, smoothness 1, min wall 0, min edge 40 HU
  vessel::MeasurementOptions measure;
  double smoothing_mm = 1.0;         // refined centerline: smoothing spline length
  int refine_passes = 1;             // the seed's phase 4, done once
  double flow_extensions = 0.0;      // diameters; 0: none
  bool pictures = true;
};

struct SectionWarning {
  int section = 0;
  double arc_length_mm = 0.0;
  std::string text;
};

struct VesselWallsResult {
  vessel::Centerline centerline;                  // refined; radius = lumen equivalent radius sqrt(A / pi)
  std::vector<vessel::Frame> frames;              // one per centerline sample (section)
  std::vector<std::vector<double>> lumen_mm, outer_mm;  // radius per angle; empty for a failed section
  std::vector<bool> ok;
  std::vector<vessel::SectionMeasurement> sections;
  vessel::VesselMeasurement vessel;
  std::vector<SectionWarning> warnings;           // one per failed section of the last pass
  std::vector<std::vector<float>> cpr_rows;       // per section: the line along n1, u from -max_radius to +max_radius
  int angles = 0;
  double edge_blur_mm = 0.0;  // the two-edge model's edge blur (logistic scale, mm) of the last pass
  long long dp_starts = 0;
  double t_sections = 0.0, t_refine = 0.0, t_dp_cpu = 0.0, dp_ms_per_section = 0.0;  // s, s, s (all ranks), ms
  double t_mesh = 0.0, t_pictures = 0.0, t_write = 0.0;
  // MPR images of the panel sections (rank 0; filled by run_vessel_walls when pictures are on)
  std::vector<int> panel_sections;
  std::vector<std::vector<float>> panel_images;
  int panel_size = 0;
};

/// Runs steps 1-6 of issue 12 on `line` (world mm, from part 1) over the image `img` (this
/// rank's slab, HU): sections every step_mm, rotation-minimising frames, polar unwrap, edge
/// costs, closed-loop DP for the lumen and the outer wall, the refined centerline through the
/// lumen centroids (refine_passes times, then the sections again on it), the measurements.
/// The sections are split into contiguous shares over the ranks; each rank fetches the xy-planes
/// its sections reach and the results are gathered on every rank (MPI_Allgatherv), so every rank
/// returns the same result, identical for any number of ranks. Collective.
/// Throws InputError (the same on every rank) when fewer than 2 sections can be segmented, or
/// for bad options; a failed section otherwise is a warning.
VesselWallsResult run_vessel_walls(const vessel::Centerline& line, const Volume3D& img, const VesselWallOptions& options,
                                   const Comm& comm);

/// Writes, on rank 0, in `dir`: lumen_contours.csv/.vtp, outer_wall_contours.csv/.vtp,
/// lumen.stl/.vtp, outer_wall.stl/.vtp (CellEntityIds 1 wall, 2 inlet, 3 outlet),
/// measurements.csv and, when options.pictures, vessel_cpr.png, vessel_sections.png,
/// vessel_areas.png. Fills the timings t_mesh, t_pictures, t_write. Collective (errors on rank 0
/// reach every rank).
void write_vessel_walls(const std::string& dir, VesselWallsResult& result, const VesselWallOptions& options,
                        const Comm& comm);

/// The summary.yaml block of part 2 ("walls:", per-vessel figures, warnings, stage timings).
std::string vessel_walls_yaml(const VesselWallsResult& result, const VesselWallOptions& options);

}  // namespace voxflow::pipelines
