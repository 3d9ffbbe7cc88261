#include "src/vessel/fast_marching.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <string>
#include <utility>

#include "src/core/error.hpp"

namespace voxflow::vessel {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_mpi(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw InternalError(std::string("fast marching: ") + what + " failed");
}

/// One upwind term of the Godunov quadratic along one axis.
struct Term {
  double t1 = kInf;  // smaller accepted neighbour
  double t2 = kInf;  // the next one beyond it on the same side (second order), else +inf
  double inv_h2 = 1.0;
  int axis = 0;
};

/// Solves sum_a c_a (T - t_a)^2 = rhs adding the terms in increasing t1 while the root stays
/// above the next t1 (causality). Second order uses c = 9/(4h^2), t = (4 t1 - t2) / 3 where
/// t2 <= t1 exists; returns the first-order root when the quadratic has no real root or its root
/// falls below an included t1.
double solve_terms(Term* terms, int n, double rhs, bool second_order) {
  for (int a = 1; a < n; ++a) {  // insertion sort by (t1, axis): at most 3 terms
    const Term x = terms[a];
    int b = a - 1;
    while (b >= 0 && (terms[b].t1 > x.t1 || (terms[b].t1 == x.t1 && terms[b].axis > x.axis))) {
      terms[b + 1] = terms[b];
      --b;
    }
    terms[b + 1] = x;
  }
  for (int pass = second_order ? 0 : 1; pass < 2; ++pass) {
    const bool so = pass == 0;
    double A = 0.0, B = 0.0, C = 0.0, T = kInf, tmax = -kInf;
    bool failed = false;
    for (int m = 0; m < n; ++m) {
      const bool use2 = so && std::isfinite(terms[m].t2);
      const double c = use2 ? 2.25 * terms[m].inv_h2 : terms[m].inv_h2;
      const double t = use2 ? (4.0 * terms[m].t1 - terms[m].t2) / 3.0 : terms[m].t1;
      A += c;
      B += c * t;
      C += c * t * t;
      const double disc = B * B - A * (C - rhs);
      if (disc < 0.0) {
        if (so) failed = true;  // no real root: first order for this voxel
        break;                  // first order: keep the root of fewer terms (not reached in exact arithmetic)
      }
      T = (B + std::sqrt(disc)) / A;
      tmax = std::max(tmax, terms[m].t1);
      if (m + 1 < n && T <= terms[m + 1].t1) break;
    }
    if (so && (failed || !(T >= tmax))) continue;
    return T;
  }
  return kInf;  // not reached: the first-order pass always returns
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

/// The march of one rank's slab, storage = owned planes plus `h` planes each side. The state is
/// sparse: T is left uninitialised and `state` comes zeroed from calloc (pages the front never
/// reaches are never touched); `touched` lists the voxels whose state was set, so a new march
/// resets only those.
struct SlabMarch {
  std::int64_t nx = 0, ny = 0, nzl = 0, z0 = 0, nzg = 0, P = 0;
  int h = 1;
  bool second_order = false;
  std::array<double, 3> inv_h2{1, 1, 1};
  SpeedSource* source = nullptr;     // owned voxels
  std::vector<double> halo;          // 2h planes: below [0, h*P), above [h*P, 2h*P); +inf = unknown
  std::unique_ptr<double[]> Tv;      // storage; valid where state != 0
  std::unique_ptr<unsigned char, FreeDeleter> state_v;  // 0 unknown (+inf), 1 tentative, 2 accepted
  std::vector<std::int64_t> touched;
  std::int64_t pops = 0;
  bool hit_cutoff = false;  // the last march stopped at its cutoff with voxels left in the heap

  void allocate() {
    const size_t ns = static_cast<size_t>(stored_planes() * P);
    Tv.reset(new double[ns > 0 ? ns : 1]);
    state_v.reset(static_cast<unsigned char*>(std::calloc(ns > 0 ? ns : 1, 1)));
    if (!state_v) throw InternalError("fast marching: out of memory for the march state");
  }
  double T(std::int64_t s) const { return state_v.get()[s] ? Tv[static_cast<size_t>(s)] : kInf; }
  bool accepted(std::int64_t s) const { return state_v.get()[s] == 2; }
  void set(std::int64_t s, double t) {
    unsigned char& st = state_v.get()[s];
    if (st == 0) {
      st = 1;
      touched.push_back(s);
    }
    Tv[static_cast<size_t>(s)] = t;
  }
  void accept(std::int64_t s) { state_v.get()[s] = 2; }
  void reset() {
    for (std::int64_t s : touched) state_v.get()[s] = 0;
    touched.clear();
  }

  std::int64_t stored_planes() const { return nzl + 2 * h; }
  bool valid_plane(std::int64_t kk) const {
    const std::int64_t zg = z0 + kk - h;
    return kk >= 0 && kk < stored_planes() && zg >= 0 && zg < nzg;
  }
  bool owned_plane(std::int64_t kk) const { return kk >= h && kk < h + nzl; }
  const float* dense_speed = nullptr;  // set when the source is a DenseSpeed: no virtual call per voxel
  float speed_at(std::int64_t s) const { return dense_speed ? dense_speed[s - h * P] : source->speed(s - h * P); }

  /// Godunov update of owned storage voxel s from its accepted neighbours.
  double solve(std::int64_t s) const {
    const std::int64_t i = s % nx, j = (s / nx) % ny, kk = s / P;
    const std::int64_t c[3] = {i, j, kk}, n[3] = {nx, ny, stored_planes()}, stride[3] = {1, nx, P};
    Term terms[3];
    int nt = 0;
    for (int a = 0; a < 3; ++a) {
      double best = kInf;
      int side = 0;
      for (int d = -1; d <= 1; d += 2) {
        const std::int64_t q = c[a] + d;
        if (q < 0 || q >= n[a] || (a == 2 && !valid_plane(q))) continue;
        const std::int64_t sn = s + d * stride[a];
        if (accepted(sn) && T(sn) < best) {
          best = T(sn);
          side = d;
        }
      }
      if (side == 0) continue;
      Term t;
      t.t1 = best;
      t.inv_h2 = inv_h2[static_cast<size_t>(a)];
      t.axis = a;
      if (second_order) {
        const std::int64_t q = c[a] + 2 * side;
        if (q >= 0 && q < n[a] && (a != 2 || valid_plane(q))) {
          const std::int64_t s2 = s + 2 * side * stride[a];
          if (accepted(s2) && T(s2) <= best) t.t2 = T(s2);
        }
      }
      terms[nt++] = t;
    }
    if (nt == 0) return kInf;
    const double f = static_cast<double>(speed_at(s));
    return solve_terms(terms, nt, 1.0 / (f * f), second_order);
  }

  /// First order, after a round: the halo values at `changed` (indices into `halo`) decreased.
  /// Label-correcting pass from them (Dijkstra with re-insertion): a voxel whose Godunov value
  /// from its current neighbours is lower than its value takes it and is pushed again. The
  /// result is the fixed point of the same discrete equations as a march from scratch (equal to
  /// round-off), at the cost of the voxels whose value changes only.
  void correct(const std::vector<size_t>& changed, double cutoff, std::int64_t end_s, double margin,
               double margin_time) {
    using Entry = std::pair<double, std::int64_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
    for (size_t n : changed) {
      const std::int64_t side = static_cast<std::int64_t>(n) / (h * P), p = (static_cast<std::int64_t>(n) / P) % h,
                         v = static_cast<std::int64_t>(n) % P;
      const std::int64_t kk = side == 0 ? p : h + nzl + p;
      if (!valid_plane(kk)) continue;
      const std::int64_t s = kk * P + v;
      set(s, halo[n]);
      if (halo[n] < kInf) {
        accept(s);
        heap.push({halo[n], s});
      } else {
        state_v.get()[s] = 1;  // +inf, not accepted
      }
    }
    const std::int64_t stride[3] = {1, nx, P};
    while (!heap.empty()) {
      const Entry e = heap.top();
      heap.pop();
      if (e.first != T(e.second)) continue;  // stale
      if (e.first > cutoff) {
        hit_cutoff = true;
        break;
      }
      const std::int64_t kk = e.second / P;
      if (owned_plane(kk)) ++pops;
      if (e.second == end_s) cutoff = std::min(cutoff, e.first * (1.0 + margin) + margin_time);
      const std::int64_t c[3] = {e.second % nx, (e.second / nx) % ny, kk}, n[3] = {nx, ny, stored_planes()};
      for (int a = 0; a < 3; ++a)
        for (int d = -1; d <= 1; d += 2) {
          const std::int64_t q = c[a] + d;
          if (q < 0 || q >= n[a]) continue;
          if (!owned_plane(a == 2 ? q : kk)) continue;
          const std::int64_t sn = e.second + d * stride[a];
          if (!(speed_at(sn) > 0.0f)) continue;
          const double tn = solve(sn);
          if (tn < T(sn)) {
            set(sn, tn);
            accept(sn);
            heap.push({tn, sn});
          }
        }
    }
  }

  /// Marches from the halo values and (if owned) the start voxel; stops at `cutoff`, or earlier
  /// once the end voxel (storage index end_s >= 0) is accepted. Returns T at the end voxel
  /// (+inf if not owned or not reached).
  double march(std::int64_t start_s, double cutoff, std::int64_t end_s, double margin, double margin_time) {
    reset();
    using Entry = std::pair<double, std::int64_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
    for (int side = 0; side < 2; ++side)
      for (std::int64_t p = 0; p < h; ++p) {
        const std::int64_t kk = side == 0 ? p : h + nzl + p;
        if (!valid_plane(kk)) continue;
        for (std::int64_t v = 0; v < P; ++v) {
          const double t = halo[static_cast<size_t>((side * h + p) * P + v)];
          if (t < kInf) {
            set(kk * P + v, t);
            heap.push({t, kk * P + v});
          }
        }
      }
    if (start_s >= 0) {
      set(start_s, 0.0);
      heap.push({0.0, start_s});
    }
    double t_end = kInf;
    hit_cutoff = false;
    const std::int64_t stride[3] = {1, nx, P};
    while (!heap.empty()) {
      const Entry e = heap.top();
      heap.pop();
      const std::int64_t s = e.second;
      if (accepted(s) || e.first != T(s)) continue;  // stale entry
      if (e.first > cutoff) {
        hit_cutoff = true;
        break;
      }
      accept(s);
      const std::int64_t kk = e.second / P;
      if (owned_plane(kk)) ++pops;
      if (e.second == end_s) {
        t_end = e.first;
        cutoff = std::min(cutoff, t_end * (1.0 + margin) + margin_time);
      }
      const std::int64_t c[3] = {e.second % nx, (e.second / nx) % ny, kk}, n[3] = {nx, ny, stored_planes()};
      for (int a = 0; a < 3; ++a)
        for (int d = -1; d <= 1; d += 2) {
          const std::int64_t q = c[a] + d;
          if (q < 0 || q >= n[a]) continue;
          if (!owned_plane(a == 2 ? q : kk)) continue;  // halo voxels are fixed sources
          const std::int64_t sn = e.second + d * stride[a];
          if (accepted(sn) || !(speed_at(sn) > 0.0f)) continue;
          const double tn = solve(sn);
          set(sn, tn);
          heap.push({tn, sn});
        }
    }
    // only accepted values are results
    for (std::int64_t s : touched)
      if (!accepted(s)) state_v.get()[s] = 0;
    return t_end;
  }
};

struct Range {
  std::int64_t lo = 0, hi = 0;
  std::int64_t size() const { return std::max<std::int64_t>(0, hi - lo); }
};
Range intersect(Range a, Range b) { return {std::max(a.lo, b.lo), std::min(a.hi, b.hi)}; }

/// Planes a slab needs from others: h below and h above, clipped to the volume.
std::pair<Range, Range> needs(const Slab& s, int h) {
  if (s.empty()) return {{0, 0}, {0, 0}};
  return {{std::max<std::int64_t>(0, s.z0 - h), s.z0}, {s.z_end(), std::min<std::int64_t>(s.nz_global, s.z_end() + h)}};
}

/// Sends the accepted values of my owned planes that others hold as halo; returns the received
/// halo planes (2h planes, +inf where nothing arrives).
std::vector<double> exchange_faces(const SlabMarch& m, const Slab& mine, const Comm& comm) {
  const int ranks = comm.size(), me = comm.rank(), h = m.h;
  const std::int64_t P = m.P;
  std::vector<double> recv_halo(static_cast<size_t>(2 * h * P), kInf);
  if (ranks == 1) return recv_halo;
  auto [below, above] = needs(mine, h);
  std::vector<std::vector<double>> rbufs, sbufs;
  std::vector<std::pair<Range, int>> plan;  // range, side (0 below, 1 above)
  std::vector<MPI_Request> reqs;
  const int tag = 7411;
  rbufs.reserve(static_cast<size_t>(2 * ranks));
  sbufs.reserve(static_cast<size_t>(2 * ranks));
  for (int r = 0; r < ranks; ++r) {
    if (r == me) continue;
    const Slab other = make_slab(mine.nz_global, r, ranks);
    int side = 0;
    for (Range need : {below, above}) {
      const Range got = intersect(need, {other.z0, other.z_end()});
      if (got.size() > 0) {
        rbufs.emplace_back(static_cast<size_t>(got.size() * P));
        plan.push_back({got, side});
        MPI_Request q;
        check_mpi(MPI_Irecv(rbufs.back().data(), static_cast<int>(rbufs.back().size()), MPI_DOUBLE, r, tag, comm.comm, &q),
                  "MPI_Irecv");
        reqs.push_back(q);
      }
      ++side;
    }
  }
  for (int r = 0; r < ranks; ++r) {
    if (r == me) continue;
    const Slab other = make_slab(mine.nz_global, r, ranks);
    auto [b, a] = needs(other, h);
    for (Range need : {b, a}) {
      const Range give = intersect(need, {mine.z0, mine.z_end()});
      if (give.size() == 0) continue;
      std::vector<double> buf;
      buf.reserve(static_cast<size_t>(give.size() * P));
      for (std::int64_t z = give.lo; z < give.hi; ++z) {
        const std::int64_t base = (z - mine.z0 + h) * P;
        for (std::int64_t v = 0; v < P; ++v) buf.push_back(m.T(base + v));
      }
      sbufs.push_back(std::move(buf));
      MPI_Request q;
      check_mpi(MPI_Isend(sbufs.back().data(), static_cast<int>(sbufs.back().size()), MPI_DOUBLE, r, tag, comm.comm, &q),
                "MPI_Isend");
      reqs.push_back(q);
    }
  }
  check_mpi(MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
  for (size_t n = 0; n < plan.size(); ++n) {
    const Range got = plan[n].first;
    const int side = plan[n].second;
    for (std::int64_t z = got.lo; z < got.hi; ++z) {
      // halo plane p of this side: below p = z - (z0 - h), above p = z - z_end
      const std::int64_t p = side == 0 ? z - (mine.z0 - h) : z - mine.z_end();
      std::copy(rbufs[n].begin() + (z - got.lo) * P, rbufs[n].begin() + (z - got.lo + 1) * P,
                recv_halo.begin() + (side * h + p) * P);
    }
  }
  return recv_halo;
}

bool inside(const VoxelIndex& v, const Grid& g) {
  for (int a = 0; a < 3; ++a)
    if (v[static_cast<size_t>(a)] < 0 || v[static_cast<size_t>(a)] >= g.dims[static_cast<size_t>(a)]) return false;
  return true;
}

std::string describe(const VoxelIndex& v) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " + std::to_string(v[2]) + ")";
}

}  // namespace

ArrivalTimes::ArrivalTimes(std::int64_t n, std::vector<std::pair<std::int64_t, double>> reached) : n_(n) {
  if (!std::is_sorted(reached.begin(), reached.end())) std::sort(reached.begin(), reached.end());
  index_.reserve(reached.size());
  time_.reserve(reached.size());
  for (const auto& p : reached) {
    index_.push_back(p.first);
    time_.push_back(p.second);
  }
}

double ArrivalTimes::operator[](std::int64_t v) const {
  const auto it = std::lower_bound(index_.begin(), index_.end(), v);
  return it != index_.end() && *it == v ? time_[static_cast<size_t>(it - index_.begin())] : kInf;
}

void ArrivalTimes::copy_plane(std::int64_t k, std::int64_t P, double* out) const {
  std::fill(out, out + P, kInf);
  auto it = std::lower_bound(index_.begin(), index_.end(), k * P);
  for (; it != index_.end() && *it < (k + 1) * P; ++it) out[*it - k * P] = time_[static_cast<size_t>(it - index_.begin())];
}

Volume3D FastMarchingResult::to_volume() const {
  Volume3D v(layout.grid, layout.slab, 0, "arrival_time");
  auto h = Kokkos::create_mirror_view(v.data);
  const float inf = std::numeric_limits<float>::infinity();
  for (std::int64_t n = 0; n < layout.owned_voxels(); ++n) h(n) = inf;
  for (size_t m = 0; m < arrival_time.indices().size(); ++m)
    h(arrival_time.indices()[m]) = static_cast<float>(arrival_time.times()[m]);
  Kokkos::deep_copy(v.data, h);
  v.units = "s";
  return v;
}

DenseSpeed::DenseSpeed(const Volume3D& speed, const Comm& comm) : layout_(speed.layout) {
  layout_.halo = 0;
  // owned speed values, explicit x-fastest order whatever the view's layout
  auto hs = Kokkos::create_mirror_view(speed.data);
  Kokkos::deep_copy(hs, speed.data);
  values_.resize(static_cast<size_t>(speed.layout.owned_voxels()));
  for (std::int64_t v = 0; v < speed.layout.owned_voxels(); ++v)
    values_[static_cast<size_t>(v)] = hs(speed.layout.owned_to_storage(v));
  bool bad_speed = false;
  float fmax = 0.0f;
  for (float f : values_) {
    bad_speed = bad_speed || !std::isfinite(f) || f < 0.0f;
    fmax = std::max(fmax, f);
  }
  if (comm.any(bad_speed)) throw InputError("fast marching: the speed map has negative or non-finite values");
  max_ = comm.max(static_cast<double>(fmax));
}

FastMarchingResult fast_marching(const Volume3D& speed, const VoxelIndex& start, const FastMarchingOptions& o,
                                 const Comm& comm) {
  DenseSpeed source(speed, comm);
  return fast_marching(source, start, o, comm);
}

FastMarchingResult fast_marching(SpeedSource& source, const VoxelIndex& start, const FastMarchingOptions& o,
                                 const Comm& comm) {
  const SlabLayout& layout = source.layout();
  const Grid& g = layout.grid;
  const Slab& slab = layout.slab;
  if (!inside(start, g))
    throw InputError("fast marching: start voxel " + describe(start) + " is outside the volume " + g.describe());
  if (o.stop_at_end && !inside(o.end_voxel, g))
    throw InputError("fast marching: end voxel " + describe(o.end_voxel) + " is outside the volume " + g.describe());
  if (!(o.stop_margin >= 0.0) || !(o.stop_margin_time >= 0.0))
    throw InputError("fast marching: the early-stop margin must be >= 0");
  for (int a = 0; a < 3; ++a)
    if (!(g.spacing_mm[static_cast<size_t>(a)] > 0.0) || !std::isfinite(g.spacing_mm[static_cast<size_t>(a)]))
      throw InputError("fast marching: voxel spacing must be > 0 mm");

  SlabMarch m;
  m.nx = g.nx();
  m.ny = g.ny();
  m.nzl = slab.nz;
  m.z0 = slab.z0;
  m.nzg = slab.nz_global;
  m.P = g.plane_size();
  m.h = o.second_order ? 2 : 1;
  m.second_order = o.second_order;
  for (size_t a = 0; a < 3; ++a) m.inv_h2[a] = 1.0 / (g.spacing_mm[a] * g.spacing_mm[a]);
  m.source = &source;
  if (const auto* d = dynamic_cast<const DenseSpeed*>(&source)) m.dense_speed = d->data();
  m.allocate();
  const bool own_start = slab.owns(start[2]);
  const std::int64_t start_s = own_start ? start[0] + m.nx * (start[1] + m.ny * (start[2] - m.z0 + m.h)) : -1;
  const bool zero_start = own_start && !(m.speed_at(start_s) > 0.0f);
  if (comm.any(zero_start))
    throw InputError("fast marching: the start voxel " + describe(start) +
                     " has zero speed (outside the mask or the vessel): the front cannot leave it");
  const bool own_end = o.stop_at_end && slab.owns(o.end_voxel[2]);
  const std::int64_t end_s =
      own_end ? o.end_voxel[0] + m.nx * (o.end_voxel[1] + m.ny * (o.end_voxel[2] - m.z0 + m.h)) : -1;

  const std::int64_t max_rounds =
      o.max_rounds > 0 ? o.max_rounds : 2 * m.P * static_cast<std::int64_t>(comm.size()) + m.nzg + 16;
  m.halo.assign(static_cast<size_t>(2 * m.h * m.P), kInf);
  // Early stop on several ranks: a rank that does not own the end voxel cannot know T_end, so
  // the march proceeds in time windows: every rank marches only to T <= window; when the faces
  // agree for a window and the end is not yet accepted (with its margin), the window doubles.
  // The first window is the lower bound |end - start| / max(speed) of T_end. Each voxel's value
  // is still computed from its accepted neighbours only, so the result is the one-rank march's.
  double window = kInf;
  if (o.stop_at_end && comm.size() > 1) {
    const double smax = source.max_speed_bound();
    double d2 = 0.0;
    for (size_t a = 0; a < 3; ++a) {
      const double d = double(o.end_voxel[a] - start[a]) * g.spacing_mm[a];
      d2 += d * d;
    }
    window = smax > 0.0 ? std::sqrt(d2) / smax : kInf;
  }
  double cutoff = kInf, t_end = kInf;
  bool full = true;            // march from scratch (first round, a new window, second order)
  std::vector<size_t> changed_at;  // halo values that decreased since the last march (first order)
  std::int64_t round = 0;
  for (;;) {
    if (++round > max_rounds)
      throw InternalError("fast marching: no agreement between the slabs after " + std::to_string(max_rounds) +
                          " exchange rounds");
    if (slab.nz > 0) {
      if (full)
        m.march(start_s, std::min(cutoff, window), end_s, o.stop_margin, o.stop_margin_time);
      else if (!changed_at.empty())
        m.correct(changed_at, std::min(cutoff, window), end_s, o.stop_margin, o.stop_margin_time);
    }
    full = false;
    double my_end = kInf;
    if (own_end) {
      const double te = m.T(end_s);
      my_end = te;
    }
    t_end = comm.min(my_end);
    cutoff = (o.stop_at_end && std::isfinite(t_end)) ? t_end * (1.0 + o.stop_margin) + o.stop_margin_time : kInf;
    const std::vector<double> recv = exchange_faces(m, slab, comm);
    // First order: received face values only decrease (each round's slab solution is monotone
    // in its boundary values), so keeping the minimum changes nothing and bounds the rounds.
    // Second order is not monotone (a larger T2 lowers (4 T1 - T2) / 3), so a value from an
    // earlier round can be too small: take the newest values and stop when they repeat.
    bool changed = false;
    changed_at.clear();
    for (size_t n = 0; n < recv.size(); ++n) {
      const bool take = o.second_order ? !(recv[n] == m.halo[n]) : recv[n] < m.halo[n];
      if (take) {
        m.halo[n] = recv[n];
        changed = true;
        changed_at.push_back(n);
      }
    }
    if (o.second_order) full = changed;  // not monotone: no label-correcting pass
    if (comm.any(changed)) continue;
    // the faces agree for this window
    if (!(window < kInf)) break;
    if (cutoff <= window) break;                 // the end and its margin are inside the window
    if (!comm.any(m.hit_cutoff && slab.nz > 0)) break;  // every reachable voxel is accepted
    window = std::isfinite(cutoff) ? std::max(2.0 * window, cutoff) : 2.0 * window;
    if (!(window > 0.0)) window = kInf;
    full = true;
  }

  FastMarchingResult r;
  r.layout = layout;
  r.layout.halo = 0;
  std::vector<std::pair<std::int64_t, double>> hit;
  const std::int64_t first = m.h * m.P, last = first + layout.owned_voxels();
  auto keep = [&](std::int64_t s) {
    if (!m.accepted(s)) return;
    const double t = m.T(s);
    if (t < kInf && t <= cutoff) hit.push_back({s - first, t});
  };
  if (static_cast<std::int64_t>(m.touched.size()) * 8 > layout.owned_voxels()) {
    for (std::int64_t s = first; s < last; ++s) keep(s);  // a large march: one scan, already in order
  } else {
    std::sort(m.touched.begin(), m.touched.end());
    m.touched.erase(std::unique(m.touched.begin(), m.touched.end()), m.touched.end());  // a voxel may be listed twice
    for (std::int64_t s : m.touched)
      if (s >= first && s < last) keep(s);
  }
  const long long reached = static_cast<long long>(hit.size());
  r.arrival_time = ArrivalTimes(layout.owned_voxels(), std::move(hit));
  r.end_time = o.stop_at_end ? t_end : 0.0;
  r.cutoff_time = cutoff;
  r.rounds = round;
  r.voxels_marched = comm.sum(static_cast<long long>(m.pops));
  r.voxels_reached = comm.sum(reached);
  return r;
}

}  // namespace voxflow::vessel
