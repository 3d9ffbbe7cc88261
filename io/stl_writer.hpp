#pragma once
// Binary STL (the format CFD meshers and 3D printers read): an 80-byte header, a uint32 triangle
// count, then per triangle a float32 normal, three float32 vertices and a uint16 attribute (0),
// little-endian (3D Systems, "StereoLithography Interface Specification", 1989).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace voxflow::io {

/// Writes the triangles (vertex indices into `vertices`, mm, counter-clockwise seen from
/// outside; the facet normal is the normalised (v1 - v0) x (v2 - v0)) atomically. Call on one
/// rank. Throws InputError for an index outside the vertices, more than 2^32 - 1 triangles or an
/// unwritable folder, InternalError on a failed write.
void write_stl_binary(const std::string& path, const std::vector<std::array<double, 3>>& vertices,
                      const std::vector<std::array<std::int64_t, 3>>& triangles, const std::string& header = "voxflow");

}  // namespace voxflow::io
