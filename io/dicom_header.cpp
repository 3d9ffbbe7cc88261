#include "io/dicom_header.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <sys/stat.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "io/dicom_codecs.hpp"
#include "src/core/error.hpp"

namespace voxflow::io::dicom {

namespace {

/// Values up to this size are read with the header; larger ones (pixel data) stay on disk.
constexpr Uint32 kMaxReadLength = 4096;

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (std::isspace(static_cast<unsigned char>(s[b])) || s[b] == '\0')) ++b;
  while (e > b && (std::isspace(static_cast<unsigned char>(s[e - 1])) || s[e - 1] == '\0')) --e;
  return s.substr(b, e - b);
}

double to_number(const std::string& s) {
  const std::string t = trim(s);
  if (t.empty()) return NAN;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end == t.c_str()) return NAN;
  return v;
}

/// Finds `tag` in `item` (searching nested sequences when deep).
DcmElement* find_in(DcmItem* item, const DcmTagKey& tag, bool deep) {
  if (item == nullptr) return nullptr;
  DcmElement* e = nullptr;
  if (item->findAndGetElement(tag, e, deep ? OFTrue : OFFalse).good() && e != nullptr) return e;
  return nullptr;
}

DcmItem* sequence_item(DcmItem* item, const DcmTagKey& seq, long index) {
  DcmItem* out = nullptr;
  if (item != nullptr && item->findAndGetSequenceItem(seq, out, index).good()) return out;
  return nullptr;
}

/// Top-level dataset, then the Shared, then the first Per-frame Functional Groups item.
DcmElement* find_element(DcmItem* ds, const DcmTagKey& tag) {
  if (DcmElement* e = find_in(ds, tag, false)) return e;
  if (DcmElement* e = find_in(sequence_item(ds, DCM_SharedFunctionalGroupsSequence, 0), tag, true)) return e;
  return find_in(sequence_item(ds, DCM_PerFrameFunctionalGroupsSequence, 0), tag, true);
}

std::string string_of(DcmElement* e, unsigned long pos = 0) {
  if (e == nullptr) return {};
  OFString s;
  if (e->getOFString(s, pos, OFTrue).bad()) return {};
  return trim(s.c_str());
}

double number_of(DcmElement* e, unsigned long pos = 0) { return e ? to_number(string_of(e, pos)) : NAN; }

/// All numeric values of e (VM values), NaN for an unparsable one.
std::vector<double> numbers_of(DcmElement* e) {
  std::vector<double> v;
  if (e == nullptr) return v;
  const unsigned long vm = e->getVM();
  for (unsigned long i = 0; i < vm; ++i) v.push_back(number_of(e, i));
  return v;
}

bool fixed_numbers(DcmElement* e, double* out, std::size_t n) {
  const std::vector<double> v = numbers_of(e);
  if (v.size() < n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) return false;
    out[i] = v[i];
  }
  return true;
}

std::int64_t integer_of(DcmElement* e, std::int64_t fallback) {
  const double v = number_of(e);
  return std::isfinite(v) ? static_cast<std::int64_t>(std::llround(v)) : fallback;
}

/// days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible
/// low-level date algorithms", days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

double parse_dicom_time(const std::string& tm_in) {
  std::string tm;
  for (char c : trim(tm_in))
    if (c != ':') tm += c;  // ACR-NEMA "HH:MM:SS.frac"
  const std::size_t dot = tm.find('.');
  const std::string whole = tm.substr(0, dot);
  if (!all_digits(whole) || whole.size() < 2 || whole.size() > 6 || whole.size() % 2 != 0) return NAN;
  double h = std::stod(whole.substr(0, 2));
  double m = whole.size() >= 4 ? std::stod(whole.substr(2, 2)) : 0.0;
  double s = whole.size() >= 6 ? std::stod(whole.substr(4, 2)) : 0.0;
  if (dot != std::string::npos) {
    const std::string frac = tm.substr(dot + 1);
    if (!frac.empty()) {
      if (!all_digits(frac)) return NAN;
      s += std::stod("0." + frac);
    }
  }
  return h * 3600.0 + m * 60.0 + s;
}

double parse_dicom_datetime(const std::string& dt_in) {
  std::string dt = trim(dt_in);
  double offset_s = 0.0;
  const std::size_t sign = dt.find_first_of("+-");
  if (sign != std::string::npos) {
    const std::string z = dt.substr(sign + 1);
    if (z.size() != 4 || !all_digits(z)) return NAN;
    offset_s = (std::stod(z.substr(0, 2)) * 3600.0 + std::stod(z.substr(2, 2)) * 60.0) * (dt[sign] == '-' ? -1 : 1);
    dt = dt.substr(0, sign);
  }
  const std::size_t dot = dt.find('.');
  const std::string whole = dt.substr(0, dot);
  if (!all_digits(whole) || whole.size() < 4) return NAN;
  auto field = [&](std::size_t pos, std::size_t len, int def) {
    return whole.size() >= pos + len ? std::stoi(whole.substr(pos, len)) : def;
  };
  const int year = field(0, 4, 1970), month = field(4, 2, 1), day = field(6, 2, 1);
  if (month < 1 || month > 12 || day < 1 || day > 31) return NAN;
  double secs = static_cast<double>(days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day))) * 86400.0;
  secs += field(8, 2, 0) * 3600.0 + field(10, 2, 0) * 60.0 + field(12, 2, 0);
  if (dot != std::string::npos && whole.size() >= 14) {
    const std::string frac = dt.substr(dot + 1);
    if (!frac.empty()) {
      if (!all_digits(frac)) return NAN;
      secs += std::stod("0." + frac);
    }
  }
  return secs - offset_s;
}

std::string DicomHeader::datatype() const {
  const std::string sign = pixel_representation == 1 ? "int" : "uint";
  if (bits_allocated <= 8) return sign + "8";
  if (bits_allocated <= 16) return sign + "16";
  return sign + "32";
}

double DicomHeader::slope_of_frame(std::int64_t f) const {
  if (f >= 0 && static_cast<std::size_t>(f) < frame_rescale_slope.size()) return frame_rescale_slope[f];
  return rescale_slope;
}

double DicomHeader::intercept_of_frame(std::int64_t f) const {
  if (f >= 0 && static_cast<std::size_t>(f) < frame_rescale_intercept.size()) return frame_rescale_intercept[f];
  return rescale_intercept;
}

bool DicomHeader::is_image() const {
  return (has_pixel_data || has_float_pixel_data) && rows > 0 && columns > 0;
}

void check_image_header(const DicomHeader& h) {
  if (!h.has_pixel_data && !h.has_float_pixel_data)
    throw InputError(h.path + ": DICOM file without pixel data (not an image)");
  if (h.rows <= 0 || h.columns <= 0) throw InputError(h.path + ": DICOM image without Rows/Columns");
}

namespace {
std::atomic<std::int64_t> g_files_loaded{0};
}  // namespace

std::int64_t loaded_file_count() { return g_files_loaded.load(); }

std::unique_ptr<DcmFileFormat> load_dicom_file(const std::string& path) {
  ensure_dicom_codecs();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(path + ": cannot open DICOM file (" + std::strerror(errno) + ")");
  if (!S_ISREG(st.st_mode)) throw InputError(path + ": not a regular file");
  if (st.st_size == 0) throw InputError(path + ": empty file, not DICOM");
  auto file = std::make_unique<DcmFileFormat>();
  g_files_loaded.fetch_add(1);
  const OFCondition c = file->loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kMaxReadLength, ERM_autoDetect);
  if (c.bad())
    throw InputError(path + ": not a readable DICOM file (DCMTK: " + c.text() +
                     "; truncated, damaged or not DICOM)");
  return file;
}

DicomHeader parse_dicom_header(DcmFileFormat& file, const std::string& path) {
  DcmDataset* ds = file.getDataset();
  DicomHeader h;
  h.path = path;

  const E_TransferSyntax xfer = ds->getOriginalXfer();
  const DcmXfer x(xfer);
  h.transfer_syntax_uid = x.getXferID();
  h.transfer_syntax_name = x.getXferName();
  if (xfer == EXS_Unknown) {
    OFString uid;
    if (file.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, uid).good()) h.transfer_syntax_uid = uid.c_str();
    h.transfer_syntax_name = "unknown transfer syntax";
  }
  h.encapsulated = x.isEncapsulated();
  h.big_endian = x.getByteOrder() == EBO_BigEndian;
  h.decodable = xfer != EXS_Unknown &&
                (!h.encapsulated || DcmCodecList::canChangeCoding(xfer, EXS_LittleEndianExplicit));

  h.has_pixel_data = find_in(ds, DCM_PixelData, false) != nullptr;
  h.has_float_pixel_data = find_in(ds, DCM_FloatPixelData, false) != nullptr ||
                           find_in(ds, DCM_DoubleFloatPixelData, false) != nullptr;
  h.rows = integer_of(find_in(ds, DCM_Rows, false), 0);
  h.columns = integer_of(find_in(ds, DCM_Columns, false), 0);
  h.samples_per_pixel = static_cast<int>(integer_of(find_in(ds, DCM_SamplesPerPixel, false), 1));
  h.photometric = string_of(find_in(ds, DCM_PhotometricInterpretation, false));
  h.bits_allocated = static_cast<int>(integer_of(find_in(ds, DCM_BitsAllocated, false), 0));
  h.bits_stored = static_cast<int>(integer_of(find_in(ds, DCM_BitsStored, false), h.bits_allocated));
  h.high_bit = static_cast<int>(integer_of(find_in(ds, DCM_HighBit, false), h.bits_stored - 1));
  h.pixel_representation = static_cast<int>(integer_of(find_in(ds, DCM_PixelRepresentation, false), 0));
  h.number_of_frames = std::max<std::int64_t>(1, integer_of(find_in(ds, DCM_NumberOfFrames, false), 1));

  if (DcmElement* e = find_element(ds, DCM_PixelSpacing)) {
    std::vector<double> v = numbers_of(e);
    if (v.size() >= 2 && v[0] > 0 && v[1] > 0) h.pixel_spacing = {v[0], v[1]};
  }
  if (DcmElement* e = find_element(ds, DCM_SliceThickness)) h.slice_thickness = number_of(e);
  if (DcmElement* e = find_element(ds, DCM_SpacingBetweenSlices)) h.spacing_between_slices = number_of(e);
  h.has_orientation = fixed_numbers(find_element(ds, DCM_ImageOrientationPatient), h.orientation.data(), 6);
  h.has_position = fixed_numbers(find_element(ds, DCM_ImagePositionPatient), h.position.data(), 3);

  const double slope = number_of(find_element(ds, DCM_RescaleSlope));
  const double intercept = number_of(find_element(ds, DCM_RescaleIntercept));
  h.rescale_slope = (std::isfinite(slope) && slope != 0.0) ? slope : 1.0;
  h.rescale_intercept = std::isfinite(intercept) ? intercept : 0.0;

  h.number_of_slices = integer_of(find_in(ds, DCM_NumberOfSlices, false), 0);
  h.number_of_temporal_positions = integer_of(find_in(ds, DCM_NumberOfTemporalPositions, false), 0);
  h.frame_time_ms = number_of(find_in(ds, DCM_FrameTime, false));
  h.frame_time_vector = numbers_of(find_in(ds, DCM_FrameTimeVector, false));

  // Per-frame Functional Groups: positions, rescale and timing of every frame.
  DcmSequenceOfItems* per_frame = nullptr;
  if (ds->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame).good() && per_frame != nullptr &&
      static_cast<std::int64_t>(per_frame->card()) == h.number_of_frames) {
    const std::int64_t n = h.number_of_frames;
    std::vector<std::array<double, 3>> pos(n);
    std::vector<double> sl(n, h.rescale_slope), ic(n, h.rescale_intercept), when(n, NAN);
    bool all_pos = true, any_rescale = false, any_time = false;
    for (std::int64_t f = 0; f < n; ++f) {
      DcmItem* item = per_frame->getItem(static_cast<unsigned long>(f));
      all_pos = all_pos && fixed_numbers(find_in(item, DCM_ImagePositionPatient, true), pos[f].data(), 3);
      const double s = number_of(find_in(item, DCM_RescaleSlope, true));
      const double i = number_of(find_in(item, DCM_RescaleIntercept, true));
      if (std::isfinite(s) && s != 0.0) sl[f] = s, any_rescale = true;
      if (std::isfinite(i)) ic[f] = i, any_rescale = true;
      DcmElement* t = find_in(item, DCM_FrameAcquisitionDateTime, true);
      if (t == nullptr) t = find_in(item, DCM_FrameReferenceDateTime, true);
      if (t != nullptr) {
        when[f] = parse_dicom_datetime(string_of(t));
        any_time = any_time || std::isfinite(when[f]);
      }
    }
    if (all_pos) h.frame_positions = std::move(pos);
    if (any_rescale) h.frame_rescale_slope = std::move(sl), h.frame_rescale_intercept = std::move(ic);
    if (any_time) h.frame_datetime_s = std::move(when);
  }

  if (DcmElement* e = find_in(ds, DCM_TemporalPositionIdentifier, false)) {
    const double v = number_of(e);
    if (std::isfinite(v)) h.has_temporal_position_identifier = true, h.temporal_position_identifier = std::llround(v);
  }
  h.trigger_time_ms = number_of(find_in(ds, DCM_TriggerTime, false));
  h.acquisition_time_s = parse_dicom_time(string_of(find_in(ds, DCM_AcquisitionTime, false)));
  h.acquisition_datetime_s = parse_dicom_datetime(string_of(find_in(ds, DCM_AcquisitionDateTime, false)));
  h.instance_number = integer_of(find_in(ds, DCM_InstanceNumber, false), 0);
  h.sop_class_uid = string_of(find_in(ds, DCM_SOPClassUID, false));
  h.series_instance_uid = string_of(find_in(ds, DCM_SeriesInstanceUID, false));
  h.series_description = string_of(find_in(ds, DCM_SeriesDescription, false));
  return h;
}

}  // namespace voxflow::io::dicom
