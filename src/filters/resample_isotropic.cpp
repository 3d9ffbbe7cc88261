#include "src/filters/resample_isotropic.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "src/core/error.hpp"

namespace voxflow::filters {

Grid isotropic_grid(const Grid& g, double s) {
  if (!(s > 0.0) || !std::isfinite(s)) throw InputError("resampling: the spacing must be > 0 mm");
  Grid out = g;
  for (size_t a = 0; a < 3; ++a) {
    const double sp = g.spacing_mm[a];
    if (!(sp > 0.0)) throw InputError("resampling: the input spacing must be > 0 mm");
    out.dims[a] = static_cast<std::int64_t>(std::floor(double(g.dims[a] - 1) * sp / s + 1e-9)) + 1;
    out.spacing_mm[a] = s;
    for (size_t r = 0; r < 3; ++r) out.affine[r][a] = g.affine[r][a] * (s / sp);
  }
  return out;
}

Volume3D resample_trilinear(const Volume3D& in, const Grid& og, const Comm& comm) {
  const Grid& g = in.layout.grid;
  const Slab& is = in.layout.slab;
  const int ranks = comm.size(), me = comm.rank();
  const Slab os = make_slab(og.nz(), me, ranks);
  const double r[3] = {og.spacing_mm[0] / g.spacing_mm[0], og.spacing_mm[1] / g.spacing_mm[1],
                       og.spacing_mm[2] / g.spacing_mm[2]};
  auto zsrc = [&](std::int64_t k) { return double(k) * r[2]; };
  // input planes [lo, hi] this rank needs
  long long need[2] = {0, -1};
  if (!os.empty()) {
    need[0] = static_cast<long long>(std::floor(zsrc(os.z0)));
    need[1] = std::min<long long>(g.nz() - 1, static_cast<long long>(std::floor(zsrc(os.z_end() - 1))) + 1);
    need[0] = std::max<long long>(0, std::min<long long>(need[0], std::max<long long>(0, g.nz() - 2)));
  }
  std::vector<long long> all(static_cast<size_t>(2 * ranks));
  MPI_Allgather(need, 2, MPI_LONG_LONG, all.data(), 2, MPI_LONG_LONG, comm.comm);
  const std::int64_t P = g.plane_size();
  auto h = Kokkos::create_mirror_view(in.data);
  Kokkos::deep_copy(h, in.data);
  std::vector<float> planes(static_cast<size_t>(std::max<long long>(0, need[1] - need[0] + 1) * P));
  std::vector<std::vector<float>> sbufs;
  std::vector<MPI_Request> reqs;
  sbufs.reserve(static_cast<size_t>(ranks));
  for (int q = 0; q < ranks; ++q) {  // receives
    const Slab other = make_slab(g.nz(), q, ranks);
    const long long lo = std::max<long long>(need[0], other.z0), hi = std::min<long long>(need[1], other.z_end() - 1);
    if (hi < lo) continue;
    float* dst = planes.data() + (lo - need[0]) * P;
    if (q == me) {
      for (long long z = lo; z <= hi; ++z)
        for (std::int64_t v = 0; v < P; ++v) dst[(z - lo) * P + v] = h(in.layout.index(0, 0, is.to_local(z)) + v);
      continue;
    }
    MPI_Request rq;
    MPI_Irecv(dst, static_cast<int>((hi - lo + 1) * P), MPI_FLOAT, q, 7601, comm.comm, &rq);
    reqs.push_back(rq);
  }
  for (int q = 0; q < ranks; ++q) {  // sends
    if (q == me) continue;
    const long long lo = std::max<long long>(all[static_cast<size_t>(2 * q)], is.z0),
                    hi = std::min<long long>(all[static_cast<size_t>(2 * q + 1)], is.z_end() - 1);
    if (hi < lo) continue;
    std::vector<float> buf(static_cast<size_t>((hi - lo + 1) * P));
    for (long long z = lo; z <= hi; ++z)
      for (std::int64_t v = 0; v < P; ++v) buf[static_cast<size_t>((z - lo) * P + v)] = h(in.layout.index(0, 0, is.to_local(z)) + v);
    sbufs.push_back(std::move(buf));
    MPI_Request rq;
    MPI_Isend(sbufs.back().data(), static_cast<int>(sbufs.back().size()), MPI_FLOAT, q, 7601, comm.comm, &rq);
    reqs.push_back(rq);
  }
  if (!reqs.empty() && MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE) != MPI_SUCCESS)
    throw InternalError("resampling: MPI exchange of planes failed");

  Volume3D out(og, os, 0, "resampled");
  out.units = in.units;
  auto o = Kokkos::create_mirror_view(out.data);
  const std::int64_t onx = og.nx(), ony = og.ny(), nx = g.nx();
  auto axis = [](double x, std::int64_t n, std::int64_t& i0, double& f) {
    if (n < 2) {
      i0 = 0;
      f = 0.0;
      return;
    }
    i0 = std::min<std::int64_t>(static_cast<std::int64_t>(std::floor(x)), n - 2);
    f = std::min(1.0, std::max(0.0, x - double(i0)));
  };
  for (std::int64_t k = 0; k < os.nz; ++k) {
    std::int64_t z0;
    double fz;
    axis(zsrc(os.to_global(k)), g.nz(), z0, fz);
    const std::int64_t z1 = std::min<std::int64_t>(z0 + 1, g.nz() - 1);
    const float* p0 = planes.data() + (z0 - need[0]) * P;
    const float* p1 = planes.data() + (z1 - need[0]) * P;
    for (std::int64_t j = 0; j < ony; ++j) {
      std::int64_t y0;
      double fy;
      axis(double(j) * r[1], g.ny(), y0, fy);
      const std::int64_t y1 = std::min<std::int64_t>(y0 + 1, g.ny() - 1);
      for (std::int64_t i = 0; i < onx; ++i) {
        std::int64_t x0;
        double fx;
        axis(double(i) * r[0], nx, x0, fx);
        const std::int64_t x1 = std::min<std::int64_t>(x0 + 1, nx - 1);
        auto lerp2 = [&](const float* p) {
          const double a = (1 - fx) * p[y0 * nx + x0] + fx * p[y0 * nx + x1];
          const double b = (1 - fx) * p[y1 * nx + x0] + fx * p[y1 * nx + x1];
          return (1 - fy) * a + fy * b;
        };
        o(out.layout.index(i, j, k)) = static_cast<float>((1 - fz) * lerp2(p0) + fz * lerp2(p1));
      }
    }
  }
  Kokkos::deep_copy(out.data, o);
  return out;
}

}  // namespace voxflow::filters
