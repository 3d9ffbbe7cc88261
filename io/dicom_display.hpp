#pragma once
// The DICOM display pipeline of one frame (issue 5 `voxflow overlay`): DCMTK's image module
// (DicomImage from dcmimgle/dcmimage) applies the Modality LUT (Rescale Slope/Intercept or a
// Modality LUT Sequence), the VOI transformation (window or VOI LUT) and the Presentation LUT /
// MONOCHROME1 inversion of PS3.4 Annex N.2 ("Grayscale Transformations"), and converts colour
// models (RGB, YBR_*, PALETTE COLOR) to 8-bit RGB. Nothing of it is re-derived here.
#include <cstdint>
#include <optional>
#include <string>

#include "src/core/image_rgba.hpp"

namespace voxflow::io {

/// A display window on the modality values (after Rescale Slope/Intercept), DICOM's Window
/// Center (0028,1050) and Window Width (0028,1051); width >= 1.
struct DisplayWindow {
  double center = 0.0, width = 1.0;
};

/// What was displayed. `image` is opaque (alpha 255), `columns` x `rows` pixels, row 0 at the top,
/// grey (r = g = b) for monochrome input, RGB for colour.
struct DicomDisplay {
  ImageRGBA image;
  std::int64_t frames = 1;        // NumberOfFrames of the file
  bool monochrome = true;
  std::string photometric;        // PhotometricInterpretation as read
  /// the VOI transformation used (monochrome only): "--window", "file window", "file VOI LUT",
  /// "min-max"; center/width are DCMTK's current window (NaN for a VOI LUT).
  std::string window_source;
  DisplayWindow window;
};

/// Frame `frame` (0-based) of the DICOM file `path` as an 8-bit display image. Decoders for JPEG,
/// JPEG-LS and RLE are registered (io/dicom_codecs). Grey images (8, 16 or 32 bits allocated,
/// signed or unsigned, MONOCHROME1/2) get, in this order of preference:
///   `window` when given (the --window C,W override; DICOM's linear VOI function, PS3.3
///   C.11.2.1.2.1: y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, clipped),
///   else the file's first Window Center/Width, else its first VOI LUT,
///   else DCMTK's min-max window of the frame (setMinMaxWindow: minimum black, maximum white).
/// MONOCHROME1 is inverted (minimum white) by DCMTK's presentation stage. Colour images are
/// converted to RGB by DCMTK (window ignored).
/// Throws InputError naming the path for: a missing, unreadable or non-DICOM file, no pixel data,
/// a transfer syntax without a decoder, frame outside [0, NumberOfFrames), a window width < 1, or
/// an image DCMTK cannot render (its status text is given).
DicomDisplay read_dicom_display(const std::string& path, std::int64_t frame = 0,
                                const std::optional<DisplayWindow>& window = std::nullopt);

}  // namespace voxflow::io
