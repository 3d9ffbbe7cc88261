#pragma once
// Heatmaps stored as JSON (seeds/001 "JSON Format": {"data": [[row 0], [row 1], ...]}).
#include <string>

#include "io/heatmap.hpp"

namespace voxflow::io {

/// Reads a JSON heatmap (nlohmann-json): an object whose "data" member is an array of rows, each
/// an array of numbers, or such an array of rows at the top level. Row r is image row r from the
/// top. null entries become NaN (JSON has no NaN). Returns a 2-D Heatmap (nx = columns, ny = rows).
/// Throws InputError naming the path for a missing file, malformed JSON (with the parser's
/// position), no "data", an empty map, a row that is not an array or has a different length than
/// row 0 (naming the row), or an entry that is not a number or null.
Heatmap read_heatmap_json(const std::string& path);

}  // namespace voxflow::io
