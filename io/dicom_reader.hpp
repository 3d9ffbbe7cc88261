#pragma once
// DICOM reading through DCMTK: one multi-frame file of time-major stacks of slices, or a folder
// of single-frame files. Decoders for JPEG (baseline, lossless), JPEG-LS and RLE are registered.
#include <string>

#include "io/image_info.hpp"
#include "src/core/distributed_volume.hpp"

namespace voxflow::io {

struct DicomReadOptions {
  /// slices per time point for a multi-frame file whose tags do not tell it (0 = default 9)
  int slices = 0;
};

/// Header of a DICOM file (multi-frame: frame f = t * n_slices + slice) or a folder of
/// single-frame files (sorted by position along the slice normal, grouped in time by
/// TemporalPositionIdentifier, TriggerTime or AcquisitionTime). Spacing from PixelSpacing and
/// SpacingBetweenSlices / SliceThickness (or position differences); affine from
/// ImageOrientationPatient / ImagePositionPatient, LPS converted to RAS; frame times from
/// the timing tags when present. Throws InputError (one line, naming the path) for a missing,
/// empty, truncated or non-DICOM file, a transfer syntax DCMTK cannot decode (naming it), a
/// frame count not divisible by the number of slices, or inconsistent series.
ImageInfo read_dicom_info(const std::string& path, const DicomReadOptions& opt = {});

/// The rank's slab (plus halo planes) as float32 with Rescale Slope/Intercept applied, as a
/// [x, y, z, t] volume. Decodes only the frames of its planes. Throws as read_dicom_info.
Volume4D read_dicom_4d(const std::string& path, const Slab& slab, int halo, const DicomReadOptions& opt = {});

}  // namespace voxflow::io
