#pragma once
// Heatmaps stored as CSV (seeds/001 "CSV Format": one image row per line, comma-separated numbers).
#include <string>

#include "io/heatmap.hpp"

namespace voxflow::io {

/// Reads a CSV heatmap: line r (blank lines and lines starting with '#' skipped) is image row r
/// from the top; fields separated by ',' (spaces around a field are allowed); a field is a number
/// as strtod reads it ("nan", "inf" included) or empty / "NaN" for no value (NaN). A trailing
/// comma at the end of a line is ignored. Returns a 2-D Heatmap (nx = columns, ny = rows).
/// Throws InputError naming the path and line for a missing file, no data, a field that is not a
/// number, or a ragged file (a line with a different number of fields than the first).
Heatmap read_heatmap_csv(const std::string& path);

}  // namespace voxflow::io
