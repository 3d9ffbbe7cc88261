#include "src/kinetics/slice_statistics.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace voxflow::kinetics {

std::vector<SliceStat> slice_statistics(const MapSet& maps, const Comm& comm) {
  const auto& L = maps.layout;
  const std::int64_t P = L.plane_size();
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), maps.values);
  // local rows as 6 doubles each: slice, map, n, mean, std, min, max (7)
  std::vector<double> mine;
  for (std::int64_t k = 0; k < L.slab.nz; ++k)
    for (int m = 0; m < maps.count(); ++m) {
      if (maps.specs[static_cast<size_t>(m)].is_code) continue;
      double n = 0, s = 0, s2 = 0, mn = std::numeric_limits<double>::infinity(), mx = -mn;
      for (std::int64_t v = k * P; v < (k + 1) * P; ++v) {
        const double x = h(v, m);
        if (!std::isfinite(x)) continue;
        n += 1;
        s += x;
        s2 += x * x;
        mn = std::min(mn, x);
        mx = std::max(mx, x);
      }
      const double nan = std::numeric_limits<double>::quiet_NaN();
      const double mean = n > 0 ? s / n : nan;
      const double var = n > 0 ? std::max(0.0, s2 / n - mean * mean) : nan;
      mine.insert(mine.end(), {static_cast<double>(L.slab.to_global(k)), static_cast<double>(m), n, mean,
                               std::sqrt(var), n > 0 ? mn : nan, n > 0 ? mx : nan});
    }
  const int ranks = comm.size();
  int count = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<size_t>(ranks)), displs(static_cast<size_t>(ranks));
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm.comm);
  int total = 0;
  for (int r = 0; r < ranks; ++r) {
    displs[static_cast<size_t>(r)] = total;
    total += counts[static_cast<size_t>(r)];
  }
  std::vector<double> all(comm.is_root() ? static_cast<size_t>(total) : 0);
  MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, 0, comm.comm);
  std::vector<SliceStat> out;
  for (size_t i = 0; i + 7 <= all.size(); i += 7)
    out.push_back({static_cast<std::int64_t>(all[i]), maps.specs[static_cast<size_t>(all[i + 1])].name,
                   static_cast<std::int64_t>(all[i + 2]), all[i + 3], all[i + 4], all[i + 5], all[i + 6]});
  return out;
}

std::string slice_statistics_csv(const std::vector<SliceStat>& stats) {
  std::string s = "slice,map,n,mean,std,min,max\n";
  char buf[256];
  for (const auto& r : stats) {
    std::snprintf(buf, sizeof buf, "%lld,%s,%lld,%.9g,%.9g,%.9g,%.9g\n", static_cast<long long>(r.slice),
                  r.map.c_str(), static_cast<long long>(r.n), r.mean, r.std, r.min, r.max);
    s += buf;
  }
  return s;
}

}  // namespace voxflow::kinetics
