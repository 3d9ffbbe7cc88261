#include "src/core/halo_exchange.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "src/core/error.hpp"

namespace voxflow {
namespace {

struct Range {
  std::int64_t lo = 0, hi = 0;  // global planes [lo, hi)
  std::int64_t size() const { return std::max<std::int64_t>(0, hi - lo); }
};

Range intersect(Range a, Range b) { return {std::max(a.lo, b.lo), std::min(a.hi, b.hi)}; }

/// The halo planes rank r needs: below and above its slab, clipped to the volume.
std::pair<Range, Range> halo_needs(const Slab& s, int halo) {
  if (s.empty()) return {{0, 0}, {0, 0}};
  Range below{std::max<std::int64_t>(0, s.z0 - halo), s.z0};
  Range above{s.z_end(), std::min<std::int64_t>(s.nz_global, s.z_end() + halo)};
  return {below, above};
}

void check_mpi(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char buf[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, buf, &len);
    throw InternalError(std::string("halo exchange: ") + what + " failed: " + std::string(buf, len));
  }
}

/// Generic exchange. nvals = values per voxel; get(storage_voxel, t) / set(...) access the host view.
template <class HostView>
void exchange(const SlabLayout& L, HostView host, std::int64_t nvals, const Comm& comm) {
  const int ranks = comm.size(), me = comm.rank();
  if (L.halo == 0 || ranks == 1) return;
  const std::int64_t P = L.plane_size();
  const Range mine{L.slab.z0, L.slab.z_end()};
  auto [my_below, my_above] = halo_needs(L.slab, L.halo);

  std::vector<std::vector<float>> sendbufs, recvbufs;
  std::vector<std::pair<Range, int>> recv_plan;  // (global planes, source rank)
  std::vector<MPI_Request> reqs;
  const int tag = 7201;

  for (int r = 0; r < ranks; ++r) {
    if (r == me) continue;
    Slab other = make_slab(L.slab.nz_global, r, ranks);
    // what I receive from r
    for (Range need : {my_below, my_above}) {
      Range got = intersect(need, {other.z0, other.z_end()});
      if (got.size() == 0) continue;
      recvbufs.emplace_back(static_cast<size_t>(got.size() * P * nvals));
      recv_plan.push_back({got, r});
      MPI_Request q;
      check_mpi(MPI_Irecv(recvbufs.back().data(), static_cast<int>(recvbufs.back().size()), MPI_FLOAT, r,
                          tag, comm.comm, &q),
                "MPI_Irecv");
      reqs.push_back(q);
    }
  }
  for (int r = 0; r < ranks; ++r) {
    if (r == me) continue;
    Slab other = make_slab(L.slab.nz_global, r, ranks);
    auto [b, a] = halo_needs(other, L.halo);
    for (Range need : {b, a}) {
      Range give = intersect(need, mine);
      if (give.size() == 0) continue;
      std::vector<float> buf(static_cast<size_t>(give.size() * P * nvals));
      size_t n = 0;
      for (std::int64_t z = give.lo; z < give.hi; ++z) {
        const std::int64_t base = (L.slab.to_local(z) + L.halo) * P;
        for (std::int64_t v = 0; v < P; ++v)
          for (std::int64_t t = 0; t < nvals; ++t) buf[n++] = host(base + v, t);
      }
      sendbufs.push_back(std::move(buf));
      MPI_Request q;
      check_mpi(MPI_Isend(sendbufs.back().data(), static_cast<int>(sendbufs.back().size()), MPI_FLOAT, r, tag,
                          comm.comm, &q),
                "MPI_Isend");
      reqs.push_back(q);
    }
  }
  check_mpi(MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
  // Messages between one pair of ranks arrive in the order posted (MPI non-overtaking), and
  // both sides enumerate below before above, so buffers match their ranges.
  for (size_t m = 0; m < recv_plan.size(); ++m) {
    const Range got = recv_plan[m].first;
    size_t n = 0;
    for (std::int64_t z = got.lo; z < got.hi; ++z) {
      const std::int64_t base = (L.slab.to_local(z) + L.halo) * P;
      for (std::int64_t v = 0; v < P; ++v)
        for (std::int64_t t = 0; t < nvals; ++t) host(base + v, t) = recvbufs[m][n++];
    }
  }
}

}  // namespace

void exchange_halo(Volume3D& vol, const Comm& comm) {
  auto h = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(h, vol.data);
  struct Acc {
    decltype(h) v;
    float& operator()(std::int64_t i, std::int64_t) const { return v(i); }
  } acc{h};
  exchange(vol.layout, acc, 1, comm);
  Kokkos::deep_copy(vol.data, h);
}

void exchange_halo(Volume4D& vol, const Comm& comm) {
  auto h = Kokkos::create_mirror_view(vol.data);
  Kokkos::deep_copy(h, vol.data);
  struct Acc {
    decltype(h) v;
    float& operator()(std::int64_t i, std::int64_t t) const { return v(i, t); }
  } acc{h};
  exchange(vol.layout, acc, vol.nt(), comm);
  Kokkos::deep_copy(vol.data, h);
}

}  // namespace voxflow
