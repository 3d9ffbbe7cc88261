#pragma once
// Tangent frames along a centerline without sudden twists: rotation-minimising frames by the
// double reflection method (Wang, Juettler, Zheng & Liu 2008, "Computation of rotation minimizing
// frames", ACM Trans. Graph. 27(1):2), not Frenet frames (which flip at inflection points and
// are undefined on straight pieces).
#include <vector>

#include "src/vessel/vec3.hpp"

namespace voxflow::vessel {

/// One frame: t the unit tangent, n1 and n2 unit normals with n1 x n2 = t (right-handed).
struct Frame {
  Point3 t{}, n1{}, n2{};
};

/// Frames at the points (world mm, >= 2 distinct consecutive points). Tangents: central
/// differences (one-sided at the ends), normalised. The first n1 is the world axis least aligned
/// with t made orthogonal to it (the seed's get_perpendicular_vectors); each next n1 is the
/// double reflection of the previous one. Throws InputError for fewer than 2 points or two
/// consecutive identical points.
std::vector<Frame> rotation_minimising_frames(const std::vector<Point3>& points_mm);

}  // namespace voxflow::vessel
