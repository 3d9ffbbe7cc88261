#pragma once
// Several pictures side by side on a grid (issue 5 `voxflow overlay --montage`). No I/O here.
#include <vector>

#include "src/viz/image_rgba.hpp"

namespace voxflow::viz {

/// Columns of a near-square montage of n tiles: ceil(sqrt(n)) (9 tiles -> 3 x 3, 5 -> 3 + 2).
/// Throws InputError for n < 1.
int montage_columns(int n);

/// The tiles on a grid of `columns` columns, filled row by row from the top left, `gap` pixels of
/// `background` between tiles (not around them). Every cell is as large as the largest tile; a
/// smaller tile sits at its cell's top-left. Result size: columns * cw + (columns - 1) * gap by
/// rows * ch + (rows - 1) * gap, rows = ceil(n / columns). Tile (x, y) of tile i lands at
/// ((i % columns) * (cw + gap) + x, (i / columns) * (ch + gap) + y).
/// Throws InputError for no tiles, an empty tile, columns < 1, gap < 0, or a result beyond
/// 32767 pixels in either direction.
ImageRGBA montage(const std::vector<ImageRGBA>& tiles, int columns, int gap, RGBA background);

}  // namespace voxflow::viz
