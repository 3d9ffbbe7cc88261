#include "io/dicom_plan_broadcast.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <type_traits>
#include <vector>

#include "src/core/error.hpp"
#include "src/core/run_capturing.hpp"

namespace voxflow::io::dicom {

namespace {

constexpr char kMagic[4] = {'V', 'F', 'D', 'P'};
constexpr std::uint32_t kVersion = 1;

/// Appends values to a byte string: arithmetic types as their bytes (bool as one byte), strings
/// and vectors as a 64-bit count followed by the elements, arrays element by element.
struct Writer {
  std::string out;
  template <class T>
  std::enable_if_t<std::is_arithmetic_v<T>> operator()(const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      out.push_back(v ? '\1' : '\0');
    } else {
      char b[sizeof(T)];
      std::memcpy(b, &v, sizeof(T));
      out.append(b, sizeof(T));
    }
  }
  void operator()(const std::string& s) {
    (*this)(static_cast<std::uint64_t>(s.size()));
    out += s;
  }
  template <class T, std::size_t N>
  void operator()(const std::array<T, N>& a) {
    for (const T& v : a) (*this)(v);
  }
  template <class T>
  void operator()(const std::vector<T>& v) {
    (*this)(static_cast<std::uint64_t>(v.size()));
    for (const T& x : v) (*this)(x);
  }
};

/// Reads back what Writer wrote; throws InternalError past the end.
struct Reader {
  const std::string& in;
  std::size_t at = 0;
  void need(std::uint64_t n) const {
    if (n > in.size() - at) throw InternalError("DICOM plan broadcast: truncated plan (" + std::to_string(in.size()) + " bytes)");
  }
  template <class T>
  std::enable_if_t<std::is_arithmetic_v<T>> operator()(T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      need(1);
      v = in[at++] != '\0';
    } else {
      need(sizeof(T));
      std::memcpy(&v, in.data() + at, sizeof(T));
      at += sizeof(T);
    }
  }
  void operator()(std::string& s) {
    std::uint64_t n = 0;
    (*this)(n);
    need(n);
    s.assign(in, at, static_cast<std::size_t>(n));
    at += static_cast<std::size_t>(n);
  }
  template <class T, std::size_t N>
  void operator()(std::array<T, N>& a) {
    for (T& v : a) (*this)(v);
  }
  template <class T>
  void operator()(std::vector<T>& v) {
    std::uint64_t n = 0;
    (*this)(n);
    need(n);  // every element takes at least one byte: a bad count cannot allocate much
    v.clear();
    v.resize(static_cast<std::size_t>(n));
    for (T& x : v) (*this)(x);
  }
};

// One list of the fields for both directions (L is DicomLayout or const DicomLayout).
template <class A, class G>
void grid_fields(A& a, G& g) {
  a(g.dims);
  a(g.nt);
  a(g.spacing_mm);
  a(g.affine);
}

template <class A, class I>
void info_fields(A& a, I& i) {
  a(i.path);
  a(i.format);
  grid_fields(a, i.grid);
  a(i.datatype);
  a(i.frame_times_s);
  a(i.rescale_slope);
  a(i.rescale_intercept);
  a(i.description);
}

template <class A, class H>
void header_fields(A& a, H& h) {
  a(h.path);
  a(h.transfer_syntax_uid);
  a(h.transfer_syntax_name);
  a(h.encapsulated);
  a(h.big_endian);
  a(h.decodable);
  a(h.has_pixel_data);
  a(h.has_float_pixel_data);
  a(h.rows);
  a(h.columns);
  a(h.samples_per_pixel);
  a(h.photometric);
  a(h.bits_allocated);
  a(h.bits_stored);
  a(h.high_bit);
  a(h.pixel_representation);
  a(h.number_of_frames);
  a(h.pixel_spacing);
  a(h.slice_thickness);
  a(h.spacing_between_slices);
  a(h.has_orientation);
  a(h.orientation);
  a(h.has_position);
  a(h.position);
  a(h.rescale_slope);
  a(h.rescale_intercept);
  a(h.frame_rescale_slope);
  a(h.frame_rescale_intercept);
  a(h.number_of_slices);
  a(h.number_of_temporal_positions);
  a(h.frame_positions);
  a(h.frame_time_ms);
  a(h.frame_time_vector);
  a(h.frame_datetime_s);
  a(h.has_temporal_position_identifier);
  a(h.temporal_position_identifier);
  a(h.trigger_time_ms);
  a(h.acquisition_time_s);
  a(h.acquisition_datetime_s);
  a(h.instance_number);
  a(h.sop_class_uid);
  a(h.series_instance_uid);
  a(h.series_description);
}

template <class A, class L>
void layout_fields(A& a, L& lay) {
  info_fields(a, lay.info);
  a(lay.multiframe);
  header_fields(a, lay.header);
  a(lay.files);
}

}  // namespace

std::string encode_layout(const DicomLayout& lay) {
  Writer w;
  w.out.append(kMagic, sizeof kMagic);
  w(kVersion);
  layout_fields(w, lay);
  return std::move(w.out);
}

DicomLayout decode_layout(const std::string& bytes) {
  if (bytes.size() < sizeof kMagic + sizeof kVersion || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw InternalError("DICOM plan broadcast: not a plan (" + std::to_string(bytes.size()) + " bytes)");
  Reader r{bytes, sizeof kMagic};
  std::uint32_t version = 0;
  r(version);
  if (version != kVersion) throw InternalError("DICOM plan broadcast: plan version " + std::to_string(version));
  DicomLayout lay;
  layout_fields(r, lay);
  if (r.at != bytes.size())
    throw InternalError("DICOM plan broadcast: " + std::to_string(bytes.size() - r.at) + " bytes after the plan");
  return lay;
}

DicomLayout broadcast_layout(const Comm& comm, const std::function<DicomLayout()>& make_plan) {
  // One message from rank 0 carries the plan ('P' + bytes) or its failure ('E' + exit code), so
  // the failure is agreed on by the broadcast itself: no rank can fail before it, only rank 0 runs
  // make_plan, and every rank learns the outcome from the same MPI_Bcast (no extra agreement).
  DicomLayout lay;
  std::exception_ptr err;
  int code = 0;
  std::string msg;
  if (comm.is_root()) {
    run_capturing(
        [&] {
          lay = make_plan();
          if (comm.size() > 1) msg = 'P' + encode_layout(lay);
        },
        err, code);
    if (err) msg = 'E' + std::to_string(code);
  }
  if (comm.size() > 1) msg = comm.broadcast(msg);  // MPI_Bcast of the size, then of the bytes
  if (err) std::rethrow_exception(err);  // rank 0: its own error, the one line the user reads
  if (comm.is_root()) return lay;
  if (msg.empty() || (msg[0] != 'P' && msg[0] != 'E'))
    fail_all_ranks("internal error: DICOM plan broadcast: unknown message (" + std::to_string(msg.size()) + " bytes)", 1);
  if (msg[0] == 'E') throw PeerFailure(0, std::atoi(msg.c_str() + 1));  // quiet, rank 0's exit code
  try {
    lay = decode_layout(msg.substr(1));
  } catch (const std::exception& e) {
    // the same build made these bytes on rank 0: only a bug gets here, and the other ranks have
    // gone on, so end the job (docs/design.md "Failure semantics")
    fail_all_ranks(std::string("internal error: ") + e.what(), 1);
  }
  return lay;
}

}  // namespace voxflow::io::dicom
