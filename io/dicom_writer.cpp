#include "io/dicom_writer.hpp"

#include "io/atomic_file.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrat.h>
#include <dcmtk/dcmdata/dcvrda.h>
#include <dcmtk/dcmdata/dcvrtm.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "io/dicom_codecs.hpp"
#include "io/dicom_geometry.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {

namespace {

using dicom::DicomPlaneGeometry;
using dicom::Vec3;

/// Decimal String value (at most 16 characters, PS3.5 Table 6.2-1).
std::string ds(double v) {
  for (int digits = 10; digits >= 1; --digits) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
    if (std::strlen(buf) <= 16) return buf;
  }
  return "0";
}

double ds_value(double v) { return std::strtod(ds(v).c_str(), nullptr); }

std::string ds_list(std::initializer_list<double> values) {
  std::string s;
  for (double v : values) s += (s.empty() ? "" : "\\") + ds(v);
  return s;
}

std::string new_uid(const char* root) {
  char buf[100];
  dcmGenerateUniqueIdentifier(buf, root);
  return buf;
}

/// LO / SH values: strip backslashes (value separators) and cut to `max` characters.
std::string text(const std::string& s, std::size_t max) {
  std::string out;
  for (char c : s)
    if (c != '\\' && c != '\r' && c != '\n') out += c;
  return out.substr(0, max);
}

/// Inserts values into a dataset; any DCMTK failure is an InternalError naming the file.
struct Putter {
  DcmItem* item;
  std::string path;
  void check(const OFCondition& c, const DcmTagKey& tag) const {
    if (c.bad())
      throw InternalError(path + ": DCMTK cannot set " + DcmTag(tag).getTagName() + " (" + c.text() + ")");
  }
  void str(const DcmTagKey& tag, const std::string& v) const { check(item->putAndInsertString(tag, v.c_str()), tag); }
  void u16(const DcmTagKey& tag, Uint16 v) const { check(item->putAndInsertUint16(tag, v), tag); }
};

struct SeriesIds {
  std::string study_uid, series_uid, frame_of_reference_uid, date, time;
};

SeriesIds new_series_ids() {
  dicom::ensure_dicom_codecs();  // also quiets DCMTK's log
  SeriesIds ids;
  ids.study_uid = new_uid(SITE_STUDY_UID_ROOT);
  ids.series_uid = new_uid(SITE_SERIES_UID_ROOT);
  ids.frame_of_reference_uid = new_uid(SITE_UID_ROOT ".1.5");
  OFString d, t;
  DcmDate::getCurrentDate(d);
  DcmTime::getCurrentTime(t);
  ids.date = d.c_str();
  ids.time = t.c_str();
  return ids;
}

/// Patient, study, series, frame of reference, equipment, general image and MR image modules
/// (PS3.3 A.4 MR Image IOD) with what voxflow knows; unknown type 2 values are empty.
void put_mr_modules(const Putter& p, const SeriesIds& ids, const std::string& image_type,
                    const std::string& description, int instance_number, double repetition_time_ms) {
  p.str(DCM_SOPClassUID, UID_MRImageStorage);
  p.str(DCM_SOPInstanceUID, new_uid(SITE_INSTANCE_UID_ROOT));
  p.str(DCM_ImageType, image_type);
  p.str(DCM_StudyDate, ids.date);
  p.str(DCM_StudyTime, ids.time);
  p.str(DCM_SeriesDate, ids.date);
  p.str(DCM_SeriesTime, ids.time);
  p.str(DCM_ContentDate, ids.date);
  p.str(DCM_ContentTime, ids.time);
  p.str(DCM_AccessionNumber, "");
  p.str(DCM_Modality, "MR");
  p.str(DCM_Manufacturer, "voxflow");
  p.str(DCM_ReferringPhysicianName, "");
  p.str(DCM_SeriesDescription, text(description, 64));
  p.str(DCM_PatientName, "voxflow");
  p.str(DCM_PatientID, "voxflow");
  p.str(DCM_PatientBirthDate, "");
  p.str(DCM_PatientSex, "");
  p.str(DCM_ScanningSequence, "RM");
  p.str(DCM_SequenceVariant, "NONE");
  p.str(DCM_ScanOptions, "");
  p.str(DCM_MRAcquisitionType, "2D");
  p.str(DCM_RepetitionTime, repetition_time_ms > 0 ? ds(repetition_time_ms) : "");
  p.str(DCM_EchoTime, "");
  p.str(DCM_EchoTrainLength, "");
  p.str(DCM_StudyInstanceUID, ids.study_uid);
  p.str(DCM_SeriesInstanceUID, ids.series_uid);
  p.str(DCM_StudyID, "1");
  p.str(DCM_SeriesNumber, "1");
  p.str(DCM_InstanceNumber, std::to_string(instance_number));
  p.str(DCM_FrameOfReferenceUID, ids.frame_of_reference_uid);
  p.str(DCM_PositionReferenceIndicator, "");
}

/// Image plane module: PixelSpacing (row spacing = dy, column spacing = dx), orientation,
/// position of `slice`, thickness and spacing = dz.
void put_plane(const Putter& p, const DicomPlaneGeometry& g, double slice) {
  const auto& o = g.orientation;
  const Vec3 pos = g.position_of_slice(slice);
  p.str(DCM_PixelSpacing, ds_list({g.spacing_mm[1], g.spacing_mm[0]}));
  p.str(DCM_ImageOrientationPatient, ds_list({o[0], o[1], o[2], o[3], o[4], o[5]}));
  p.str(DCM_ImagePositionPatient, ds_list({pos[0], pos[1], pos[2]}));
  p.str(DCM_SliceThickness, ds(g.spacing_mm[2]));
  p.str(DCM_SpacingBetweenSlices, ds(g.spacing_mm[2]));
}

void put_pixel_module(const Putter& p, std::int64_t nx, std::int64_t ny, bool is_signed) {
  p.u16(DCM_SamplesPerPixel, 1);
  p.str(DCM_PhotometricInterpretation, "MONOCHROME2");
  p.u16(DCM_Rows, static_cast<Uint16>(ny));
  p.u16(DCM_Columns, static_cast<Uint16>(nx));
  p.u16(DCM_BitsAllocated, 16);
  p.u16(DCM_BitsStored, 16);
  p.u16(DCM_HighBit, 15);
  p.u16(DCM_PixelRepresentation, is_signed ? 1 : 0);
}

/// Saves under "<path>.tmp-<run id>" (explicit VR little endian) and renames to path.
void save_atomic(DcmFileFormat& ff, const std::string& path) {
  const std::string tmp = temp_name_for(path);
  const OFCondition c = ff.saveFile(tmp.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength);
  if (c.bad()) {
    std::remove(tmp.c_str());
    throw InternalError(path + ": DCMTK cannot write the file (" + c.text() + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InternalError(path + ": cannot rename " + tmp + " into place");
  }
}

void check_image_size(const Grid& grid, const std::string& path) {
  if (grid.nx() < 1 || grid.ny() < 1 || grid.nx() > 65535 || grid.ny() > 65535 || grid.nz() < 1 || grid.nt < 1)
    throw InternalError(path + ": cannot write a " + grid.describe() + " image as DICOM (rows/columns 1..65535)");
}

}  // namespace

void write_dicom_multiframe(const std::string& path, const Grid& grid, const std::vector<std::uint16_t>& pixels,
                            double frame_interval_s, double rescale_slope, double rescale_intercept,
                            const std::string& series_description) {
  check_image_size(grid, path);
  const std::int64_t nz = grid.nz(), nt = grid.nt, frames = nz * nt;
  const std::uint64_t count = static_cast<std::uint64_t>(grid.plane_size()) * static_cast<std::uint64_t>(frames);
  if (pixels.size() != count)
    throw InternalError(path + ": " + std::to_string(pixels.size()) + " pixels given for a " + grid.describe() + " image");
  if (count * 2 > 0xFFFFFFF0ull) throw InternalError(path + ": image too large for one DICOM Pixel Data element (4 GiB)");
  if (!std::isfinite(frame_interval_s) || frame_interval_s < 0)
    throw InternalError(path + ": frame interval must be finite and >= 0");
  if (!std::isfinite(rescale_slope) || rescale_slope == 0 || !std::isfinite(rescale_intercept))
    throw InternalError(path + ": rescale slope must be finite and non-zero, intercept finite");
  const DicomPlaneGeometry g = dicom::dicom_geometry_from_affine(grid.affine);
  const SeriesIds ids = new_series_ids();

  DcmFileFormat ff;
  DcmDataset* dset = ff.getDataset();
  const Putter p{dset, path};
  const double interval_ms = frame_interval_s * 1000.0;
  put_mr_modules(p, ids, "DERIVED\\PRIMARY", series_description, 1, interval_ms);
  put_plane(p, g, 0.0);
  p.str(DCM_RescaleIntercept, ds(rescale_intercept));
  p.str(DCM_RescaleSlope, ds(rescale_slope));
  p.str(DCM_NumberOfTemporalPositions, std::to_string(nt));
  p.u16(DCM_NumberOfSlices, static_cast<Uint16>(std::min<std::int64_t>(nz, 65535)));
  p.str(DCM_NumberOfFrames, std::to_string(frames));

  // Timing: frame f = t * nz + z; a time point every frame_interval_s, its nz frames evenly
  // spread over it (FrameTime = nominal time per frame, PS3.3 C.7.6.5).
  const double per_frame_ms = interval_ms / static_cast<double>(nz);
  p.str(DCM_FrameTime, ds(per_frame_ms));
  std::string vector = "0";
  const std::string step = ds(per_frame_ms);
  for (std::int64_t f = 1; f < frames && vector.size() < 65000; ++f) vector += "\\" + step;
  const bool with_vector = vector.size() < 65000;  // DS value length is 16 bits in explicit VR
  if (with_vector) p.str(DCM_FrameTimeVector, vector);
  {
    DcmAttributeTag* at = new DcmAttributeTag(DCM_FrameIncrementPointer);
    at->putTagVal(with_vector ? DCM_FrameTimeVector : DCM_FrameTime);
    p.check(dset->insert(at, OFTrue), DCM_FrameIncrementPointer);
  }

  // Position of every frame (Per-frame Functional Groups, Plane Position): tells readers the
  // slice direction even when the affine's third column is not the plane normal.
  for (std::int64_t f = 0; f < frames; ++f) {
    DcmItem* frame_item = nullptr;
    p.check(dset->findOrCreateSequenceItem(DCM_PerFrameFunctionalGroupsSequence, frame_item, -2),
            DCM_PerFrameFunctionalGroupsSequence);
    DcmItem* pos_item = nullptr;
    p.check(frame_item->findOrCreateSequenceItem(DCM_PlanePositionSequence, pos_item, 0), DCM_PlanePositionSequence);
    const Vec3 pos = g.position_of_slice(static_cast<double>(f % nz));
    Putter{pos_item, path}.str(DCM_ImagePositionPatient, ds_list({pos[0], pos[1], pos[2]}));
  }

  put_pixel_module(p, grid.nx(), grid.ny(), false);
  p.check(dset->putAndInsertUint16Array(DCM_PixelData, pixels.data(), static_cast<unsigned long>(count)),
          DCM_PixelData);
  save_atomic(ff, path);
}

namespace {

/// int16 coding of a float map: stored * slope + intercept reproduces a finite value within
/// slope / 2; stored values -32767..32767 for finite values, -32768 for NaN.
struct Int16Coding {
  double slope = 1.0, intercept = 0.0;  // as written (decimal strings parsed back)
  static constexpr int kNaN = -32768;

  static Int16Coding for_range(double lo, double hi) {
    Int16Coding c;
    if (!(lo <= hi)) return c;  // no finite value
    if (lo == hi) {
      c.intercept = ds_value(lo);
      return c;
    }
    double raw = (hi - lo) / 65000.0;  // headroom for the decimal rounding of the intercept
    for (int attempt = 0; attempt < 50; ++attempt, raw *= 1.01) {
      c.slope = ds_value(raw);
      c.intercept = ds_value(0.5 * (lo + hi));
      if (c.slope > 0 && (hi - c.intercept) / c.slope <= 32767.0 && (lo - c.intercept) / c.slope >= -32767.0) return c;
    }
    throw InternalError("DICOM map export: no int16 scaling found for the range [" + ds(lo) + ", " + ds(hi) + "]");
  }

  std::int16_t encode(float v) const {
    if (std::isnan(v)) return static_cast<std::int16_t>(kNaN);
    const double s = std::nearbyint((static_cast<double>(v) - intercept) / slope);
    return static_cast<std::int16_t>(std::clamp(s, -32767.0, 32767.0));
  }
};

}  // namespace

void write_dicom_map_series(const std::string& dir, const std::string& name, const Volume3D& map,
                            const std::string& units, const Comm& comm) {
  const SlabLayout& lay = map.layout;
  const Grid& grid = lay.grid;
  const Slab& slab = lay.slab;
  Grid grid3 = grid;
  grid3.nt = 1;

  // global finite range and NaN presence (every rank takes part)
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), map.data);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  bool has_nan = false;
  for (std::int64_t v = 0; v < lay.owned_voxels(); ++v) {
    const float x = host(lay.owned_to_storage(v));
    if (std::isfinite(x)) lo = std::min(lo, static_cast<double>(x)), hi = std::max(hi, static_cast<double>(x));
    has_nan = has_nan || std::isnan(x);
  }
  lo = comm.min(lo);
  hi = comm.max(hi);
  has_nan = comm.any(has_nan);

  std::string serialized;
  if (comm.is_root()) {
    const SeriesIds ids = new_series_ids();
    serialized = ids.study_uid + "|" + ids.series_uid + "|" + ids.frame_of_reference_uid + "|" + ids.date + "|" + ids.time;
  }
  serialized = comm.broadcast(serialized);
  SeriesIds ids;
  {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t bar; (bar = serialized.find('|', start)) != std::string::npos; start = bar + 1)
      parts.push_back(serialized.substr(start, bar - start));
    parts.push_back(serialized.substr(start));
    if (parts.size() != 5) throw InternalError("DICOM map export: bad series identifiers from rank 0");
    ids = {parts[0], parts[1], parts[2], parts[3], parts[4]};
  }

  collective_check(comm, [&] {
    if (!comm.is_root()) return;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!std::filesystem::is_directory(dir))
      throw InternalError(dir + ": cannot create folder for the DICOM series (" + ec.message() + ")");
  });

  collective_check(comm, [&] {
    check_image_size(grid3, dir);
    const DicomPlaneGeometry g = dicom::dicom_geometry_from_affine(grid.affine);
    const Int16Coding coding = Int16Coding::for_range(lo, hi);
    const std::string label = name + (units.empty() ? "" : " [" + units + "]");
    const std::string nan_note = "; NaN stored as " + std::to_string(Int16Coding::kNaN);
    const std::string description = label + (has_nan ? nan_note : "");
    std::string comments = "voxflow map " + name + ", units " + (units.empty() ? "(none)" : units) +
                           ", true value = stored * RescaleSlope + RescaleIntercept" + (has_nan ? nan_note : "");
    std::vector<std::int16_t> pixels(static_cast<std::size_t>(grid.plane_size()));
    for (std::int64_t k = 0; k < slab.nz; ++k) {
      const std::int64_t z = slab.to_global(k);
      const std::string path = dir + "/" + name + "_" + std::to_string(z) + ".dcm";
      for (std::int64_t j = 0; j < grid.ny(); ++j)
        for (std::int64_t i = 0; i < grid.nx(); ++i)
          pixels[i + grid.nx() * j] = coding.encode(host(lay.index(i, j, k)));
      DcmFileFormat ff;
      DcmDataset* dset = ff.getDataset();
      const Putter p{dset, path};
      put_mr_modules(p, ids, "DERIVED\\SECONDARY\\MAP", description, static_cast<int>(z + 1), 0.0);
      put_plane(p, g, static_cast<double>(z));
      p.str(DCM_ImageComments, text(comments, 10240));
      p.str(DCM_RescaleIntercept, ds(coding.intercept));
      p.str(DCM_RescaleSlope, ds(coding.slope));
      if (std::isfinite(lo)) {
        p.str(DCM_WindowCenter, ds(0.5 * (lo + hi)));
        p.str(DCM_WindowWidth, ds(std::max(hi - lo, coding.slope)));
      }
      put_pixel_module(p, grid.nx(), grid.ny(), true);
      if (has_nan)
        p.check(dset->putAndInsertSint16(DcmTag(DCM_PixelPaddingValue, EVR_SS), Int16Coding::kNaN),
                DCM_PixelPaddingValue);
      p.check(dset->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16*>(pixels.data()),
                                            static_cast<unsigned long>(pixels.size())),
              DCM_PixelData);
      save_atomic(ff, path);
    }
  });
}

}  // namespace voxflow::io
