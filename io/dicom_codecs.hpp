#pragma once
// DCMTK decoder registration (private to io/dicom_*.cpp).

namespace voxflow::io::dicom {

/// Registers DCMTK's decoders once per process (thread-safe, function-static): JPEG baseline,
/// extended and lossless (dcmjpeg), JPEG-LS (dcmjpls) and RLE (dcmdata); and keeps DCMTK's own
/// log quiet below FATAL, since voxflow reports every failure as one exception line.
void ensure_dicom_codecs();

}  // namespace voxflow::io::dicom
