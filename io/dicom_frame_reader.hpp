#pragma once
// Decoding single frames of a DICOM file's pixel data to float (private to io/dicom_*.cpp).
#include <cstdint>
#include <memory>

#include "io/dicom_header.hpp"

class DcmFileFormat;

namespace voxflow::io::dicom {

/// Throws InputError "<path>: transfer syntax <name> (<uid>) cannot be decoded ..." when
/// DCMTK has no decoder for the file's transfer syntax (JPEG 2000, MPEG, HTJ2K, ...).
void check_decodable(const DicomHeader& h);

/// Throws InputError naming the path unless the pixels are one grey value per voxel that voxflow
/// turns into a scalar volume: decodable, SamplesPerPixel 1, MONOCHROME1/MONOCHROME2,
/// BitsAllocated 8, 16 or 32 with 1 <= BitsStored <= BitsAllocated, integer pixel data.
void check_scalar_pixels(const DicomHeader& h);

/// Reads frames of one file on demand. Only the requested frame's bytes (or compressed
/// fragments) are read from disk: DcmElement::getUncompressedFrame, which decodes JPEG, JPEG-LS
/// and RLE through the registered codecs and swaps big-endian data to host order.
class DicomFrameReader {
 public:
  /// `file` (from load_dicom_file) must outlive the reader; `header` is parsed from it.
  /// Throws as check_scalar_pixels.
  DicomFrameReader(DcmFileFormat& file, const DicomHeader& header);
  ~DicomFrameReader();
  DicomFrameReader(const DicomFrameReader&) = delete;
  DicomFrameReader& operator=(const DicomFrameReader&) = delete;

  /// Frame f (0 <= f < NumberOfFrames) as rows*columns floats, out[x + columns * y] (x = column
  /// index), each stored value (BitsStored bits at HighBit, sign-extended when
  /// PixelRepresentation is 1) times slope plus intercept. Fastest when called with increasing f.
  /// Throws InputError naming the path when DCMTK cannot read or decode the frame.
  void read_frame(std::int64_t f, double slope, double intercept, float* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace voxflow::io::dicom
