// NIfTI-1 map writing, in parallel: rank 0 builds the header with nifti_clib (nifti_make_new_nim,
// then the geometry of the grid or the reference file; nifti_convert_nim2n1hdr gives its 348
// bytes, then 4 bytes of empty extension flag: data at offset 352); every rank converts its owned
// planes to the output type and, for .nii.gz, deflates them (rank 0: header + its planes) as
// indexed gzip members of 1 MiB (io/gzip_index.hpp; RFC 1952: a .nii.gz of several members is one
// valid gzip stream: zlib's gzread, nifti_clib, nibabel and Python's gzip read it whole; the
// members' lengths in their headers let read_nifti_* inflate only a rank's own planes). The members' sizes are prefix-summed
// (MPI_Exscan), each rank writes its bytes at its offset into "<path>.tmp-<run id>" and fsyncs,
// then rank 0 renames the file. Deflating, the costly part, thus runs on every rank at once.
// Local failures are agreed on (collective_check); no collective runs inside an agreement.
#include "io/nifti_writer.hpp"

#include "io/atomic_file.hpp"

#include <mpi.h>
#include <fcntl.h>
#include <nifti2_io.h>
#include <unistd.h>
#include <zlib.h>

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

#include "io/gzip_index.hpp"
#include "io/nifti_reader.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {
namespace {

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

/// Rank 0: the header of the map; `refnim` is the reference file's header (read once per call of
/// write_nifti_maps) or null. Throws InputError for a reference of other dims.
NimPtr build_header(const std::string& path, const NiftiReference& ref, const nifti_image* refnim, MapType type,
                    const std::string& description, const std::string& units) {
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

  if (refnim) {
    const nifti_image* r = refnim;
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

/// pwrite all of `bytes` at `offset`, then fsync. Throws InternalError.
void write_at(const std::string& tmp, const std::string& path, const unsigned char* p, std::size_t bytes, std::int64_t offset) {
  const int fd = ::open(tmp.c_str(), O_WRONLY);
  if (fd < 0) throw InternalError(path + ": cannot open " + tmp + " (" + std::strerror(errno) + ")");
  off_t off = static_cast<off_t>(offset);
  while (bytes > 0) {
    const ssize_t w = ::pwrite(fd, p, bytes, off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int e = errno;
      ::close(fd);
      throw InternalError(path + ": write to " + tmp + " failed (" + std::strerror(e) + ")");
    }
    p += w;
    off += w;
    bytes -= static_cast<std::size_t>(w);
  }
  const bool synced = ::fsync(fd) == 0 || errno == EINVAL;
  ::close(fd);
  if (!synced) throw InternalError(path + ": fsync of " + tmp + " failed");
}

}  // namespace

void write_nifti_map(const std::string& path, const Volume3D& map, const NiftiReference& ref, MapType type,
                     const Comm& comm, const std::string& description, const std::string& units) {
  write_nifti_maps({NiftiMapOutput{path, &map, type, description, units}}, ref, comm);
}

void write_nifti_maps(const std::vector<NiftiMapOutput>& maps, const NiftiReference& ref, const Comm& comm) {
  const int rank = comm.rank(), size = comm.size();
  const std::size_t n_maps = maps.size();
  if (n_maps == 0) return;
  for (const auto& m : maps)
    if (!m.map) throw InternalError("write_nifti_maps: " + m.path + " has no volume");
  // every map of one call shares the slab layout (the callers pass a MapSet's maps, or one map)
  const SlabLayout& lay = maps.front().map->layout;
  const std::int64_t plane = lay.plane_size();

  // Every rank: its slab (z0, nz) goes to rank 0, which checks that the slabs tile the volume.
  long long mine[2] = {static_cast<long long>(lay.slab.z0), static_cast<long long>(lay.slab.nz)};
  std::vector<long long> slabs(rank == 0 ? 2 * static_cast<size_t>(size) : 0);
  MPI_Gather(mine, 2, MPI_LONG_LONG, slabs.data(), 2, MPI_LONG_LONG, 0, comm.comm);

  // Stage 1 (rank 0): validate, build every header (the reference read once), create the (empty)
  // temporary files. Rank 0 decides; its verdict (type and message) is every rank's.
  std::vector<std::string> tmps(n_maps);
  for (std::size_t k = 0; k < n_maps; ++k) tmps[k] = temp_name_for(maps[k].path);
  std::vector<std::vector<unsigned char>> headers(n_maps);  // rank 0: the 352 bytes of each file
  auto remove_tmps = [&] {
    if (rank == 0)
      for (const auto& t : tmps) std::remove(t.c_str());
  };
  Status st;
  if (rank == 0) st = run_on_root([&] {
    const Grid& g = ref.grid;
    for (const auto& m : maps) {
      if (!(ends_with(m.path, ".nii") || ends_with(m.path, ".gz")))
        throw InputError(m.path + ": a NIfTI map must be named *.nii or *.nii.gz");
      if (m.map->layout.grid.dims != lay.grid.dims || m.map->layout.slab.z0 != lay.slab.z0 ||
          m.map->layout.slab.nz != lay.slab.nz)
        throw InternalError(m.path + ": maps of one write_nifti_maps call must share their slab layout");
    }
    if (g.dims != lay.grid.dims)
      throw InternalError(maps.front().path + ": map is " + lay.grid.describe() + " but its reference grid is " +
                          g.describe());
    long long next = 0;
    for (int r = 0; r < size; ++r) {
      if (slabs[2 * r] != next && slabs[2 * r + 1] > 0)
        throw InternalError(maps.front().path + ": slab of rank " + std::to_string(r) + " does not follow the previous one");
      next += slabs[2 * r + 1];
    }
    if (next != g.dims[2])
      throw InternalError(maps.front().path + ": the ranks' slabs hold " + std::to_string(next) +
                          " planes, the grid has " + std::to_string(g.dims[2]));
    for (int a = 0; a < 3; ++a)
      if (g.dims[a] < 1) throw InternalError(maps.front().path + ": cannot write an empty map (" + g.describe() + ")");
    NimPtr refnim = ref.reference_nifti.empty() ? NimPtr() : read_reference_nim(ref.reference_nifti);
    try {
      for (std::size_t k = 0; k < n_maps; ++k) {
        const NiftiMapOutput& m = maps[k];
        NimPtr nim = build_header(m.path, ref, refnim.get(), m.type, m.description, m.units);
        nifti_set_iname_offset(nim.get(), 1);
        nifti_1_header hdr;
        if (nifti_convert_nim2n1hdr(nim.get(), &hdr) != 0)
          throw InputError(m.path + ": map " + g.describe() + " does not fit a NIfTI-1 header (dims > 32767)");
        if (nim->iname_offset != 352 || static_cast<int>(hdr.vox_offset) != 352)
          throw InternalError(m.path + ": unexpected NIfTI data offset " + std::to_string(nim->iname_offset));
        headers[k].assign(352, 0);  // header + extension flag {0, 0, 0, 0}
        std::memcpy(headers[k].data(), &hdr, sizeof hdr);
        const int fd = ::open(tmps[k].c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
          const int e = errno;
          const std::string why = std::strerror(e);
          if (e == ENOENT || e == ENOTDIR || e == EACCES || e == EROFS || e == EPERM || e == EISDIR)
            throw InputError(m.path + ": cannot write NIfTI map (folder missing or not writable: " + why + ")");
          throw InternalError(m.path + ": cannot create " + tmps[k] + " (" + why + ")");
        }
        ::close(fd);
      }
    } catch (...) {
      remove_tmps();
      throw;
    }
  });
  st = broadcast_status(comm, st);
  if (st.code != 0) throw_status(st);

  // Stages 2 and 3 in groups of maps whose encoded slabs fit kGroupBytes (the same grouping on
  // every rank: it depends on the largest slab only), so that a rank holds at most one group of
  // compressed members: encode (and deflate) every map of the group, one prefix sum of all their
  // sizes, every rank writes its members at their offsets and fsyncs, rank 0 renames.
  constexpr std::int64_t kGroupBytes = std::int64_t{256} << 20;
  const std::int64_t max_slab_planes = static_cast<std::int64_t>(comm.max(static_cast<double>(lay.slab.nz)));
  std::size_t done = 0;
  try {
    while (done < n_maps) {
      std::size_t end = done;
      std::int64_t group_bytes = 0;
      do {
        group_bytes += max_slab_planes * plane * bytes_per_voxel(maps[end].type);
        ++end;
      } while (end < n_maps && group_bytes + max_slab_planes * plane * bytes_per_voxel(maps[end].type) <= kGroupBytes);
      const std::size_t count = end - done;

      std::vector<std::vector<unsigned char>> members(count);
      collective_check(comm, [&] {
        std::vector<unsigned char> bytes;  // one map's part of the file, uncompressed
        for (std::size_t k = done; k < end; ++k) {
          const NiftiMapOutput& m = maps[k];
          const Volume3D& map = *m.map;
          const bool gz = ends_with(m.path, ".gz");
          auto owned_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), map.data);
          const float* owned = owned_host.data() + lay.owned_to_storage(0);
          const std::size_t head = rank == 0 ? headers[k].size() : 0;
          const std::size_t body = static_cast<std::size_t>(lay.slab.nz * plane * bytes_per_voxel(m.type));
          std::vector<unsigned char>& member = members[k - done];
          if (gz && m.type == MapType::Float32 && head == 0) {
            // nothing to convert: deflate straight from the map (no copy)
            if (body > 0) member = indexed_gzip(reinterpret_cast<const unsigned char*>(owned), body, m.path);
            continue;
          }
          bytes.resize(head + body);
          if (head > 0) std::memcpy(bytes.data(), headers[k].data(), head);
          encode(owned, lay.slab.nz * plane, m.type, bytes.data() + head);
          if (gz && !bytes.empty())
            member = indexed_gzip(bytes.data(), bytes.size(), m.path);
          else
            member.assign(bytes.begin(), bytes.end());
        }
      });
      std::vector<long long> my_sizes(count), offsets(count, 0);
      for (std::size_t i = 0; i < count; ++i) my_sizes[i] = static_cast<long long>(members[i].size());
      MPI_Exscan(my_sizes.data(), offsets.data(), static_cast<int>(count), MPI_LONG_LONG, MPI_SUM, comm.comm);
      if (rank == 0) std::fill(offsets.begin(), offsets.end(), 0LL);  // MPI_Exscan leaves rank 0's undefined

      collective_check(comm, [&] {
        for (std::size_t i = 0; i < count; ++i)
          if (!members[i].empty())
            write_at(tmps[done + i], maps[done + i].path, members[i].data(), members[i].size(), offsets[i]);
      });
      std::vector<std::vector<unsigned char>>().swap(members);
      collective_check(comm, [&] {
        if (rank != 0) return;
        for (std::size_t k = done; k < end; ++k)
          if (std::rename(tmps[k].c_str(), maps[k].path.c_str()) != 0)
            throw InternalError(maps[k].path + ": rename from " + tmps[k] + " failed (" + std::strerror(errno) + ")");
      });
      done = end;
    }
  } catch (...) {
    if (rank == 0)
      for (std::size_t k = done; k < n_maps; ++k) std::remove(tmps[k].c_str());
    throw;
  }
}

}  // namespace voxflow::io
