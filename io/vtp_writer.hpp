#pragma once
// VTK XML PolyData (.vtp) of a polyline with point arrays: readable by VTK, ParaView and VMTK.
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace voxflow::io {

/// Writes one polyline through `points` (mm) with one Float64 point array per entry of
/// `arrays` (name, one value per point) as ASCII VTK XML PolyData (VTKFile type="PolyData",
/// version 0.1), atomically (temporary name, then rename). Call on one rank.
/// Throws InputError when an array's length differs from the points' or the folder is not
/// writable, InternalError on a failed write.
void write_polyline_vtp(const std::string& path, const std::vector<std::array<double, 3>>& points,
                        const std::vector<std::pair<std::string, std::vector<double>>>& arrays);

/// Writes a triangle surface (vertices mm, triangles as vertex indices) as ASCII VTK XML PolyData
/// Polys, with Float64 point arrays (one value per vertex) and Int32 cell arrays (one value per
/// triangle, e.g. CellEntityIds), atomically. Call on one rank. Throws InputError for an array of
/// the wrong length or an index outside the vertices, as write_polyline_vtp otherwise.
void write_surface_vtp(const std::string& path, const std::vector<std::array<double, 3>>& vertices,
                       const std::vector<std::array<std::int64_t, 3>>& triangles,
                       const std::vector<std::pair<std::string, std::vector<double>>>& point_arrays,
                       const std::vector<std::pair<std::string, std::vector<int>>>& cell_arrays);

/// Writes several polylines (lines[l] = vertex indices into `points`; a closed contour repeats
/// its first index at the end) with Float64 point arrays and Int32 cell arrays (one value per
/// line), atomically. Call on one rank. Throws InputError as write_surface_vtp.
void write_polylines_vtp(const std::string& path, const std::vector<std::array<double, 3>>& points,
                         const std::vector<std::vector<std::int64_t>>& lines,
                         const std::vector<std::pair<std::string, std::vector<double>>>& point_arrays,
                         const std::vector<std::pair<std::string, std::vector<int>>>& cell_arrays);

}  // namespace voxflow::io
