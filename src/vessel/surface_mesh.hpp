#pragma once
// A closed, watertight triangle surface of a tube from its cross-section contours (what VMTK
// needs vmtksurfacecapper and vmtkflowextensions for): consecutive contours joined by two
// triangles per angle step, a fan cap at each end around the contour's centre, every triangle
// ordered so its normal points out of the tube, and a CellEntityIds value per triangle (VMTK's
// convention: 1 wall, 2 inlet cap, 3 outlet cap) for CFD boundary conditions.
#include <array>
#include <cstdint>
#include <vector>

#include "src/vessel/rotation_minimising_frames.hpp"

namespace voxflow::vessel {

struct TriangleMesh {
  std::vector<Point3> vertices;                    // world mm
  std::vector<std::array<std::int64_t, 3>> triangles;  // counter-clockwise seen from outside
  std::vector<int> entity_ids;                     // per triangle: 1 wall, 2 inlet, 3 outlet
};

constexpr int kWallEntity = 1, kInletEntity = 2, kOutletEntity = 3;

/// Tube through the contours: section k has centre centres[k], frame frames[k] (n1 x n2 = t
/// along the centerline) and radius radius_mm[k][a] at angle 2 pi a / angles. flow_extension
/// (>= 0, diameters): straight cylinders of that many equivalent diameters of the end contour
/// along the end tangents (-t at the inlet, +t at the outlet), with rings every
/// extension_step_mm, the end contour's shape kept. Every edge is shared by exactly two
/// triangles. Throws InputError for fewer than 2 sections, fewer than 3 angles, or contours of
/// different lengths.
TriangleMesh tube_surface(const std::vector<Point3>& centres, const std::vector<Frame>& frames,
                          const std::vector<std::vector<double>>& radius_mm, double flow_extension = 0.0,
                          double extension_step_mm = 0.5);

/// Signed volume (mm^3) enclosed by a closed mesh (divergence theorem, sum of det(v0,v1,v2)/6):
/// > 0 when the normals point outwards.
double signed_volume(const TriangleMesh& mesh);

/// Number of edges not shared by exactly two triangles (0 for a watertight mesh) and of edges
/// used twice in the same direction (0 for a consistently oriented one).
void mesh_edge_check(const TriangleMesh& mesh, std::int64_t* open_or_nonmanifold, std::int64_t* misoriented);

}  // namespace voxflow::vessel
