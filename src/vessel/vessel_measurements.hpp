#pragma once
// Per-section and per-vessel measurements of the lumen and outer wall contours (the clinical
// plaque read-out: minimal lumen area, area stenosis, plaque burden, remodeling index; e.g.
// Mintz et al. 2001, "ACC clinical expert consensus document on IVUS", JACC 37:1478, whose
// definitions CTA plaque tools follow).
//
//   area            polygon of the contour in its plane: A = 1/2 sum r_a r_{a+1} sin(2 pi / angles)
//   diameters       minimal and maximal Feret (caliper) diameter of the lumen polygon
//   lesion          the section most narrowed against the healthy trend: a least-squares line of
//                   lumen area against arc length, refitted 3 times without the sections more
//                   than 20 % below it ("healthy" = the sections left); at arc s*. (Not simply the
//                   minimal lumen area: a tapering vessel's distal end can be smaller than a
//                   50 % stenosis upstream; the MLA is reported as well.)
//   branch / leak   a section whose lumen area is more than 20 % above that line: its lumen
//                   contour takes in a side branch's ostium (or leaks); flagged, and, like the
//                   narrowed sections, left out of the line and of the reference windows
//   reference       proximal / distal reference = mean area over the healthy sections with arc
//                   in [s* - d - w, s* - d] / [s* + d, s* + d + w] (d = reference_distance_mm,
//                   w = reference_length_mm); the reference area at arc s is the line through
//                   both (extrapolated beyond them, for a tapering vessel), so at the lesion it is
//                   the mean of the proximal and distal reference areas; one side missing: the
//                   other side's mean everywhere
//   area stenosis   (1 - A_lumen / A_ref,lumen) x 100 %
//   plaque burden   (A_vessel - A_lumen) / A_vessel x 100 %
//   remodeling      A_vessel / A_ref,vessel
//   volumes         trapezoid rule over arc length of (A_vessel - A_lumen) and the calcified area
#include <string>
#include <vector>

namespace voxflow::vessel {

struct MeasurementOptions {
  double reference_distance_mm = 5.0;
  double reference_length_mm = 5.0;
};

struct SectionMeasurement {
  bool ok = false;
  double arc_length_mm = 0.0;
  double lumen_area_mm2 = 0.0, vessel_area_mm2 = 0.0;
  double lumen_min_diameter_mm = 0.0, lumen_max_diameter_mm = 0.0;
  double area_stenosis_pct = 0.0, plaque_burden_pct = 0.0, remodeling_index = 0.0;
  double calcified_area_mm2 = 0.0;
  bool branch_flag = false;  // lumen area > 1.2 x the healthy trend: a side branch or a leak
};

struct VesselMeasurement {
  int sections = 0, sections_ok = 0;
  double min_lumen_area_mm2 = 0.0, min_lumen_area_arc_mm = 0.0;
  double max_area_stenosis_pct = 0.0, max_plaque_burden_pct = 0.0;
  double lesion_arc_mm = 0.0, lesion_lumen_area_mm2 = 0.0;                 // the most narrowed section
  double lesion_area_stenosis_pct = 0.0, lesion_plaque_burden_pct = 0.0;
  double reference_lumen_area_mm2 = 0.0, reference_vessel_area_mm2 = 0.0;  // at the lesion
  double remodeling_index = 0.0;                                            // at the lesion
  double plaque_volume_mm3 = 0.0, calcified_volume_mm3 = 0.0;
  int branch_sections = 0;  // sections with branch_flag
  bool has_reference = false;
};

/// Area of a star-shaped contour r(theta_a), theta_a = 2 pi a / n (mm^2).
double polar_contour_area(const std::vector<double>& r_mm);
/// Minimal and maximal Feret diameters (mm) of the polygon r(theta_a) (180 caliper directions for
/// the minimum; all vertex pairs for the maximum).
void polar_feret_diameters(const std::vector<double>& r_mm, double* d_min, double* d_max);
/// Area centroid (u, v) of the polygon r(theta_a) in its plane (mm).
void polar_centroid(const std::vector<double>& r_mm, double* u, double* v);

/// Measures every section (arc_length_mm[k], lumen/outer radii per angle, calcified area; ok[k]
/// false: a NaN row) and the vessel. Throws InputError when the arrays' lengths differ.
std::vector<SectionMeasurement> measure_sections(const std::vector<double>& arc_length_mm,
                                                 const std::vector<std::vector<double>>& lumen_mm,
                                                 const std::vector<std::vector<double>>& outer_mm,
                                                 const std::vector<double>& calcified_area_mm2,
                                                 const std::vector<bool>& ok, const MeasurementOptions& options,
                                                 VesselMeasurement* vessel);

}  // namespace voxflow::vessel
