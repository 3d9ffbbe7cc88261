#pragma once
// DICOM reading through DCMTK: one multi-frame file of time-major stacks of slices, or a folder
// of single-frame files. Decoders for JPEG (baseline, lossless), JPEG-LS and RLE are registered.
#include <cstdint>
#include <string>

#include "io/image_info.hpp"
#include "src/core/distributed_volume.hpp"
#include "src/core/mpi_context.hpp"

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

/// Collective forms: every rank of comm calls them, outside any collective_check (they agree on
/// failures inside: an InputError on any rank is one line and exit 2 on every rank, no rank waits).
/// Rank 0 alone makes the plan (io/dicom_plan_broadcast.hpp) and broadcasts it: for a folder that
/// is the scan that opens and parses every file (cached per process as in the per-rank forms, so
/// read_dicom_info and read_dicom_4d of one folder cost one scan on rank 0 and none elsewhere);
/// for a multi-frame file its header. read_dicom_4d then opens, on each rank, only the files of its
/// slab planes + halo (each checked against the plan: "changed since the folder was scanned"), or
/// the one multi-frame file. Same values and errors as the per-rank forms.
ImageInfo read_dicom_info(const std::string& path, const DicomReadOptions& opt, const Comm& comm);
Volume4D read_dicom_4d(const std::string& path, const Slab& slab, int halo, const DicomReadOptions& opt,
                       const Comm& comm);

/// What this process's DICOM readers did so far, for tests and benchmarks: folder scans
/// (dicom::plan_series runs; a plan served from the per-process cache or received from rank 0
/// does not count) and DICOM files loaded (parsed) through DCMTK.
struct DicomReadCounts {
  std::int64_t folder_scans = 0;
  std::int64_t files_loaded = 0;
};
DicomReadCounts dicom_read_counts();

}  // namespace voxflow::io
