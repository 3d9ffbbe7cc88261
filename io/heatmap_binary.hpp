#pragma once
// Heatmaps in the original tool's binary format (seeds/001 "Binary: f32 values with 8-byte
// header (rows, cols as u32)").
#include <string>

#include "io/heatmap.hpp"

namespace voxflow::io {

/// Reads a binary heatmap: little-endian uint32 rows, uint32 cols, then rows * cols little-endian
/// IEEE float32 values in row-major order (row 0 = top image row). Returns a 2-D Heatmap.
/// Throws InputError naming the path for a missing file, a file shorter than the 8-byte header,
/// rows or cols of 0, or a file size other than 8 + 4 * rows * cols bytes (both sizes named).
Heatmap read_heatmap_binary(const std::string& path);

}  // namespace voxflow::io
