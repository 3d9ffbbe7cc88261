#include "io/npy_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "io/atomic_file.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {

std::string npy_header(const std::string& descr, const std::vector<std::int64_t>& shape, bool fortran_order) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran_order ? "True" : "False") +
                     ", 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  // magic(6) + version(2) + header_len(2) + dict + padding + '\n' is a multiple of 64
  size_t total = 10 + dict.size() + 1;
  size_t pad = (64 - total % 64) % 64;
  dict += std::string(pad, ' ');
  dict += '\n';
  std::string h = "\x93NUMPY";
  h += '\x01';
  h += '\x00';
  const auto len = static_cast<std::uint16_t>(dict.size());
  h += static_cast<char>(len & 0xff);
  h += static_cast<char>(len >> 8);
  return h + dict;
}

namespace {
template <class T>
void write_npy_impl(const std::string& path, const T* data, const std::vector<std::int64_t>& shape,
                    bool fortran_order, const char* descr) {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  AtomicFile out(path);
  const std::string h = npy_header(descr, shape, fortran_order);
  out.write(h.data(), h.size(), 0);
  out.write(data, sizeof(T) * static_cast<size_t>(n), h.size());
  out.commit();
}
}  // namespace

void write_npy(const std::string& path, const double* data, const std::vector<std::int64_t>& shape,
               bool fortran_order) {
  write_npy_impl(path, data, shape, fortran_order, "<f8");
}
void write_npy(const std::string& path, const float* data, const std::vector<std::int64_t>& shape,
               bool fortran_order) {
  write_npy_impl(path, data, shape, fortran_order, "<f4");
}

void write_npy_map(const std::string& path, const Volume3D& map, const Comm& comm) {
  const auto& L = map.layout;
  const std::vector<std::int64_t> shape = {L.grid.nx(), L.grid.ny(), L.grid.nz()};
  const std::string h = npy_header("<f8", shape, true);
  std::string tmp;
  collective_check(comm, [&] {
    if (comm.is_root()) {
      AtomicFile f(path);
      f.write(h.data(), h.size(), 0);
      f.release();  // keep the temporary; renamed below once every rank wrote
      tmp = f.temp_path();
    }
  });
  tmp = comm.broadcast(tmp);
  auto write_own_planes = [&] {
    if (L.slab.empty()) return;
    auto host = Kokkos::create_mirror_view(map.data);
    Kokkos::deep_copy(host, map.data);
    std::vector<double> buf(static_cast<size_t>(L.owned_voxels()));
    for (std::int64_t v = 0; v < L.owned_voxels(); ++v) buf[static_cast<size_t>(v)] = host(L.owned_to_storage(v));
    const int fd = ::open(tmp.c_str(), O_WRONLY);
    if (fd < 0) throw InternalError("cannot open " + tmp + ": " + std::strerror(errno));
    const off_t off = static_cast<off_t>(h.size() + sizeof(double) * L.slab.z0 * L.plane_size());
    const size_t bytes = buf.size() * sizeof(double);
    const ssize_t w = ::pwrite(fd, buf.data(), bytes, off);
    // every rank's planes are on the disk before rank 0 renames the file
    const bool synced = ::fsync(fd) == 0 || errno == EINVAL;
    ::close(fd);
    if (w != static_cast<ssize_t>(bytes)) throw InternalError("short write to " + tmp);
    if (!synced) throw InternalError("fsync " + tmp + ": " + std::strerror(errno));
  };
  try {
    collective_check(comm, write_own_planes);
  } catch (...) {
    if (comm.is_root()) std::remove(tmp.c_str());
    throw;
  }
  collective_check(comm, [&] {
    if (comm.is_root()) {
      // the file must have its full size even if the last ranks wrote nothing
      const off_t full = static_cast<off_t>(h.size() + sizeof(double) * L.grid.n_voxels());
      if (::truncate(tmp.c_str(), full) != 0 || !sync_file(tmp) || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw InternalError("cannot finish " + path + ": " + std::strerror(errno));
      }
    }
  });
}

}  // namespace voxflow::io
