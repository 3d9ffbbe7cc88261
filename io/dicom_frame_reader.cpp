#include "io/dicom_frame_reader.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "src/core/error.hpp"

namespace voxflow::io::dicom {

void check_decodable(const DicomHeader& h) {
  if (!h.decodable)
    throw InputError(h.path + ": transfer syntax " + h.transfer_syntax_name + " (" + h.transfer_syntax_uid +
                     ") cannot be decoded (supported: uncompressed, JPEG baseline/extended/lossless, JPEG-LS, RLE)");
}

void check_scalar_pixels(const DicomHeader& h) {
  check_decodable(h);
  if (h.has_float_pixel_data && !h.has_pixel_data)
    throw InputError(h.path + ": float/double pixel data is not supported (integer Pixel Data only)");
  if (h.samples_per_pixel != 1 || (h.photometric != "MONOCHROME2" && h.photometric != "MONOCHROME1"))
    throw InputError(h.path + ": photometric interpretation " + (h.photometric.empty() ? "(none)" : h.photometric) +
                     " with " + std::to_string(h.samples_per_pixel) +
                     " samples per pixel is not supported (grey-scale MONOCHROME1/MONOCHROME2 only)");
  if (h.bits_allocated != 8 && h.bits_allocated != 16 && h.bits_allocated != 32)
    throw InputError(h.path + ": BitsAllocated " + std::to_string(h.bits_allocated) +
                     " is not supported (8, 16 or 32)");
  if (h.bits_stored < 1 || h.bits_stored > h.bits_allocated || h.high_bit < h.bits_stored - 1 ||
      h.high_bit >= h.bits_allocated)
    throw InputError(h.path + ": inconsistent BitsStored " + std::to_string(h.bits_stored) + " / HighBit " +
                     std::to_string(h.high_bit) + " for BitsAllocated " + std::to_string(h.bits_allocated));
}

struct DicomFrameReader::Impl {
  DcmFileFormat* file = nullptr;
  DicomHeader header;
  DcmElement* pixel_data = nullptr;
  DcmFileCache cache;
  Uint32 frame_size = 0;
  std::vector<std::uint8_t> buffer;
  std::int64_t last_frame = -2;  // frame decoded last, and the fragment where the next one starts
  Uint32 next_fragment = 0;

  void fail(std::int64_t f, const OFCondition& c) const {
    throw InputError(header.path + ": cannot read frame " + std::to_string(f) + " of the pixel data (DCMTK: " +
                     c.text() + ")");
  }

  /// Decodes frame f into `buffer` (host byte order). For compressed data whose start fragment
  /// DCMTK cannot find (several fragments per frame, no offset table), decodes the frames before
  /// f in order, from the last one decoded (or frame 0), since only decoding tells where a
  /// frame's fragments end.
  void decode(std::int64_t f) {
    DcmDataset* ds = file->getDataset();
    if (!header.encapsulated) {
      // Native pixel data: the frame's bytes exactly as in the file (DCMTK would swap by the VR's
      // word size, which is wrong for 32-bit samples in OW or 16-bit samples in OB), then
      // swapped here by BitsAllocated.
      const E_ByteOrder file_order = header.big_endian ? EBO_BigEndian : EBO_LittleEndian;
      const OFCondition c = pixel_data->getPartialValue(buffer.data(), static_cast<Uint32>(f) * frame_size, frame_size,
                                                        &cache, file_order);
      if (c.bad()) fail(f, c);
      if (file_order != gLocalByteOrder && header.bits_allocated > 8) {
        const std::size_t w = static_cast<std::size_t>(header.bits_allocated / 8);
        for (std::size_t b = 0; b + w <= frame_size; b += w) std::reverse(&buffer[b], &buffer[b] + w);
      }
      return;
    }
    OFString color_model;
    Uint32 start = (last_frame == f - 1) ? next_fragment : 0;
    OFCondition c = pixel_data->getUncompressedFrame(ds, static_cast<Uint32>(f), start, buffer.data(),
                                                     static_cast<Uint32>(buffer.size()), color_model, &cache);
    if (c.bad() && f > 0) {
      // walk on from the last decoded frame (or from frame 0), carrying the start fragment
      const bool resume = last_frame >= 0 && last_frame < f;
      start = resume ? next_fragment : 0;
      c = EC_Normal;
      for (std::int64_t g = resume ? last_frame + 1 : 0; g <= f && c.good(); ++g)
        c = pixel_data->getUncompressedFrame(ds, static_cast<Uint32>(g), start, buffer.data(),
                                             static_cast<Uint32>(buffer.size()), color_model, &cache);
    }
    if (c.bad()) {
      last_frame = -2;
      fail(f, c);
    }
    last_frame = f;
    next_fragment = start;
  }
};

DicomFrameReader::DicomFrameReader(DcmFileFormat& file, const DicomHeader& header) : impl_(std::make_unique<Impl>()) {
  check_scalar_pixels(header);
  impl_->file = &file;
  impl_->header = header;
  DcmDataset* ds = file.getDataset();
  if (ds->findAndGetElement(DCM_PixelData, impl_->pixel_data).bad() || impl_->pixel_data == nullptr)
    throw InputError(header.path + ": no Pixel Data element");
  const OFCondition c = impl_->pixel_data->getUncompressedFrameSize(ds, impl_->frame_size);
  if (c.bad()) throw InputError(header.path + ": cannot size a frame of the pixel data (DCMTK: " + c.text() + ")");
  const std::uint64_t expected = static_cast<std::uint64_t>(header.rows) * header.columns * (header.bits_allocated / 8);
  if (impl_->frame_size < expected)
    throw InputError(header.path + ": frame of " + std::to_string(impl_->frame_size) + " bytes, expected " +
                     std::to_string(expected));
  if (!header.encapsulated) {
    const std::uint64_t need = expected * static_cast<std::uint64_t>(header.number_of_frames);
    if (impl_->pixel_data->getLength() < need)
      throw InputError(header.path + ": Pixel Data holds " + std::to_string(impl_->pixel_data->getLength()) +
                       " bytes, " + std::to_string(header.number_of_frames) + " frames need " + std::to_string(need));
  }
  impl_->buffer.assign(impl_->frame_size + (impl_->frame_size & 1u), 0);
}

DicomFrameReader::~DicomFrameReader() = default;

namespace {
template <class Raw>
void convert(const std::uint8_t* bytes, std::int64_t n, const DicomHeader& h, double slope, double intercept,
             float* out) {
  const int shift = h.high_bit + 1 - h.bits_stored;
  const int bits = h.bits_stored;
  const std::uint64_t mask = bits >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << bits) - 1);
  const bool is_signed = h.pixel_representation == 1;
  const std::uint64_t sign_bit = std::uint64_t{1} << (bits - 1);
  for (std::int64_t v = 0; v < n; ++v) {
    Raw r;
    std::memcpy(&r, bytes + v * sizeof(Raw), sizeof(Raw));
    const std::uint64_t u = (static_cast<std::uint64_t>(r) >> shift) & mask;
    std::int64_t value = static_cast<std::int64_t>(u);
    if (is_signed && (u & sign_bit)) value -= static_cast<std::int64_t>(std::uint64_t{1} << bits);
    out[v] = static_cast<float>(static_cast<double>(value) * slope + intercept);
  }
}
}  // namespace

void DicomFrameReader::read_frame(std::int64_t f, double slope, double intercept, float* out) {
  const DicomHeader& h = impl_->header;
  if (f < 0 || f >= h.number_of_frames)
    throw InternalError(h.path + ": frame " + std::to_string(f) + " requested, file has " +
                        std::to_string(h.number_of_frames));
  impl_->decode(f);
  const std::int64_t n = h.rows * h.columns;
  const std::uint8_t* b = impl_->buffer.data();
  switch (h.bits_allocated) {
    case 8: convert<std::uint8_t>(b, n, h, slope, intercept, out); break;
    case 16: convert<std::uint16_t>(b, n, h, slope, intercept, out); break;
    default: convert<std::uint32_t>(b, n, h, slope, intercept, out); break;
  }
}

}  // namespace voxflow::io::dicom
