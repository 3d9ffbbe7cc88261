#include "io/dicom_layout.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "io/dicom_frame_reader.hpp"
#include "io/dicom_geometry.hpp"
#include "src/core/error.hpp"

namespace voxflow::io::dicom {

namespace {

constexpr int kDefaultSlices = 9;
constexpr double kPositionTolMm = 0.01;  // two ImagePositionPatient closer than this are one slice

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// Spacing x, y from PixelSpacing (row spacing = y, column spacing = x), 1 mm when absent.
std::array<double, 2> in_plane_spacing(const DicomHeader& h) {
  const double dx = std::isfinite(h.pixel_spacing[1]) ? h.pixel_spacing[1] : 1.0;
  const double dy = std::isfinite(h.pixel_spacing[0]) ? h.pixel_spacing[0] : 1.0;
  return {dx, dy};
}

/// z spacing from the tags (SpacingBetweenSlices, else SliceThickness), NaN when neither.
double tag_slice_spacing(const DicomHeader& h) {
  if (std::isfinite(h.spacing_between_slices) && h.spacing_between_slices > 0) return h.spacing_between_slices;
  if (std::isfinite(h.slice_thickness) && h.slice_thickness > 0) return h.slice_thickness;
  return NAN;
}

void fill_common_info(ImageInfo& info, const DicomHeader& h) {
  info.datatype = h.datatype();
  info.rescale_slope = h.rescale_slope;
  info.rescale_intercept = h.rescale_intercept;
  info.description = h.series_description;
}

std::int64_t count_distinct_positions(const std::vector<std::array<double, 3>>& positions) {
  std::set<std::tuple<long long, long long, long long>> keys;
  for (const auto& p : positions)
    keys.emplace(std::llround(p[0] / kPositionTolMm), std::llround(p[1] / kPositionTolMm),
                 std::llround(p[2] / kPositionTolMm));
  return static_cast<std::int64_t>(keys.size());
}

bool has_dicm_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[132] = {};
  if (!in.read(buf, sizeof(buf))) return false;
  return std::string(buf + 128, 4) == "DICM";
}

}  // namespace

DicomLayout plan_multiframe(const DicomHeader& h, const DicomReadOptions& opt) {
  check_image_header(h);
  check_decodable(h);
  DicomLayout lay;
  lay.multiframe = true;
  lay.header = h;
  const std::int64_t frames = h.number_of_frames;
  std::int64_t nz = 1;
  std::string source = "single frame";
  if (frames > 1) {
    if (h.number_of_slices > 0) {
      nz = h.number_of_slices;
      source = "NumberOfSlices (0054,0081)";
    } else if (!h.frame_positions.empty()) {
      nz = count_distinct_positions(h.frame_positions);
      source = "distinct ImagePositionPatient in the Per-frame Functional Groups";
    } else if (h.number_of_temporal_positions > 0 && frames % h.number_of_temporal_positions == 0) {
      nz = frames / h.number_of_temporal_positions;
      source = "NumberOfFrames / NumberOfTemporalPositions (0020,0105)";
    } else if (opt.slices < 0) {
      throw InputError(h.path + ": number of slices must be positive, got " + std::to_string(opt.slices));
    } else {
      nz = opt.slices > 0 ? opt.slices : kDefaultSlices;
      source = opt.slices > 0 ? "the slices option" : "the default; set the slices option";
    }
    if (frames % nz != 0)
      throw InputError(h.path + ": " + std::to_string(frames) + " frames are not a multiple of " + std::to_string(nz) +
                       " slices per time point (slices from " + source + ")");
  }
  const std::int64_t nt = frames / nz;

  const Vec3 normal = slice_normal(h.orientation, h.path);
  Vec3 origin = h.position;
  if (!h.frame_positions.empty()) origin = h.frame_positions[0];
  double direction = 1.0, position_step = NAN;
  if (nz > 1 && !h.frame_positions.empty()) {
    const auto& p0 = h.frame_positions[0];
    const auto& p1 = h.frame_positions[1];
    const double d = dot({p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]}, normal);
    if (std::fabs(d) > 1e-6) position_step = std::fabs(d), direction = d < 0 ? -1.0 : 1.0;
  }
  double dz = tag_slice_spacing(h);
  if (!std::isfinite(dz)) dz = std::isfinite(position_step) ? position_step : 1.0;
  const auto [dx, dy] = in_plane_spacing(h);

  ImageInfo& info = lay.info;
  info.path = h.path;
  info.format = "DICOM multi-frame";
  info.grid.dims = {h.columns, h.rows, nz};
  info.grid.nt = nt;
  info.grid.spacing_mm = {dx, dy, dz};
  info.grid.affine = dicom_affine_ras(h.orientation, {normal[0] * direction, normal[1] * direction, normal[2] * direction},
                                      origin, info.grid.spacing_mm);
  fill_common_info(info, h);

  // Frame times of the first slice of every time point, relative to frame 0.
  std::vector<double>& times = info.frame_times_s;
  if (static_cast<std::int64_t>(h.frame_time_vector.size()) == frames) {
    std::vector<double> cum(frames, 0.0);
    for (std::int64_t f = 1; f < frames; ++f) cum[f] = cum[f - 1] + h.frame_time_vector[f];
    for (std::int64_t t = 0; t < nt; ++t) times.push_back(cum[t * nz] / 1000.0);
  } else if (std::isfinite(h.frame_time_ms) && h.frame_time_ms > 0) {
    for (std::int64_t t = 0; t < nt; ++t) times.push_back(static_cast<double>(t * nz) * h.frame_time_ms / 1000.0);
  } else if (static_cast<std::int64_t>(h.frame_datetime_s.size()) == frames) {
    bool ok = true;
    for (std::int64_t t = 0; t < nt; ++t) ok = ok && std::isfinite(h.frame_datetime_s[t * nz]);
    if (ok)
      for (std::int64_t t = 0; t < nt; ++t) times.push_back(h.frame_datetime_s[t * nz] - h.frame_datetime_s[0]);
  }
  for (double v : times)
    if (!std::isfinite(v)) {
      times.clear();
      break;
    }
  return lay;
}

namespace {

struct SeriesFile {
  DicomHeader h;
  double along = 0.0;  // position along the slice normal (or InstanceNumber without positions)
};

enum class TimeKey { TemporalPositionIdentifier, TriggerTime, AcquisitionTime, InstanceNumber };

double time_key(const DicomHeader& h, TimeKey k) {
  switch (k) {
    case TimeKey::TemporalPositionIdentifier: return static_cast<double>(h.temporal_position_identifier);
    case TimeKey::TriggerTime: return h.trigger_time_ms;
    case TimeKey::AcquisitionTime:
      return std::isfinite(h.acquisition_datetime_s) ? h.acquisition_datetime_s : h.acquisition_time_s;
    case TimeKey::InstanceNumber: break;
  }
  return static_cast<double>(h.instance_number);
}

const char* time_key_name(TimeKey k) {
  switch (k) {
    case TimeKey::TemporalPositionIdentifier: return "TemporalPositionIdentifier";
    case TimeKey::TriggerTime: return "TriggerTime";
    case TimeKey::AcquisitionTime: return "AcquisitionTime";
    case TimeKey::InstanceNumber: break;
  }
  return "InstanceNumber";
}

/// Seconds of each time point from the first: the earliest slice's time at each time point.
std::vector<double> series_times(const std::vector<std::vector<const SeriesFile*>>& slices, TimeKey key) {
  auto all = [&](auto&& pred) {
    for (const auto& s : slices)
      for (const SeriesFile* f : s)
        if (!pred(f->h)) return false;
    return true;
  };
  TimeKey source = key;
  if (key == TimeKey::TemporalPositionIdentifier || key == TimeKey::InstanceNumber) {
    if (all([](const DicomHeader& h) {
          return std::isfinite(h.acquisition_time_s) || std::isfinite(h.acquisition_datetime_s);
        }))
      source = TimeKey::AcquisitionTime;
    else if (all([](const DicomHeader& h) { return std::isfinite(h.trigger_time_ms); }))
      source = TimeKey::TriggerTime;
    else
      return {};
  }
  const std::size_t nt = slices.front().size();
  std::vector<double> start(nt, INFINITY);
  for (const auto& s : slices)
    for (std::size_t t = 0; t < nt; ++t) {
      double v = time_key(s[t]->h, source);
      if (source == TimeKey::TriggerTime) v /= 1000.0;
      start[t] = std::min(start[t], v);
    }
  std::vector<double> times(nt);
  for (std::size_t t = 0; t < nt; ++t) {
    double v = start[t] - start[0];
    const bool time_of_day = source == TimeKey::AcquisitionTime &&
                             !std::isfinite(slices.front()[t]->h.acquisition_datetime_s);
    if (time_of_day && v < -43200.0) v += 86400.0;  // series across midnight
    times[t] = v;
  }
  return times;
}

}  // namespace

DicomLayout plan_series(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || name == "DICOMDIR" || name.find(".tmp-") != std::string::npos) continue;
    std::error_code ec2;
    if (!it->is_regular_file(ec2)) continue;
    names.push_back(it->path().string());
  }
  if (ec) throw InputError(dir + ": cannot list folder (" + ec.message() + ")");
  std::sort(names.begin(), names.end());

  std::vector<SeriesFile> files;
  for (const std::string& p : names) {
    std::unique_ptr<DcmFileFormat> ff;
    try {
      ff = load_dicom_file(p);
    } catch (const InputError&) {
      if (has_dicm_magic(p)) throw;  // a DICOM file that cannot be read: say so
      continue;                      // not DICOM (notes, scripts): skip
    }
    SeriesFile f;
    f.h = parse_dicom_header(*ff, p);
    if (!f.h.is_image()) continue;  // DICOMDIR, structured reports, presentation states
    files.push_back(std::move(f));
  }
  if (files.empty()) throw InputError(dir + ": no DICOM image files in folder");

  const DicomHeader& h0 = files.front().h;
  std::set<std::string> series;
  for (const SeriesFile& f : files) {
    const DicomHeader& h = f.h;
    series.insert(h.series_instance_uid);
    check_decodable(h);
    if (h.number_of_frames > 1)
      throw InputError(h.path + ": multi-frame file (" + std::to_string(h.number_of_frames) +
                       " frames) in a folder series; read the file itself");
    if (h.rows != h0.rows || h.columns != h0.columns)
      throw InputError(h.path + ": image size " + std::to_string(h.columns) + " x " + std::to_string(h.rows) +
                       " differs from " + h0.path + " (" + std::to_string(h0.columns) + " x " + std::to_string(h0.rows) +
                       ")");
    if (h.bits_allocated != h0.bits_allocated || h.samples_per_pixel != h0.samples_per_pixel ||
        h.photometric != h0.photometric)
      throw InputError(h.path + ": pixel format differs from " + h0.path);
    if (h.has_orientation != h0.has_orientation || h.has_position != h0.has_position)
      throw InputError(h.path + ": ImageOrientationPatient/ImagePositionPatient present in some files only");
    for (int i = 0; i < 6; ++i)
      if (std::fabs(h.orientation[i] - h0.orientation[i]) > 1e-4)
        throw InputError(h.path + ": ImageOrientationPatient differs from " + h0.path);
  }
  if (series.size() > 1)
    throw InputError(dir + ": folder holds " + std::to_string(series.size()) +
                     " series (different SeriesInstanceUID); give one series per folder");

  const Vec3 normal = slice_normal(h0.orientation, h0.path);
  const bool by_position = h0.has_position;
  for (SeriesFile& f : files) f.along = by_position ? dot(f.h.position, normal) : static_cast<double>(f.h.instance_number);

  // time key: the first tag every file has
  auto all = [&](auto&& pred) {
    return std::all_of(files.begin(), files.end(), [&](const SeriesFile& f) { return pred(f.h); });
  };
  TimeKey key = TimeKey::InstanceNumber;
  if (!by_position)
    key = TimeKey::InstanceNumber;  // without positions every file is a slice, by InstanceNumber
  else if (all([](const DicomHeader& h) { return h.has_temporal_position_identifier; }))
    key = TimeKey::TemporalPositionIdentifier;
  else if (all([](const DicomHeader& h) { return std::isfinite(h.trigger_time_ms); }))
    key = TimeKey::TriggerTime;
  else if (all([](const DicomHeader& h) {
             return std::isfinite(h.acquisition_time_s) || std::isfinite(h.acquisition_datetime_s);
           }))
    key = TimeKey::AcquisitionTime;

  // slices: files grouped by position along the normal, ascending
  std::vector<const SeriesFile*> order;
  for (const SeriesFile& f : files) order.push_back(&f);
  std::stable_sort(order.begin(), order.end(), [](const SeriesFile* a, const SeriesFile* b) { return a->along < b->along; });
  const double tol = by_position ? kPositionTolMm : 0.5;
  std::vector<std::vector<const SeriesFile*>> slices;
  for (const SeriesFile* f : order) {
    if (slices.empty() || f->along - slices.back().front()->along > tol) slices.emplace_back();
    slices.back().push_back(f);
  }
  for (auto& s : slices)
    std::stable_sort(s.begin(), s.end(), [key](const SeriesFile* a, const SeriesFile* b) {
      const double ka = time_key(a->h, key), kb = time_key(b->h, key);
      if (ka != kb) return ka < kb;
      if (a->h.instance_number != b->h.instance_number) return a->h.instance_number < b->h.instance_number;
      return a->h.path < b->h.path;
    });
  const std::int64_t nz = static_cast<std::int64_t>(slices.size());
  const std::int64_t nt = static_cast<std::int64_t>(slices.front().size());
  for (const auto& s : slices) {
    if (static_cast<std::int64_t>(s.size()) != nt)
      throw InputError(dir + ": slices have different numbers of time points (" + std::to_string(nt) +
                       " files at position " + fmt(slices.front().front()->along) + " mm, " + std::to_string(s.size()) +
                       " at " + fmt(s.front()->along) + " mm, e.g. " + s.front()->h.path + "; time from " +
                       time_key_name(key) + ")");
    if (key == TimeKey::TemporalPositionIdentifier)
      for (std::int64_t t = 0; t < nt; ++t) {
        const auto id = s[t]->h.temporal_position_identifier;
        if (id != slices.front()[t]->h.temporal_position_identifier || (t > 0 && id == s[t - 1]->h.temporal_position_identifier))
          throw InputError(dir + ": time points do not have the same slices (" + s[t]->h.path +
                           " has TemporalPositionIdentifier " + std::to_string(id) + ")");
      }
  }

  // spacing along the normal from the positions; uniform to 10 %
  const auto [dx, dy] = in_plane_spacing(h0);
  double dz = tag_slice_spacing(h0);
  if (!by_position && !std::isfinite(dz)) dz = 1.0;
  if (by_position) {
    if (nz > 1) {
      const double first = slices.front().front()->along, last = slices.back().front()->along;
      dz = (last - first) / static_cast<double>(nz - 1);
      for (std::int64_t z = 1; z < nz; ++z) {
        const double step = slices[z].front()->along - slices[z - 1].front()->along;
        if (std::fabs(step - dz) > 0.1 * dz)
          throw InputError(dir + ": uneven slice spacing (" + fmt(step) + " mm before " + slices[z].front()->h.path +
                           ", mean " + fmt(dz) + " mm); slices missing?");
      }
    } else if (!std::isfinite(dz)) {
      dz = 1.0;
    }
  }

  DicomLayout lay;
  lay.multiframe = false;
  const DicomHeader& first = slices.front().front()->h;
  lay.header = first;
  for (std::int64_t t = 0; t < nt; ++t)
    for (std::int64_t z = 0; z < nz; ++z) lay.files.push_back(slices[z][t]->h.path);
  ImageInfo& info = lay.info;
  info.path = dir;
  info.format = "DICOM series";
  info.grid.dims = {h0.columns, h0.rows, nz};
  info.grid.nt = nt;
  info.grid.spacing_mm = {dx, dy, dz};
  info.grid.affine = dicom_affine_ras(first.orientation, normal, first.position, info.grid.spacing_mm);
  fill_common_info(info, first);
  info.frame_times_s = series_times(slices, key);
  return lay;
}

}  // namespace voxflow::io::dicom
