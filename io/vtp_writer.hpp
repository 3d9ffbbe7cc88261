#pragma once
// VTK XML PolyData (.vtp) of a polyline with point arrays: readable by VTK, ParaView and VMTK.
#include <array>
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

}  // namespace voxflow::io
