#pragma once
// The five colormaps of the heatmap overlay design (seeds/001: red, hot, jet, viridis, plasma),
// identical to matplotlib's. No I/O here.
#include <array>
#include <string>
#include <vector>

#include "src/viz/image_rgba.hpp"

namespace voxflow::viz {

enum class Colormap { Red, Hot, Jet, Viridis, Plasma };

/// Colormap named `name` ("red", "hot", "jet", "viridis", "plasma"; case-insensitive).
/// Throws InputError naming the unknown value and listing the valid names.
Colormap parse_colormap(const std::string& name);

/// Lower-case name of `cmap`, as parse_colormap accepts it.
std::string colormap_name(Colormap cmap);

/// All valid names, in the enum's order.
const std::vector<std::string>& colormap_names();

/// Opaque colour of `cmap` at x, x clamped to [0, 1]; NaN gives transparent black {0,0,0,0}
/// (matplotlib's default "bad" colour).
/// Like matplotlib's Colormap.__call__, every map is a table of 256 entries and x selects entry
/// i = min(floor(256 x), 255). Entries:
///   viridis, plasma: matplotlib's `_viridis_data` / `_plasma_data` (_cm_listed.py), copied into
///     colormap_tables.cpp;
///   hot, jet: matplotlib's segment data `_hot_data` / `_jet_data` (_cm.py) evaluated at i / 255
///     with piecewise-linear interpolation (LinearSegmentedColormap, N = 256, gamma = 1);
///   red: black-to-red ramp, entry i = (i / 255, 0, 0).
/// Channels are rounded to the nearest 8-bit value (matplotlib's bytes=True truncates instead:
/// results agree within 1/255).
RGBA colormap_lookup(Colormap cmap, double x);

/// The 256-entry table behind colormap_lookup (entry i is what x in [i / 256, (i + 1) / 256)
/// selects; every entry has alpha 255), for loops that look up many values.
const std::array<RGBA, 256>& colormap_table(Colormap cmap);

}  // namespace voxflow::viz
