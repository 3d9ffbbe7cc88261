#include "src/core/fingerprint.hpp"

#include <cstdio>
#include <vector>

namespace voxflow {

std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

namespace {
template <class Host, class Get>
std::uint64_t combine_planes(const SlabLayout& L, const Comm& comm, std::int64_t nvals, Get get) {
  const std::int64_t P = L.plane_size();
  std::vector<unsigned long long> mine(static_cast<size_t>(L.slab.nz));
  std::vector<float> plane(static_cast<size_t>(P * nvals));
  for (std::int64_t k = 0; k < L.slab.nz; ++k) {
    size_t n = 0;
    for (std::int64_t v = 0; v < P; ++v)
      for (std::int64_t t = 0; t < nvals; ++t) plane[n++] = get(L.index(0, 0, k) + v, t);
    mine[static_cast<size_t>(k)] = fnv1a(plane.data(), plane.size() * sizeof(float));
  }
  const int ranks = comm.size();
  std::vector<int> counts(static_cast<size_t>(ranks)), displs(static_cast<size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    Slab s = make_slab(L.slab.nz_global, r, ranks);
    counts[static_cast<size_t>(r)] = static_cast<int>(s.nz);
    displs[static_cast<size_t>(r)] = static_cast<int>(s.z0);
  }
  std::vector<unsigned long long> all(static_cast<size_t>(L.slab.nz_global));
  MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_UNSIGNED_LONG_LONG, all.data(), counts.data(),
                 displs.data(), MPI_UNSIGNED_LONG_LONG, comm.comm);
  const auto& g = L.grid;
  std::uint64_t h = fnv1a(g.dims.data(), sizeof(g.dims));
  h = fnv1a(&g.nt, sizeof(g.nt), h);
  h = fnv1a(g.affine.data(), sizeof(g.affine), h);
  return fnv1a(all.data(), all.size() * sizeof(unsigned long long), h);
}
}  // namespace

std::uint64_t fingerprint(const Volume4D& vol, const Comm& comm) {
  auto h = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(h, vol.data);
  return combine_planes<decltype(h)>(vol.layout, comm, vol.nt(),
                                     [&](std::int64_t i, std::int64_t t) { return h(i, t); });
}

std::uint64_t fingerprint(const Volume3D& vol, const Comm& comm) {
  auto h = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(h, vol.data);
  return combine_planes<decltype(h)>(vol.layout, comm, 1, [&](std::int64_t i, std::int64_t) { return h(i); });
}

std::string to_hex(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace voxflow
