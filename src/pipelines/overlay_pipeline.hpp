#pragma once
// `voxflow overlay` as a library call: a heatmap on a DICOM or NIfTI image, as a PNG (seeds/001,
// the Rust dl-heatmap tool). A single-picture command: rank 0 does the work, the other ranks only
// wait for its verdict (collective_check), so none hangs and none writes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/dicom_display.hpp"
#include "src/core/mpi_context.hpp"
#include "src/viz/normalization.hpp"
#include "src/viz/overlay.hpp"
#include "src/viz/volume_slice.hpp"

namespace voxflow::pipelines {

/// --montage: N evenly spaced slices/frames (count > 0) or an explicit list.
struct MontageSpec {
  int count = 0;
  std::vector<std::int64_t> list;
};

/// Everything `voxflow overlay` needs (docs/overlay.md): the image (or the synthetic demo), the
/// heatmap, the PNG to write, the colour map / normalisation / opacity / threshold (style), a fixed
/// range, slice or frame, display window, montage, colour bar and its units.
struct OverlayOptions {
  std::string input, heatmap, output, units;
  bool demo = false, colorbar = false, nearest = false;
  viz::OverlayStyle style;
  viz::Normalization normalization = viz::Normalization::MinMax;
  std::optional<viz::ValueRange> fixed_range;
  std::int64_t frame = 0;
  std::optional<std::int64_t> slice;
  viz::SliceAxis axis = viz::SliceAxis::Axial;
  std::optional<io::DisplayWindow> window;
  std::optional<MontageSpec> montage;
};

/// Collective over comm; rank 0 reads the image and the heatmap, draws and writes `output` (PNG,
/// atomically) and prints one line. Throws InputError (every rank) for a missing or unreadable
/// input, a heatmap of another size than the slice, a slice or frame out of range.
void run_overlay(const OverlayOptions& options, const Comm& comm);

}  // namespace voxflow::pipelines
