// NIfTI-1 map writing through nifti_clib: rank 0 builds the header (nifti_make_new_nim, then
// the geometry of the grid or the reference file), writes it with nifti_image_write_hdr_img2
// into a znzFile it opened on "<path>.tmp-<pid>" (gzip when path ends in .gz), then writes its
// own planes and those of ranks 1..N-1 received in rank order (MPI_Recv; each rank MPI_Send's
// its owned planes already converted to the output type). The status of every stage is
// broadcast from rank 0, so all ranks throw the same error and none waits forever.
#include "io/nifti_writer.hpp"

#include <mpi.h>
#include <nifti2_io.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "io/nifti_reader.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {
namespace {

constexpr int kTagData = 0x4e49;  // "NI"
/// largest message: whole planes up to this many bytes (MPI counts are int)
constexpr std::int64_t kMaxMessageBytes = std::int64_t{1} << 28;

struct NimFree {
  void operator()(nifti_image* nim) const {
    if (nim) nifti_image_free(nim);
  }
};
using NimPtr = std::unique_ptr<nifti_image, NimFree>;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int nifti_datatype(MapType type) {
  switch (type) {
    case MapType::Float32: return DT_FLOAT32;
    case MapType::UInt8: return DT_UINT8;
    case MapType::Int16: return DT_INT16;
  }
  return DT_FLOAT32;
}

int bytes_per_voxel(MapType type) {
  switch (type) {
    case MapType::Float32: return 4;
    case MapType::UInt8: return 1;
    case MapType::Int16: return 2;
  }
  return 4;
}

/// Round half away from zero and clamp to [lo, hi]; NaN gives 0.
template <class T>
T round_clamp(float v) {
  if (std::isnan(v)) return T(0);
  const double r = std::round(static_cast<double>(v));
  const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
  const double hi = static_cast<double>(std::numeric_limits<T>::max());
  return static_cast<T>(std::min(hi, std::max(lo, r)));
}

/// Converts n floats to the output type's bytes (this CPU's byte order, as the header says).
void encode(const float* src, std::int64_t n, MapType type, unsigned char* dst) {
  switch (type) {
    case MapType::Float32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); break;
    case MapType::UInt8:
      for (std::int64_t v = 0; v < n; ++v) dst[v] = round_clamp<std::uint8_t>(src[v]);
      break;
    case MapType::Int16:
      for (std::int64_t v = 0; v < n; ++v) {
        const std::int16_t x = round_clamp<std::int16_t>(src[v]);
        std::memcpy(dst + 2 * v, &x, 2);
      }
      break;
  }
}

/// The header of the reference file as nifti_clib's image struct (geometry fields only used).
NimPtr read_reference_nim(const std::string& ref) {
  (void)read_nifti_info(ref);  // validates (InputError naming the file) and silences nifti_clib
  unsigned char buf[sizeof(nifti_2_header)];
  std::memset(buf, 0, sizeof buf);
  znzFile fp = znzopen(ref.c_str(), "rb", 1);  // gzopen reads plain files transparently
  if (znz_isnull(fp)) throw InputError(ref + ": cannot open reference NIfTI file");
  const size_t got = znzread(buf, 1, sizeof buf, fp);
  znzclose(fp);
  const int ver = (got != static_cast<size_t>(-1)) ? nifti_header_version(reinterpret_cast<char*>(buf), got) : -1;
  NimPtr nim;
  if (ver == 1) {
    nifti_1_header h;
    std::memcpy(&h, buf, sizeof h);
    nim.reset(nifti_convert_n1hdr2nim(h, nullptr));
  } else if (ver == 2 && got >= sizeof(nifti_2_header)) {
    nifti_2_header h;
    std::memcpy(&h, buf, sizeof h);
    nim.reset(nifti_convert_n2hdr2nim(h, nullptr));
  }
  if (!nim) throw InputError(ref + ": cannot read the reference NIfTI header");
  return nim;
}

void set_string(char* dst, size_t cap, const std::string& s) {
  std::memset(dst, 0, cap);
  std::memcpy(dst, s.data(), std::min(s.size(), cap - 1));
}

/// Rank 0: the header of the map. Throws InputError for a bad reference.
NimPtr build_header(const std::string& path, const NiftiReference& ref, MapType type, const std::string& description,
                    const std::string& units) {
  const Grid& g = ref.grid;
  const int64_t dims[8] = {3, g.dims[0], g.dims[1], g.dims[2], 1, 1, 1, 1};
  NimPtr nim(nifti_make_new_nim(dims, nifti_datatype(type), 0));
  if (!nim) throw InternalError(path + ": nifti_make_new_nim failed");
  nifti_image& n = *nim;

  // geometry from the grid: sform = affine, qform = its rotation + offset, pixdim = spacing
  n.dx = n.pixdim[1] = g.spacing_mm[0];
  n.dy = n.pixdim[2] = g.spacing_mm[1];
  n.dz = n.pixdim[3] = g.spacing_mm[2];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) n.sto_xyz.m[r][c] = g.affine[r][c];
  n.sto_xyz.m[3][0] = n.sto_xyz.m[3][1] = n.sto_xyz.m[3][2] = 0.0;
  n.sto_xyz.m[3][3] = 1.0;
  n.sto_ijk = nifti_dmat44_inverse(n.sto_xyz);
  n.sform_code = NIFTI_XFORM_SCANNER_ANAT;
  double qdx = 0, qdy = 0, qdz = 0;
  nifti_dmat44_to_quatern(n.sto_xyz, &n.quatern_b, &n.quatern_c, &n.quatern_d, &n.qoffset_x, &n.qoffset_y,
                          &n.qoffset_z, &qdx, &qdy, &qdz, &n.qfac);
  n.qto_xyz = nifti_quatern_to_dmat44(n.quatern_b, n.quatern_c, n.quatern_d, n.qoffset_x, n.qoffset_y, n.qoffset_z,
                                      n.dx, n.dy, n.dz, n.qfac);
  n.qto_ijk = nifti_dmat44_inverse(n.qto_xyz);
  n.qform_code = NIFTI_XFORM_SCANNER_ANAT;
  n.xyz_units = NIFTI_UNITS_MM;
  n.time_units = NIFTI_UNITS_SEC;

  if (!ref.reference_nifti.empty()) {
    NimPtr r = read_reference_nim(ref.reference_nifti);
    if (r->nx != g.dims[0] || r->ny != g.dims[1] || r->nz != g.dims[2])
      throw InputError(ref.reference_nifti + ": reference NIfTI is " + std::to_string(r->nx) + " x " +
                       std::to_string(r->ny) + " x " + std::to_string(r->nz) + " but the map " + path + " is " +
                       g.describe());
    n.dx = n.pixdim[1] = r->dx;
    n.dy = n.pixdim[2] = r->dy;
    n.dz = n.pixdim[3] = r->dz;
    n.qform_code = r->qform_code;
    n.quatern_b = r->quatern_b;
    n.quatern_c = r->quatern_c;
    n.quatern_d = r->quatern_d;
    n.qoffset_x = r->qoffset_x;
    n.qoffset_y = r->qoffset_y;
    n.qoffset_z = r->qoffset_z;
    n.qfac = r->qfac;
    n.qto_xyz = r->qto_xyz;
    n.qto_ijk = r->qto_ijk;
    n.sform_code = r->sform_code;
    n.sto_xyz = r->sto_xyz;
    n.sto_ijk = r->sto_ijk;
    n.xyz_units = r->xyz_units;
    n.time_units = r->time_units;
    n.freq_dim = r->freq_dim;
    n.phase_dim = r->phase_dim;
    n.slice_dim = r->slice_dim;
    n.slice_code = r->slice_code;
    n.slice_start = r->slice_start;
    n.slice_end = r->slice_end;
    n.slice_duration = r->slice_duration;
    std::memcpy(n.descrip, r->descrip, sizeof n.descrip);
    n.descrip[sizeof n.descrip - 1] = '\0';
  }
  if (!description.empty()) set_string(n.descrip, sizeof n.descrip, description);
  if (!units.empty()) set_string(n.intent_name, sizeof n.intent_name, units);
  n.scl_slope = 1.0;
  n.scl_inter = 0.0;
  n.cal_min = n.cal_max = 0.0;
  n.nifti_type = NIFTI_FTYPE_NIFTI1_1;
  // fname passes nifti_clib's file name check; the header goes into our own temporary file
  if (n.fname) std::free(n.fname);
  if (n.iname) std::free(n.iname);
  n.fname = nifti_strdup(path.c_str());
  n.iname = nifti_strdup(path.c_str());
  return nim;
}

/// Status of a stage on rank 0, broadcast to every rank: 0 ok, else the exit code of the error.
struct Status {
  int code = 0;
  std::string message;
};

Status broadcast_status(const Comm& comm, Status s) {
  MPI_Bcast(&s.code, 1, MPI_INT, 0, comm.comm);
  s.message = comm.broadcast(s.message, 0);
  return s;
}

[[noreturn]] void throw_status(const Status& s) {
  if (s.code == 2) throw InputError(s.message);
  throw InternalError(s.message);
}

template <class F>
Status run_on_root(F&& f) {
  Status s;
  try {
    f();
  } catch (const Error& e) {
    s.code = e.exit_code() == 2 ? 2 : 1;
    s.message = e.what();
  } catch (const std::exception& e) {
    s.code = 1;
    s.message = e.what();
  }
  return s;
}

/// Rank 0's open temporary file; removed on destruction unless committed.
class TempOut {
 public:
  TempOut(const std::string& path, bool gz) : path_(path), tmp_(path + ".tmp-" + std::to_string(::getpid())) {
    errno = 0;
    fp_ = znzopen(tmp_.c_str(), "wb", gz ? 1 : 0);
    if (znz_isnull(fp_)) {
      const int e = errno;
      const std::string why = e ? std::strerror(e) : "cannot create file";
      if (e == ENOENT || e == ENOTDIR || e == EACCES || e == EROFS || e == EPERM || e == EISDIR || e == 0)
        throw InputError(path + ": cannot write NIfTI map (folder missing or not writable: " + why + ")");
      throw InternalError(path + ": cannot create " + tmp_ + " (" + why + ")");
    }
  }
  ~TempOut() {
    if (!znz_isnull(fp_)) znzclose(fp_);
    if (!committed_) std::remove(tmp_.c_str());
  }
  TempOut(const TempOut&) = delete;
  TempOut& operator=(const TempOut&) = delete;

  znzFile fp() const { return fp_; }
  /// nifti_clib closed and freed the handle (failed header write)
  void forget() { fp_ = nullptr; }
  void write(const void* data, std::int64_t bytes) {
    if (bytes <= 0) return;
    const size_t n = znzwrite(data, 1, static_cast<size_t>(bytes), fp_);
    if (n != static_cast<size_t>(bytes))
      throw InternalError(path_ + ": write failed (" + std::to_string(bytes) + " bytes to " + tmp_ + ")");
  }
  void commit() {
    const int rc = znzclose(fp_);  // also sets fp_ to NULL
    if (rc != 0) throw InternalError(path_ + ": closing " + tmp_ + " failed (disk full?)");
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
      throw InternalError(path_ + ": rename from " + tmp_ + " failed (" + std::strerror(errno) + ")");
    committed_ = true;
  }

 private:
  std::string path_, tmp_;
  znzFile fp_ = nullptr;
  bool committed_ = false;
};

}  // namespace

void write_nifti_map(const std::string& path, const Volume3D& map, const NiftiReference& ref, MapType type,
                     const Comm& comm, const std::string& description, const std::string& units) {
  const int rank = comm.rank(), size = comm.size();
  const SlabLayout& lay = map.layout;
  const std::int64_t plane = lay.plane_size();
  const int bpv = bytes_per_voxel(type);
  const std::int64_t plane_bytes = plane * bpv;
  const std::int64_t chunk_planes = std::max<std::int64_t>(1, kMaxMessageBytes / std::max<std::int64_t>(1, plane_bytes));

  // Every rank: its slab (z0, nz) goes to rank 0, which checks that the slabs tile the volume.
  long long mine[2] = {static_cast<long long>(lay.slab.z0), static_cast<long long>(lay.slab.nz)};
  std::vector<long long> slabs(rank == 0 ? 2 * static_cast<size_t>(size) : 0);
  MPI_Gather(mine, 2, MPI_LONG_LONG, slabs.data(), 2, MPI_LONG_LONG, 0, comm.comm);

  // Stage 1 (rank 0): validate, build the header, open the temporary file, write the header.
  NimPtr nim;
  std::unique_ptr<TempOut> out;
  Status st;
  if (rank == 0) {
    st = run_on_root([&] {
      if (!(ends_with(path, ".nii") || ends_with(path, ".nii.gz")))
        throw InputError(path + ": a NIfTI map must be named *.nii or *.nii.gz");
      const Grid& g = ref.grid;
      if (g.dims != lay.grid.dims)
        throw InternalError(path + ": map is " + lay.grid.describe() + " but its reference grid is " + g.describe());
      long long next = 0;
      for (int r = 0; r < size; ++r) {
        if (slabs[2 * r] != next && slabs[2 * r + 1] > 0)
          throw InternalError(path + ": slab of rank " + std::to_string(r) + " does not follow the previous one");
        next += slabs[2 * r + 1];
      }
      if (next != g.dims[2])
        throw InternalError(path + ": the ranks' slabs hold " + std::to_string(next) + " planes, the grid has " +
                            std::to_string(g.dims[2]));
      for (int a = 0; a < 3; ++a)
        if (g.dims[a] < 1) throw InternalError(path + ": cannot write an empty map (" + g.describe() + ")");
      nim = build_header(path, ref, type, description, units);
      nifti_1_header probe;
      if (nifti_convert_nim2n1hdr(nim.get(), &probe) != 0)
        throw InputError(path + ": map " + g.describe() + " does not fit a NIfTI-1 header (dims > 32767)");
      out = std::make_unique<TempOut>(path, ends_with(path, ".gz"));
      // write_opts 2: write the header (and the empty extension flag), leave the file open at
      // the data offset; nifti_clib writes into the znzFile passed as imgfile. With the header
      // checked above, a NULL return means the header write failed and nifti_clib closed the file.
      znzFile fp = nifti_image_write_hdr_img2(nim.get(), 2, "wb", out->fp(), nullptr);
      if (znz_isnull(fp)) {
        out->forget();
        throw InternalError(path + ": writing the NIfTI header failed");
      }
      if (nim->iname_offset != 352)
        throw InternalError(path + ": unexpected NIfTI data offset " + std::to_string(nim->iname_offset));
    });
  }
  st = broadcast_status(comm, st);
  if (st.code != 0) throw_status(st);  // rank 0's TempOut (if any) removed its file

  // Stage 2: data. Rank 0 writes its planes, then each other rank's in rank order; every other
  // rank sends its owned planes in chunks. Rank 0 keeps receiving after a write error so that
  // no sender blocks, then reports the error.
  auto owned_host = Kokkos::create_mirror_view(map.data);
  Kokkos::deep_copy(owned_host, map.data);
  const float* owned = owned_host.data() + lay.owned_to_storage(0);
  std::vector<unsigned char> buf;
  if (rank != 0) {
    for (std::int64_t z = 0; z < lay.slab.nz; z += chunk_planes) {
      const std::int64_t np = std::min(chunk_planes, lay.slab.nz - z);
      buf.resize(static_cast<size_t>(np * plane_bytes));
      encode(owned + z * plane, np * plane, type, buf.data());
      if (MPI_Send(buf.data(), static_cast<int>(buf.size()), MPI_BYTE, 0, kTagData, comm.comm) != MPI_SUCCESS)
        abort_all(path + ": MPI_Send of a NIfTI slab failed", 1);
    }
  } else {
    st = run_on_root([&] {
      Status first_error;
      for (int r = 0; r < size; ++r) {
        const std::int64_t nz = slabs[2 * r + 1];
        for (std::int64_t z = 0; z < nz; z += chunk_planes) {
          const std::int64_t np = std::min(chunk_planes, nz - z);
          buf.resize(static_cast<size_t>(np * plane_bytes));
          if (r == 0) {
            encode(owned + z * plane, np * plane, type, buf.data());
          } else if (MPI_Recv(buf.data(), static_cast<int>(buf.size()), MPI_BYTE, r, kTagData, comm.comm,
                              MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            abort_all(path + ": MPI_Recv of a NIfTI slab failed", 1);
          }
          if (first_error.code == 0) {
            first_error = run_on_root([&] { out->write(buf.data(), static_cast<std::int64_t>(buf.size())); });
          }
        }
      }
      if (first_error.code != 0) throw_status(first_error);
      out->commit();
    });
    out.reset();  // removes the temporary unless committed
  }
  st = broadcast_status(comm, st);
  if (st.code != 0) throw_status(st);
}

}  // namespace voxflow::io
