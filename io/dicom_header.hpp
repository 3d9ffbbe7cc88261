#pragma once
// One DICOM file's header as the DICOM readers need it (private to io/dicom_*.cpp).
// DCMTK types are only forward-declared here; the .cpp files include DCMTK.
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

class DcmFileFormat;

namespace voxflow::io::dicom {

/// The header values of one DICOM file. A value the file lacks is NaN (numbers) or a
/// has_* flag that is false. Lookups go to the top-level dataset, then (for the
/// enhanced multi-frame objects) the Shared and the first Per-frame Functional Groups.
/// (A field added here must also be added to io/dicom_plan_broadcast.cpp, which sends it to the ranks.)
struct DicomHeader {
  std::string path;
  std::string transfer_syntax_uid;   // (0002,0010) as read
  std::string transfer_syntax_name;  // DCMTK's name, e.g. "JPEG 2000 (Lossless only)"
  bool encapsulated = false;         // compressed pixel data
  bool big_endian = false;           // byte order of the dataset (uncompressed pixel data)
  bool decodable = true;             // uncompressed, or a registered DCMTK decoder handles it
  bool has_pixel_data = false;       // (7FE0,0010) present
  bool has_float_pixel_data = false; // (7FE0,0008) or (7FE0,0009): not supported

  std::int64_t rows = 0, columns = 0;
  int samples_per_pixel = 1;
  std::string photometric;  // MONOCHROME2, MONOCHROME1, RGB, ...
  int bits_allocated = 0, bits_stored = 0, high_bit = -1, pixel_representation = 0;
  std::int64_t number_of_frames = 1;  // (0028,0008), 1 when absent

  std::array<double, 2> pixel_spacing{NAN, NAN};  // (row spacing, column spacing) in mm
  double slice_thickness = NAN;                   // mm
  double spacing_between_slices = NAN;            // mm
  bool has_orientation = false;
  std::array<double, 6> orientation{1, 0, 0, 0, 1, 0};  // ImageOrientationPatient (LPS)
  bool has_position = false;
  std::array<double, 3> position{0, 0, 0};  // ImagePositionPatient (LPS, mm)

  double rescale_slope = 1.0, rescale_intercept = 0.0;
  /// per frame, from Per-frame Functional Groups (Pixel Value Transformation); empty when
  /// the file has one slope/intercept for all frames
  std::vector<double> frame_rescale_slope, frame_rescale_intercept;

  std::int64_t number_of_slices = 0;              // (0054,0081), 0 when absent
  std::int64_t number_of_temporal_positions = 0;  // (0020,0105), 0 when absent
  /// ImagePositionPatient of every frame from the Per-frame Functional Groups (empty if none)
  std::vector<std::array<double, 3>> frame_positions;
  double frame_time_ms = NAN;             // (0018,1063)
  std::vector<double> frame_time_vector;  // (0018,1065), ms increments, empty when absent
  /// per frame FrameAcquisitionDateTime / FrameReferenceDateTime in seconds (any epoch; NaN
  /// where missing); empty when the file has no Per-frame Functional Groups
  std::vector<double> frame_datetime_s;

  bool has_temporal_position_identifier = false;
  std::int64_t temporal_position_identifier = 0;  // (0020,0100)
  double trigger_time_ms = NAN;                   // (0018,1060)
  double acquisition_time_s = NAN;                // (0008,0032) as seconds since midnight
  double acquisition_datetime_s = NAN;            // (0008,002A) as seconds (any epoch)
  std::int64_t instance_number = 0;               // (0020,0013)

  std::string sop_class_uid, series_instance_uid, series_description;

  /// "uint8", "int8", "uint16", "int16", "uint32", "int32" from BitsAllocated/PixelRepresentation
  std::string datatype() const;
  /// has pixel data, Rows and Columns
  bool is_image() const;
  /// slope and intercept to apply to stored values of frame f
  double slope_of_frame(std::int64_t f) const;
  double intercept_of_frame(std::int64_t f) const;
};

/// Loads `path` with DCMTK, leaving values larger than 4 KiB (pixel data) on disk, so they are
/// read on demand. Throws InputError "<path>: ..." (one line) for a missing, empty,
/// unreadable, truncated or non-DICOM file.
std::unique_ptr<DcmFileFormat> load_dicom_file(const std::string& path);

/// Files this process handed to DCMTK through load_dicom_file so far (io::dicom_read_counts).
std::int64_t loaded_file_count();

/// Parses the header of a file loaded by load_dicom_file (no checks; see check_image_header).
DicomHeader parse_dicom_header(DcmFileFormat& file, const std::string& path);

/// Throws InputError naming the path for a file without pixel data, Rows or Columns.
void check_image_header(const DicomHeader& h);

/// DICOM TM "HHMMSS.FFFFFF" (also "HH:MM:SS.frac" and shortened forms) -> seconds since
/// midnight; NaN when it cannot be parsed (PS3.5 Table 6.2-1).
double parse_dicom_time(const std::string& tm);

/// DICOM DT "YYYYMMDDHHMMSS.FFFFFF&ZZXX" -> seconds since 1970-01-01 (UTC offset applied when
/// given); NaN when it cannot be parsed (PS3.5 Table 6.2-1).
double parse_dicom_datetime(const std::string& dt);

}  // namespace voxflow::io::dicom
