// NIfTI-1 / NIfTI-2 reading through nifti_clib (nifti2_io.h, znzlib.h).
//
// The header is read with znz (gzip or plain), validated here (so that nifti_clib's own
// messages on stderr are never reached) and converted with nifti_convert_n{1,2}hdr2nim, which
// gives the qform/sform matrices, units and scaling. Voxels are then read plane range by plane
// range with znzseek/znzread: a rank reads the planes [z0 - halo, z0 + nz + halo) of every time
// point (clipped to the volume) and nothing else. Formulas: NIfTI-1 standard (nifti1.h
// comments), NIfTI-2 (nifti2.h); the data offset is nifti_clib's (vox_offset, at least the
// header size).
#include "io/nifti_reader.hpp"

#include <nifti2_io.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <deque>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "io/gzip_index.hpp"
#include "src/core/error.hpp"

#include <mpi.h>

namespace voxflow::io {
namespace {

/// nifti_clib prints on stderr at debug level >= 1; voxflow reports its own one-line errors.
void quiet_nifti() {
  static const bool once = [] {
    nifti_set_debug_level(0);
    return true;
  }();
  (void)once;
}

struct NimFree {
  void operator()(nifti_image* nim) const {
    if (nim) nifti_image_free(nim);
  }
};
using NimPtr = std::unique_ptr<nifti_image, NimFree>;

/// RAII znzFile (znzclose is a macro that takes the handle by reference).
class Znz {
 public:
  Znz(const std::string& path, bool gz) : fp_(znzopen(path.c_str(), "rb", gz ? 1 : 0)) {}
  ~Znz() {
    if (!znz_isnull(fp_)) znzclose(fp_);
  }
  Znz(const Znz&) = delete;
  Znz& operator=(const Znz&) = delete;
  bool ok() const { return !znz_isnull(fp_); }
  znzFile get() const { return fp_; }

 private:
  znzFile fp_;
};

std::string errno_text() { return std::strerror(errno); }

/// Existence, type and size checks common to header and data files; returns the size in bytes.
std::int64_t stat_input(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw InputError(path + ": cannot open NIfTI file (" + errno_text() + ")");
  if (S_ISDIR(st.st_mode)) throw InputError(path + ": is a folder, not a NIfTI file");
  if (st.st_size == 0) throw InputError(path + ": empty file, not a NIfTI image");
  return static_cast<std::int64_t>(st.st_size);
}

/// true when the file starts with the gzip magic bytes (so a mis-named file still works).
bool is_gzip(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw InputError(path + ": cannot open NIfTI file (" + errno_text() + ")");
  unsigned char m[2] = {0, 0};
  const size_t n = std::fread(m, 1, 2, f);
  std::fclose(f);
  return n == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

const char* supported_name(int dt) {
  switch (dt) {
    case DT_UINT8: return "uint8";
    case DT_INT16: return "int16";
    case DT_UINT16: return "uint16";
    case DT_INT32: return "int32";
    case DT_FLOAT32: return "float32";
    case DT_FLOAT64: return "float64";
    default: return nullptr;
  }
}

/// Everything the readers need about one file, from its header.
struct Header {
  ImageInfo info;
  NimPtr nim;
  std::string data_path;     // the .nii itself, or the .img of a two-file pair
  bool data_gz = false;
  std::int64_t data_offset = 0;
  int datatype = 0;
  int nbyper = 0;
  bool swap = false;         // data byte order differs from this CPU's
  bool scaled = false;
  double slope = 1.0, inter = 0.0;
};

/// Length factor to millimetres for NIfTI xyz units (unknown is taken as mm).
double space_factor(int xyz_units) {
  switch (xyz_units) {
    case NIFTI_UNITS_METER: return 1000.0;
    case NIFTI_UNITS_MICRON: return 1e-3;
    default: return 1.0;
  }
}

/// Time factor to seconds for NIfTI t units; 0 when the unit is not a time (Hz, ppm, rad/s).
/// Unknown units are taken as seconds (the usual convention for TR in pixdim[4]).
double time_factor(int time_units) {
  switch (time_units) {
    case NIFTI_UNITS_UNKNOWN:
    case NIFTI_UNITS_SEC: return 1.0;
    case NIFTI_UNITS_MSEC: return 1e-3;
    case NIFTI_UNITS_USEC: return 1e-6;
    default: return 0.0;
  }
}

Header read_header(const std::string& path) {
  quiet_nifti();
  const std::int64_t file_size = stat_input(path);
  const bool gz = is_gzip(path);

  constexpr size_t kBuf = sizeof(nifti_2_header);
  unsigned char buf[kBuf];
  std::memset(buf, 0, kBuf);
  size_t got = 0;
  {
    Znz f(path, gz);
    if (!f.ok()) throw InputError(path + ": cannot open NIfTI file (" + errno_text() + ")");
    got = znzread(buf, 1, kBuf, f.get());
    if (got == static_cast<size_t>(-1)) throw InputError(path + ": truncated or corrupt compressed NIfTI header");
  }
  if (got < sizeof(nifti_1_header))
    throw InputError(path + ": not a NIfTI file (" + std::to_string(got) + " bytes, too short for a NIfTI header)");

  const int ver = nifti_header_version(reinterpret_cast<const char*>(buf), got);
  if (ver == 0)
    throw InputError(path + ": ANALYZE 7.5 header without NIfTI magic, not a NIfTI-1/NIfTI-2 file");
  if (ver != 1 && ver != 2) throw InputError(path + ": not a NIfTI file (no NIfTI-1/NIfTI-2 header)");
  if (ver == 2 && got < sizeof(nifti_2_header)) throw InputError(path + ": truncated NIfTI-2 header");

  const size_t hsize = (ver == 1) ? sizeof(nifti_1_header) : sizeof(nifti_2_header);
  // A swapped copy for validation and for the raw fields nifti_clib alters (pixdim[4]).
  nifti_1_header raw1{}, h1{};
  nifti_2_header raw2{}, h2{};
  bool swapped = false;
  std::int64_t dim[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int dt = 0;
  double raw_pixdim4 = 0.0;
  double vox_offset = 0.0;
  bool onefile = false;
  if (ver == 1) {
    std::memcpy(&raw1, buf, sizeof raw1);
    h1 = raw1;
    swapped = h1.sizeof_hdr != static_cast<int>(sizeof(nifti_1_header));
    if (swapped) swap_nifti_header(&h1, 1);
    for (int i = 0; i < 8; ++i) dim[i] = h1.dim[i];
    dt = h1.datatype;
    raw_pixdim4 = h1.pixdim[4];
    vox_offset = h1.vox_offset;
    onefile = NIFTI_ONEFILE(h1);
  } else {
    std::memcpy(&raw2, buf, sizeof raw2);
    h2 = raw2;
    swapped = h2.sizeof_hdr != static_cast<int>(sizeof(nifti_2_header));
    if (swapped) swap_nifti_header(&h2, 2);
    for (int i = 0; i < 8; ++i) dim[i] = h2.dim[i];
    dt = h2.datatype;
    raw_pixdim4 = h2.pixdim[4];
    vox_offset = static_cast<double>(h2.vox_offset);
    onefile = NIFTI_ONEFILE(h2);
  }
  if (dim[0] < 1 || dim[0] > 7)
    throw InputError(path + ": invalid NIfTI header (dim[0] = " + std::to_string(dim[0]) + ")");
  for (int i = 1; i <= dim[0]; ++i)
    if (dim[i] < 1)
      throw InputError(path + ": invalid NIfTI header (dim[" + std::to_string(i) + "] = " + std::to_string(dim[i]) +
                       ")");
  {
    // refuse sizes no file can hold before any product overflows or anything is allocated
    double claimed = 1.0;
    for (int i = 1; i <= dim[0]; ++i) claimed *= static_cast<double>(dim[i]);
    if (claimed > 0x1p56)
      throw InputError(path + ": invalid NIfTI header (it claims " + std::to_string(claimed) + " voxels)");
  }
  for (int i = 5; i <= dim[0]; ++i)
    if (dim[i] > 1)
      throw InputError(path + ": " + std::to_string(dim[0]) + "D NIfTI image (dim[" + std::to_string(i) + "] = " +
                       std::to_string(dim[i]) + "); only 3D and 4D images are read");
  const char* dtname = supported_name(dt);
  if (!dtname)
    throw InputError(path + ": unsupported NIfTI datatype " + nifti_datatype_to_string(dt) + " (code " +
                     std::to_string(dt) + "); supported: uint8, int16, uint16, int32, float32, float64");

  Header h;
  // nifti_clib swaps its own copy of the raw header
  h.nim.reset(ver == 1 ? nifti_convert_n1hdr2nim(raw1, nullptr) : nifti_convert_n2hdr2nim(raw2, nullptr));
  if (!h.nim) throw InputError(path + ": invalid NIfTI header");
  const nifti_image& nim = *h.nim;
  h.datatype = dt;
  h.nbyper = nim.nbyper;
  h.swap = swapped && nim.nbyper > 1;

  // where the voxels are
  if (onefile) {
    // nifti_clib's rule: vox_offset, but never inside the header (old files with vox_offset 0
    // have their voxels right after the 348/540-byte header)
    h.data_path = path;
    h.data_gz = gz;
    h.data_offset = std::max<std::int64_t>(nim.iname_offset, static_cast<std::int64_t>(hsize));
  } else {
    char* img = nifti_findimgname(path.c_str(), nim.nifti_type);
    if (!img) throw InputError(path + ": NIfTI header of a two-file pair, but its .img data file was not found");
    h.data_path = img;
    std::free(img);
    stat_input(h.data_path);
    h.data_gz = is_gzip(h.data_path);
    h.data_offset = vox_offset > 0 ? static_cast<std::int64_t>(vox_offset) : 0;
  }

  ImageInfo& info = h.info;
  info.path = path;
  info.format = ver == 1 ? "NIfTI-1" : "NIfTI-2";
  info.datatype = dtname;
  Grid& g = info.grid;
  g.dims = {dim[1], dim[0] >= 2 ? dim[2] : 1, dim[0] >= 3 ? dim[3] : 1};
  g.nt = dim[0] >= 4 ? dim[4] : 1;

  const double sf = space_factor(nim.xyz_units);
  // nifti_clib replaces zero / non-finite pixdim by 1
  g.spacing_mm = {std::fabs(nim.dx) * sf, std::fabs(nim.dy) * sf, std::fabs(nim.dz) * sf};
  if (nim.sform_code > 0 || nim.qform_code > 0) {
    const nifti_dmat44& m = nim.sform_code > 0 ? nim.sto_xyz : nim.qto_xyz;
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) g.affine[r][c] = m.m[r][c] * (r < 3 ? sf : 1.0);
    g.affine[3] = {0.0, 0.0, 0.0, 1.0};
  } else {
    g.affine = Grid::scaling_affine(g.spacing_mm);
  }

  if (dim[0] >= 4) {
    const double tf = time_factor(nim.time_units);
    if (tf > 0.0 && std::isfinite(raw_pixdim4) && raw_pixdim4 > 0.0)
      for (std::int64_t t = 0; t < g.nt; ++t) info.frame_times_s.push_back(static_cast<double>(t) * raw_pixdim4 * tf);
  }

  // scl_slope 0 or non-finite means no scaling (nifti_clib already maps non-finite to 0)
  if (std::isfinite(nim.scl_slope) && nim.scl_slope != 0.0) {
    h.scaled = true;
    h.slope = nim.scl_slope;
    h.inter = std::isfinite(nim.scl_inter) ? nim.scl_inter : 0.0;
  }
  info.rescale_slope = h.scaled ? h.slope : 1.0;
  info.rescale_intercept = h.scaled ? h.inter : 0.0;
  info.description = std::string(nim.descrip, strnlen(nim.descrip, sizeof nim.descrip));

  // a plain file must hold all the voxels its header announces
  if (!h.data_gz) {
    const std::int64_t need = h.data_offset + g.n_voxels() * g.nt * h.nbyper;
    const std::int64_t have = (h.data_path == path) ? file_size : stat_input(h.data_path);
    if (have < need)
      throw InputError(h.data_path + ": truncated NIfTI file: the header needs " + std::to_string(need) +
                       " bytes, the file has " + std::to_string(have));
  } else {
    // deflate packs at most 1032 bytes into one (RFC 1951: a 258-byte match in under 2 bits): a
    // header that needs more than that is refused before the reader allocates for it
    const double need = static_cast<double>(h.data_offset) +
                        static_cast<double>(g.n_voxels()) * static_cast<double>(g.nt) * static_cast<double>(h.nbyper);
    const std::int64_t have = (h.data_path == path) ? file_size : stat_input(h.data_path);
    if (need > 1032.0 * static_cast<double>(have) + 65536.0)
      throw InputError(h.data_path + ": truncated or corrupt NIfTI file: the header needs " + std::to_string(need) +
                       " bytes of voxel data, more than a gzip file of " + std::to_string(have) + " bytes can hold");
  }
  return h;
}

template <class T>
void to_float(const unsigned char* src, std::int64_t n, float* dst, bool scaled, double slope, double inter) {
  for (std::int64_t v = 0; v < n; ++v) {
    T x;
    std::memcpy(&x, src + v * static_cast<std::int64_t>(sizeof(T)), sizeof(T));
    const double d = static_cast<double>(x);
    dst[v] = static_cast<float>(scaled ? d * slope + inter : d);
  }
}

void convert(const Header& h, const unsigned char* src, std::int64_t n, float* dst) {
  switch (h.datatype) {
    case DT_UINT8: to_float<std::uint8_t>(src, n, dst, h.scaled, h.slope, h.inter); break;
    case DT_INT16: to_float<std::int16_t>(src, n, dst, h.scaled, h.slope, h.inter); break;
    case DT_UINT16: to_float<std::uint16_t>(src, n, dst, h.scaled, h.slope, h.inter); break;
    case DT_INT32: to_float<std::int32_t>(src, n, dst, h.scaled, h.slope, h.inter); break;
    case DT_FLOAT32: to_float<float>(src, n, dst, h.scaled, h.slope, h.inter); break;
    case DT_FLOAT64: to_float<double>(src, n, dst, h.scaled, h.slope, h.inter); break;
    default: throw InternalError("nifti_reader: datatype " + std::to_string(h.datatype) + " reached convert()");
  }
}

/// Reads planes [za, zb) of every time point, calling sink(z, t, values of the planes as float).
/// Reads in chunks of at most ~64 MiB of file data.
template <class Sink>
void read_planes(const Header& h, std::int64_t za, std::int64_t zb, Sink&& sink) {
  const Grid& g = h.info.grid;
  const std::int64_t plane = g.plane_size();
  const std::int64_t plane_bytes = plane * h.nbyper;
  const std::int64_t total_bytes = g.n_voxels() * g.nt * h.nbyper;
  const std::string& p = h.data_path;
  // A .nii.gz that voxflow wrote is an indexed gzip (io/gzip_index.hpp): its member chain gives
  // the stream's length without inflating (every rank reaches the same truncation verdict at
  // once) and each rank inflates only the members of its planes. Any other gzip is a stream.
  std::unique_ptr<GzipIndex> index = h.data_gz ? GzipIndex::open(p) : nullptr;
  if (index && index->size() < h.data_offset + total_bytes)
    throw InputError(p + ": truncated NIfTI file: compressed data ends before the " + std::to_string(total_bytes) +
                     " voxel bytes its header says");
  Znz f(p, h.data_gz && !index);
  if (!f.ok()) throw InputError(p + ": cannot open NIfTI file (" + errno_text() + ")");

  const std::int64_t chunk_planes = std::max<std::int64_t>(1, (std::int64_t{64} << 20) / std::max<std::int64_t>(1, plane_bytes));
  std::vector<unsigned char> raw;
  std::vector<float> vals;
  for (std::int64_t t = 0; t < g.nt && za < zb; ++t) {
    for (std::int64_t z = za; z < zb; z += chunk_planes) {
      const std::int64_t np = std::min(chunk_planes, zb - z);
      const std::int64_t bytes = np * plane_bytes;
      const std::int64_t off = h.data_offset + (t * g.nz() + z) * plane_bytes;
      raw.resize(static_cast<size_t>(bytes));
      vals.resize(static_cast<size_t>(np * plane));
      size_t n = 0;
      if (index) {
        n = static_cast<size_t>(index->read(off, bytes, raw.data()));
      } else {
        if (znzseek(f.get(), static_cast<znz_off_t>(off), SEEK_SET) < 0)
          throw InputError(p + ": truncated NIfTI file (cannot seek to plane z=" + std::to_string(z) +
                           " of volume t=" + std::to_string(t) + ")");
        n = znzread(raw.data(), 1, static_cast<size_t>(bytes), f.get());
      }
      if (n == static_cast<size_t>(-1))
        throw InputError(p + ": truncated or corrupt compressed data at plane z=" + std::to_string(z) + " of volume t=" +
                         std::to_string(t));
      if (n != static_cast<size_t>(bytes))
        throw InputError(p + ": truncated NIfTI file: voxel data ends before plane z=" + std::to_string(z + static_cast<std::int64_t>(n) / plane_bytes) +
                         " of volume t=" + std::to_string(t) + " (file shorter than its header says)");
      if (h.swap) nifti_swap_Nbytes(np * plane, h.nbyper, raw.data());
      convert(h, raw.data(), np * plane, vals.data());
      sink(z, t, np, vals.data());
    }
  }
  // A compressed file's length is unknown until it is decompressed: check that the stream
  // holds the last voxel byte, so that every rank reports a truncated file, not only the
  // rank whose planes are missing. (Plain files were checked by size in read_header.)
  if (h.data_gz && !index && total_bytes > 0) {
    unsigned char last = 0;
    const bool seek_ok = znzseek(f.get(), static_cast<znz_off_t>(h.data_offset + total_bytes - 1), SEEK_SET) >= 0;
    const size_t n = seek_ok ? znzread(&last, 1, 1, f.get()) : 0;
    if (n != 1)
      throw InputError(p + ": truncated NIfTI file: compressed data ends before the " + std::to_string(total_bytes) +
                       " voxel bytes its header says");
  }
}

void check_slab(const Header& h, const Slab& slab, int halo, const char* who) {
  if (halo < 0) throw InternalError(std::string(who) + ": negative halo");
  if (slab.nz_global != h.info.grid.nz())
    throw InternalError(std::string(who) + ": slab made for nz = " + std::to_string(slab.nz_global) + " but " +
                        h.info.path + " has nz = " + std::to_string(h.info.grid.nz()));
}

/// Global plane range [za, zb) a rank reads: its slab plus the halo planes that exist.
std::pair<std::int64_t, std::int64_t> planes_to_read(const Slab& slab, int halo) {
  const std::int64_t za = std::max<std::int64_t>(0, slab.z0 - halo);
  const std::int64_t zb = std::min<std::int64_t>(slab.nz_global, slab.z_end() + halo);
  return {za, std::max(za, zb)};
}

}  // namespace

ImageInfo read_nifti_info(const std::string& path) { return read_header(path).info; }

Volume4D read_nifti_4d(const std::string& path, const Slab& slab, int halo) {
  Header h = read_header(path);
  check_slab(h, slab, halo, "read_nifti_4d");
  Volume4D vol(h.info.grid, slab, halo, "nifti4d");
  vol.frame_times_s = h.info.frame_times_s;
  auto host = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(host, 0.0f);  // planes outside the volume stay zero
  const std::int64_t plane = h.info.grid.plane_size();
  const auto [za, zb] = planes_to_read(slab, halo);
  read_planes(h, za, zb, [&](std::int64_t z, std::int64_t t, std::int64_t np, const float* v) {
    for (std::int64_t q = 0; q < np; ++q) {
      const std::int64_t base = vol.layout.index(0, 0, slab.to_local(z + q));
      for (std::int64_t p = 0; p < plane; ++p) host(base + p, t) = v[q * plane + p];
    }
  });
  Kokkos::deep_copy(vol.data, host);
  return vol;
}

Volume3D read_nifti_3d(const std::string& path, const Slab& slab, int halo) {
  Header h = read_header(path);
  if (h.info.grid.nt > 1)
    throw InputError(path + ": 4D NIfTI image (" + h.info.grid.describe() + "), a 3D volume was expected");
  check_slab(h, slab, halo, "read_nifti_3d");
  Volume3D vol(h.info.grid, slab, halo, "nifti3d");
  auto host = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(host, 0.0f);
  const std::int64_t plane = h.info.grid.plane_size();
  const auto [za, zb] = planes_to_read(slab, halo);
  read_planes(h, za, zb, [&](std::int64_t z, std::int64_t, std::int64_t np, const float* v) {
    const std::int64_t base = vol.layout.index(0, 0, slab.to_local(z));
    for (std::int64_t p = 0; p < np * plane; ++p) host(base + p) = v[p];
  });
  Kokkos::deep_copy(vol.data, host);
  return vol;
}


namespace {

constexpr int kTagPlanes = 7401;  // a message of whole planes for the receiver's next (z, t)
constexpr int kTagFailed = 7402;  // rank 0 failed: no more planes come

/// Global plane range [za, zb) every rank reads (its slab plus halo), on every rank.
std::vector<long long> plane_ranges(const Slab& slab, int halo, const Comm& comm) {
  const auto [za, zb] = planes_to_read(slab, halo);
  long long mine[2] = {static_cast<long long>(za), static_cast<long long>(zb)};
  std::vector<long long> all(2 * static_cast<std::size_t>(comm.size()));
  MPI_Allgather(mine, 2, MPI_LONG_LONG, all.data(), 2, MPI_LONG_LONG, comm.comm);
  return all;
}

/// The streamed read of a one-stream .nii.gz: rank 0 inflates the stream once, from the first to
/// the last voxel byte, in pieces of whole planes (about 4 MiB), converts its own planes and
/// collects every other rank's raw planes in (t, z) order, sending them (MPI_Isend) whenever 4 MiB
/// (at least one plane) have gathered and at the end; at most 64 MiB are in flight. A receiver
/// converts each message into its volume as it arrives (memory: its slab plus one message). When rank 0 fails (a truncated or
/// corrupt stream), it sends every rank still waiting a kTagFailed message and the final agreement
/// gives every rank its verdict; receivers always receive until their planes are complete or the
/// failure message came, so no rank waits for a message that never comes. Collective.
template <class Sink>
void stream_planes_from_root(const Header& h, const Slab& slab, int halo, const Comm& comm, Sink&& sink) {
  const Grid& g = h.info.grid;
  const std::int64_t plane = g.plane_size();
  const std::int64_t plane_bytes = plane * h.nbyper;
  const std::vector<long long> ranges = plane_ranges(slab, halo, comm);
  const int rank = comm.rank(), size = comm.size();
  std::exception_ptr err;
  auto convert_to = [&](std::int64_t z, std::int64_t t, std::int64_t np, unsigned char* raw, std::vector<float>& vals) {
    if (h.swap) nifti_swap_Nbytes(np * plane, h.nbyper, raw);
    vals.resize(static_cast<std::size_t>(np * plane));
    convert(h, raw, np * plane, vals.data());
    sink(z, t, np, vals.data());
  };
  if (rank == 0) {
    std::vector<unsigned char> raw;
    std::vector<float> vals;
    // each rank's planes are collected (across volumes t) up to `flush` bytes and sent without
    // waiting (MPI_Isend): few messages, and rank 0 goes on inflating while they travel
    const std::int64_t flush = std::max<std::int64_t>(plane_bytes, std::int64_t{4} << 20);
    const std::int64_t max_in_flight = std::max<std::int64_t>(2 * flush, std::int64_t{64} << 20);
    std::vector<std::vector<unsigned char>> out(static_cast<std::size_t>(size));
    struct InFlight {
      MPI_Request req;
      std::vector<unsigned char> buf;
    };
    std::deque<InFlight> flying;
    std::int64_t flying_bytes = 0;
    auto reap = [&](bool all) {  // completes finished sends (all of them when `all`)
      while (!flying.empty()) {
        int done = 0;
        if (all || flying_bytes > max_in_flight) {
          MPI_Wait(&flying.front().req, MPI_STATUS_IGNORE);
          done = 1;
        } else {
          MPI_Test(&flying.front().req, &done, MPI_STATUS_IGNORE);
        }
        if (!done) break;
        flying_bytes -= static_cast<std::int64_t>(flying.front().buf.size());
        flying.pop_front();
      }
    };
    auto send = [&](int r) {
      std::vector<unsigned char>& o = out[static_cast<std::size_t>(r)];
      if (o.empty()) return;
      flying.push_back(InFlight{MPI_REQUEST_NULL, std::move(o)});
      o = std::vector<unsigned char>();
      InFlight& f = flying.back();
      flying_bytes += static_cast<std::int64_t>(f.buf.size());
      MPI_Isend(f.buf.data(), static_cast<int>(f.buf.size()), MPI_BYTE, r, kTagPlanes, comm.comm, &f.req);
      reap(false);
    };
    // every rank with planes waits for messages until its planes are complete
    std::vector<char> waiting(static_cast<std::size_t>(size), 0);
    for (int r = 1; r < size; ++r) waiting[static_cast<std::size_t>(r)] = ranges[2 * r + 1] > ranges[2 * r] && g.nt > 0;
    try {
      Znz f(h.data_path, true);
      if (!f.ok()) throw InputError(h.data_path + ": cannot open NIfTI file (" + errno_text() + ")");
      if (znzseek(f.get(), static_cast<znz_off_t>(h.data_offset), SEEK_SET) < 0)
        throw InputError(h.data_path + ": truncated NIfTI file (no voxel data after the header)");
      const std::int64_t piece = std::max<std::int64_t>(1, (std::int64_t{4} << 20) / std::max<std::int64_t>(1, plane_bytes));
      for (std::int64_t t = 0; t < g.nt; ++t)
        for (std::int64_t z = 0; z < g.nz(); z += piece) {
          const std::int64_t np = std::min(piece, g.nz() - z);
          const std::int64_t bytes = np * plane_bytes;
          raw.resize(static_cast<size_t>(bytes));
          const size_t n = znzread(raw.data(), 1, static_cast<size_t>(bytes), f.get());
          if (n == static_cast<size_t>(-1))
            throw InputError(h.data_path + ": truncated or corrupt compressed data at plane z=" + std::to_string(z) +
                             " of volume t=" + std::to_string(t));
          if (n != static_cast<size_t>(bytes))
            throw InputError(h.data_path + ": truncated NIfTI file: voxel data ends before plane z=" +
                             std::to_string(z + static_cast<std::int64_t>(n) / plane_bytes) + " of volume t=" +
                             std::to_string(t) + " (file shorter than its header says)");
          for (int r = 1; r < size; ++r) {  // the raw planes of [z, z + np) that rank r reads
            const std::int64_t a = std::max<std::int64_t>(z, ranges[2 * r]), b = std::min<std::int64_t>(z + np, ranges[2 * r + 1]);
            if (a >= b) continue;
            std::vector<unsigned char>& o = out[static_cast<std::size_t>(r)];
            o.insert(o.end(), raw.begin() + (a - z) * plane_bytes, raw.begin() + (b - z) * plane_bytes);
            const bool last = t == g.nt - 1 && b == ranges[2 * r + 1];
            if (last || static_cast<std::int64_t>(o.size()) >= flush) send(r);
            if (last) waiting[static_cast<std::size_t>(r)] = 0;
          }
          const std::int64_t a = std::max<std::int64_t>(z, ranges[0]), b = std::min<std::int64_t>(z + np, ranges[1]);
          if (a < b) convert_to(a, t, b - a, raw.data() + (a - z) * plane_bytes, vals);
          reap(false);
        }
      // one byte past the voxels: zlib checks the stream's CRC-32 and length where it ends, so a
      // corrupt stream that still inflated is found here (-1); end of file or more bytes are fine
      unsigned char past = 0;
      if (znzread(&past, 1, 1, f.get()) == static_cast<size_t>(-1))
        throw InputError(h.data_path + ": corrupt compressed NIfTI data (gzip CRC-32 or length check failed)");
    } catch (...) {
      err = std::current_exception();
      for (int r = 1; r < size; ++r)
        if (waiting[static_cast<std::size_t>(r)]) {
          send(r);  // what was collected, then the failure (messages of one sender arrive in order)
          MPI_Send(nullptr, 0, MPI_BYTE, r, kTagFailed, comm.comm);
        }
    }
    reap(true);
  } else {
    const std::int64_t za = ranges[2 * rank], zb = ranges[2 * rank + 1];
    std::vector<unsigned char> raw;
    std::vector<float> vals;
    std::int64_t z = za, t = 0;
    while (za < zb && t < g.nt) {
      MPI_Status st;
      MPI_Probe(0, MPI_ANY_TAG, comm.comm, &st);
      int count = 0;
      MPI_Get_count(&st, MPI_BYTE, &count);
      if (st.MPI_TAG == kTagFailed) {
        MPI_Recv(nullptr, 0, MPI_BYTE, 0, kTagFailed, comm.comm, MPI_STATUS_IGNORE);
        break;  // rank 0 reports the failure in the agreement below
      }
      raw.resize(static_cast<std::size_t>(count));
      MPI_Recv(raw.data(), count, MPI_BYTE, 0, kTagPlanes, comm.comm, MPI_STATUS_IGNORE);
      // the message holds whole planes of this rank's range, in (t, z) order, across volumes
      std::int64_t left = count / plane_bytes;
      if (left < 1 || left * plane_bytes != count) {
        if (!err)
          err = std::make_exception_ptr(InternalError(h.data_path + ": streamed read: unexpected message of " +
                                                      std::to_string(count) + " bytes"));
        left = std::max<std::int64_t>(left, 1);
      }
      unsigned char* at = raw.data();
      while (left > 0 && t < g.nt) {
        const std::int64_t np = std::min(left, zb - z);
        if (!err) {
          try {
            convert_to(z, t, np, at, vals);
          } catch (...) {
            err = std::current_exception();
          }
        }
        at += np * plane_bytes;
        left -= np;
        z += np;
        if (z >= zb) {
          z = za;
          ++t;
        }
      }
    }
  }
  collective_check(comm, [&] {
    if (err) std::rethrow_exception(err);
  });
}

/// The header on every rank (agreed), and whether the data is one gzip stream that rank 0 should
/// stream to the others (every rank must agree on that too).
Header agreed_header(const std::string& path, const Slab& slab, int halo, const Comm& comm, const char* who,
                     bool& stream) {
  Header h;
  bool mine = false;
  collective_check(comm, [&] {
    h = read_header(path);
    check_slab(h, slab, halo, who);
    const std::int64_t plane_bytes = h.info.grid.plane_size() * h.nbyper;
    mine = comm.size() > 1 && h.data_gz && plane_bytes <= (std::int64_t{1} << 30) && !GzipIndex::open(h.data_path);
  });
  stream = comm.all(mine);
  return h;
}

}  // namespace

Volume4D read_nifti_4d(const std::string& path, const Slab& slab, int halo, const Comm& comm) {
  bool stream = false;
  Header h = agreed_header(path, slab, halo, comm, "read_nifti_4d", stream);
  Volume4D vol;
  if (!stream) {
    collective_check(comm, [&] { vol = read_nifti_4d(path, slab, halo); });
    return vol;
  }
  decltype(Kokkos::create_mirror_view(vol.data)) host;
  collective_check(comm, [&] {
    vol = Volume4D(h.info.grid, slab, halo, "nifti4d");
    vol.frame_times_s = h.info.frame_times_s;
    host = Kokkos::create_mirror_view(vol.data);
    Kokkos::deep_copy(host, 0.0f);  // planes outside the volume stay zero
  });
  const std::int64_t plane = h.info.grid.plane_size();
  stream_planes_from_root(h, slab, halo, comm, [&](std::int64_t z, std::int64_t t, std::int64_t np, const float* v) {
    for (std::int64_t q = 0; q < np; ++q) {
      const std::int64_t base = vol.layout.index(0, 0, slab.to_local(z + q));
      for (std::int64_t p = 0; p < plane; ++p) host(base + p, t) = v[q * plane + p];
    }
  });
  Kokkos::deep_copy(vol.data, host);
  return vol;
}

Volume3D read_nifti_3d(const std::string& path, const Slab& slab, int halo, const Comm& comm) {
  bool stream = false;
  Header h = agreed_header(path, slab, halo, comm, "read_nifti_3d", stream);
  Volume3D vol;
  if (!stream || h.info.grid.nt > 1) {  // a 4D file: read_nifti_3d's own error, on every rank
    collective_check(comm, [&] { vol = read_nifti_3d(path, slab, halo); });
    return vol;
  }
  decltype(Kokkos::create_mirror_view(vol.data)) host;
  collective_check(comm, [&] {
    vol = Volume3D(h.info.grid, slab, halo, "nifti3d");
    host = Kokkos::create_mirror_view(vol.data);
    Kokkos::deep_copy(host, 0.0f);
  });
  const std::int64_t plane = h.info.grid.plane_size();
  stream_planes_from_root(h, slab, halo, comm, [&](std::int64_t z, std::int64_t, std::int64_t np, const float* v) {
    const std::int64_t base = vol.layout.index(0, 0, slab.to_local(z));
    for (std::int64_t p = 0; p < np * plane; ++p) host(base + p) = v[p];
  });
  Kokkos::deep_copy(vol.data, host);
  return vol;
}

}  // namespace voxflow::io
