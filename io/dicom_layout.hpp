#pragma once
// Where each (z, t) plane of a DICOM input lies: a frame of one multi-frame file or a file of a
// folder (private to io/dicom_*.cpp).
#include <cstdint>
#include <string>
#include <vector>

#include "io/dicom_header.hpp"
#include "io/dicom_reader.hpp"
#include "io/image_info.hpp"

namespace voxflow::io::dicom {

struct DicomLayout {
  ImageInfo info;                  // grid (dims, nt, spacing, affine RAS), frame times, ...
  bool multiframe = true;          // one file: plane (z, t) is frame t * nz + z
  DicomHeader header;              // the multi-frame file's, or the first file's of the series
  std::vector<std::string> files;  // series only: files[t * nz + z]
  std::int64_t nz() const { return info.grid.dims[2]; }
  std::int64_t nt() const { return info.grid.nt; }
};

/// Layout of one file (header from parse_dicom_header). Slices per time point: NumberOfSlices
/// (0054,0081), else the number of distinct ImagePositionPatient in the Per-frame Functional
/// Groups, else NumberOfFrames / NumberOfTemporalPositions when it divides, else opt.slices
/// (0 = 9). A single-frame file is 1 slice x 1 time point. Spacing: PixelSpacing (row spacing
/// = y, column spacing = x), z from SpacingBetweenSlices, else SliceThickness, else the
/// per-frame position difference, else 1. Frame times from FrameTimeVector, else FrameTime,
/// else per-frame FrameAcquisitionDateTime/FrameReferenceDateTime of frame t * nz.
/// Throws InputError (naming the path and both numbers) when NumberOfFrames is not a multiple
/// of the slices, and as check_decodable.
DicomLayout plan_multiframe(const DicomHeader& header, const DicomReadOptions& opt);

/// Layout of a folder of single-frame files (all of one series; files that are not DICOM are
/// skipped, as are hidden files, DICOMDIR, "*.tmp-*" and DICOM objects without pixel data).
/// Slices: distinct positions along the slice normal (ImagePositionPatient . normal of
/// ImageOrientationPatient), ascending; at each, the files sorted by time:
/// TemporalPositionIdentifier, else TriggerTime, else AcquisitionTime, else InstanceNumber.
/// Spacing z from the mean position step (for one slice: SpacingBetweenSlices, else
/// SliceThickness, else 1). Frame times (s from the first time point) from TriggerTime or
/// AcquisitionTime. Throws InputError naming the folder or file for: no DICOM image, several
/// series, differing image size / pixel format / orientation, slices with differing numbers of
/// time points or time identifiers, uneven slice spacing (> 10 % from the mean), a multi-frame
/// file, an undecodable transfer syntax, or a DICOM file that cannot be read.
DicomLayout plan_series(const std::string& dir);

}  // namespace voxflow::io::dicom
