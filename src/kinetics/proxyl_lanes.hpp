#pragma once
// The least-squares problem of the PROXYL model (proxyl_model.hpp) for simd::kLanes voxels at
// once, one voxel per lane (SIMD across voxels): the lane counterpart of ProxylProblem
// (voxel_fit.hpp), with the same call shape, for a solver instantiated on simd::Pack.
// Host code only, compiled where VOXFLOW_SIMD_LANES is 1 (src/core/simd_pack.hpp); elsewhere
// the scalar ProxylProblem is the path.
#include "src/core/simd_pack.hpp"

#if VOXFLOW_SIMD_LANES
#include "src/kinetics/proxyl_model.hpp"

namespace voxflow::kinetics {

/// kLanes voxels sharing one time axis. t[n]: sample times (minutes, ascending, n >= 2);
/// y[n]: the voxels' samples transposed (y[i][lane] = sample i of the lane's voxel); uniform /
/// dt: t[i] == t[0] + i dt up to rounding (as make_proxyl_problem detects it).
///
/// operator()(p, jtj, jtr): for every lane at the parameters p[q][lane] (q in param:: order)
/// returns rss = sum_i r_i^2, r_i = I(t_i; p) - y_i, and writes J^T J (row-major 8 x 8 Packs,
/// full) and J^T r (8 Packs), J the analytic Jacobian of I (proxyl_model.hpp), in one pass over
/// the points (in chunks of 16 points, kept in a small buffer for three passes; see below). The
/// bolus term and its columns are on for t > t0, the slow term and its columns for t > tmax, so
/// at a kink the t0 / tmax derivative is the one from the side where the term is
/// off (0), as in ProxylProblem. Lane results are independent of each other: a voxel gets the
/// same bits in any lane and next to any other voxels.
///
/// Exponentials: on a uniform grid each lane starts its three exponentials at its first point
/// after t0 (resp. tmax) and advances them by one multiplication per point
/// (exp(-k (u + dt)) = exp(-k u) exp(-k dt)); otherwise 3 per point. simd::exp, not std::exp, and
/// fused multiply-adds (simd::fma) in the sums,
/// so values agree with ProxylProblem to rounding (~1e-15 relative), not bit for bit.
///
/// The sums in a basis of the Jacobian's columns: with u = t - t0, v = t - tmax (columns 0 where
/// the term is off), E = exp(-kb u) exp(-kd u), B = exp(-kd u) - E, U = u E, W = u B,
/// N = exp(-knt v), S = 1 - N, V = v N, the Jacobian is J_A0 = 1, J_A1 = B, J_A2 = S,
/// J_kb = A1 U, J_kd = -A1 W, J_knt = A2 V, J_t0 = -A1 (kb E - kd B), J_tmax = -A2 knt N. Every
/// entry of J^T J and J^T r is a combination of the 28 products among B, E, U, W, S, N, V, their
/// 7 sums and their 7 products with r, with per-lane coefficients (A1, A2, kb, kd, knt): 28 + 7 +
/// 7 multiply-adds per point instead of the 36 + 8 of the columns themselves, and A1, A2 never
/// multiply a point. J_t0 is the one combination of two members (E and B: no cancellation unless
/// kb E ~ kd B at every point after t0); A2's column S is a member of its own, as S = [t > tmax] - N
/// lost all digits where S is tiny (tmax near the last point, small knt).
struct ProxylLanes {
  const double* t;
  const simd::Pack* y;
  int n;
  bool uniform;
  double dt;

  simd::Pack operator()(const simd::Pack* p, simd::Pack* jtj, simd::Pack* jtr) const {
    using simd::Mask;
    using simd::Pack;
    using simd::select;
    const Pack a1 = p[param::A1], a2 = p[param::A2];
    const Pack kb = p[param::kb], kd = p[param::kd], knt = p[param::knt];
    const Pack t0 = p[param::t0], tmax = p[param::tmax];
    const Pack zero = simd::broadcast(0.0);
    // exponentials at each lane's first point after t0 / tmax (uniform grid)
    Pack eb = simd::broadcast(1.0), ed = eb, en = eb, qb = eb, qd = eb, qn = eb;
    if (uniform) {
      // the number of points with t <= x: from the grid's step, corrected against the times
      // (so exactly the count of the comparisons the point loop makes; NaN x: 0)
      auto count_upto = [&](double x) {
        const double q = (x - t[0]) / dt;
        int k = !(q >= 0.0) ? 0 : q >= n ? n : static_cast<int>(q) + 1;
        while (k < n && t[k] <= x) ++k;
        while (k > 0 && !(t[k - 1] <= x)) --k;
        return k;
      };
      Pack tb, ts;
      for (int j = 0; j < simd::kLanes; ++j) {
        const int ib = count_upto(t0[j]), is = count_upto(tmax[j]);
        tb[j] = t[ib < n ? ib : n - 1];
        ts[j] = t[is < n ? is : n - 1];
      }
      eb = simd::exp(-kb * (tb - t0));
      ed = simd::exp(-kd * (tb - t0));
      en = simd::exp(-knt * (ts - tmax));
      qb = simd::exp(-kb * dt);
      qd = simd::exp(-kd * dt);
      qn = simd::exp(-knt * dt);
    }
    // The sums J^T J, J^T r and rss need are linear in sums over a basis of the Jacobian's
    // columns with seven non-trivial members (the comment above the struct): B, E, U, W, S, N, V
    // (c[0..6]), their sums, their 28 products and their products with r.
    constexpr int kC = 7;
    Pack prod[kC * (kC + 1) / 2];  // sum c_a c_b, upper triangle row by row (BB, BE, ..., VV)
    Pack sum[kC], gc[kC];           // sum c_a, sum c_a r
    for (int q = 0; q < kC * (kC + 1) / 2; ++q) prod[q] = zero;
    for (int q = 0; q < kC; ++q) sum[q] = gc[q] = zero;
    Pack r_sum = zero, f = zero;
    const Pack a0 = p[param::A0];
    // The points in chunks, three passes over each, so that every pass keeps its sums in
    // registers (one pass with all ~45 sums spilled them to the stack, ~50 stores per point):
    // the columns and residuals into a small buffer; 22 products; the linear sums and 6 products.
    constexpr int kChunk = 16;
    Pack buf[kChunk][kC + 1];  // c[0..6], r
    for (int i0 = 0; i0 < n; i0 += kChunk) {
      const int m = n - i0 < kChunk ? n - i0 : kChunk;
      for (int l = 0; l < m; ++l) {
        const double ti = t[i0 + l];
        const Mask on_b = ti > t0;
        const Mask on_s = ti > tmax;
        const Pack u = ti - t0;
        const Pack v = ti - tmax;
        if (!uniform) {
          eb = simd::exp(-kb * u);
          ed = simd::exp(-kd * u);
          en = simd::exp(-knt * v);
        }
        Pack* c = buf[l];
        const Pack d = select(on_b, ed, zero);  // the bolus term's columns vanish for t <= t0
        c[1] = eb * d;                          // E
        c[0] = d - c[1];                        // B
        c[2] = u * c[1];                        // U
        c[3] = u * c[0];                        // W
        c[4] = select(on_s, 1.0 - en, zero);    // S (the slow term's columns vanish for t <= tmax)
        c[5] = select(on_s, en, zero);          // N
        c[6] = v * c[5];                        // V
        if (uniform) {
          eb = select(on_b, eb * qb, eb);
          ed = select(on_b, ed * qd, ed);
          en = select(on_s, en * qn, en);
        }
        c[kC] = simd::fma(a1, c[0], simd::fma(a2, c[4], a0 - y[i0 + l]));  // r
      }
      {
        // the chunk's products with B, E, U, W (22) in named variables (as elements of an array
        // GCC 12 kept them in memory, a store per product and point), added to the totals once
        // per chunk; the 6 products among S, N, V go with the linear sums
          Pack pBB = zero, pBE = zero, pBU = zero, pBW = zero, pBS = zero, pBN = zero, pBV = zero, pEE = zero, pEU = zero, pEW = zero, pES = zero, pEN = zero, pEV = zero, pUU = zero, pUW = zero, pUS = zero, pUN = zero, pUV = zero, pWW = zero, pWS = zero, pWN = zero, pWV = zero;
        for (int l = 0; l < m; ++l) {
          const Pack* c = buf[l];
            pBB = simd::fma(c[0], c[0], pBB);
            pBE = simd::fma(c[0], c[1], pBE);
            pBU = simd::fma(c[0], c[2], pBU);
            pBW = simd::fma(c[0], c[3], pBW);
            pBS = simd::fma(c[0], c[4], pBS);
            pBN = simd::fma(c[0], c[5], pBN);
            pBV = simd::fma(c[0], c[6], pBV);
            pEE = simd::fma(c[1], c[1], pEE);
            pEU = simd::fma(c[1], c[2], pEU);
            pEW = simd::fma(c[1], c[3], pEW);
            pES = simd::fma(c[1], c[4], pES);
            pEN = simd::fma(c[1], c[5], pEN);
            pEV = simd::fma(c[1], c[6], pEV);
            pUU = simd::fma(c[2], c[2], pUU);
            pUW = simd::fma(c[2], c[3], pUW);
            pUS = simd::fma(c[2], c[4], pUS);
            pUN = simd::fma(c[2], c[5], pUN);
            pUV = simd::fma(c[2], c[6], pUV);
            pWW = simd::fma(c[3], c[3], pWW);
            pWS = simd::fma(c[3], c[4], pWS);
            pWN = simd::fma(c[3], c[5], pWN);
            pWV = simd::fma(c[3], c[6], pWV);
        }
          prod[0] += pBB;
          prod[1] += pBE;
          prod[2] += pBU;
          prod[3] += pBW;
          prod[4] += pBS;
          prod[5] += pBN;
          prod[6] += pBV;
          prod[7] += pEE;
          prod[8] += pEU;
          prod[9] += pEW;
          prod[10] += pES;
          prod[11] += pEN;
          prod[12] += pEV;
          prod[13] += pUU;
          prod[14] += pUW;
          prod[15] += pUS;
          prod[16] += pUN;
          prod[17] += pUV;
          prod[18] += pWW;
          prod[19] += pWS;
          prod[20] += pWN;
          prod[21] += pWV;
      }
      {
        Pack pSS = zero, pSN = zero, pSV = zero, pNN = zero, pNV = zero, pVV = zero;
        for (int l = 0; l < m; ++l) {
          const Pack* c = buf[l];
          const Pack r = c[kC];
          f = simd::fma(r, r, f);
          r_sum += r;
          for (int q = 0; q < kC; ++q) {
            sum[q] += c[q];
            gc[q] = simd::fma(c[q], r, gc[q]);
          }
          pSS = simd::fma(c[4], c[4], pSS);
          pSN = simd::fma(c[4], c[5], pSN);
          pSV = simd::fma(c[4], c[6], pSV);
          pNN = simd::fma(c[5], c[5], pNN);
          pNV = simd::fma(c[5], c[6], pNV);
          pVV = simd::fma(c[6], c[6], pVV);
        }
        prod[22] += pSS;
        prod[23] += pSN;
        prod[24] += pSV;
        prod[25] += pNN;
        prod[26] += pNV;
        prod[27] += pVV;
      }
    }
    // J^T J and J^T r from the basis sums: J_A0 = 1, J_A1 = B, J_A2 = S, J_kb = a1 U,
    // J_kd = -a1 W, J_knt = a2 V, J_t0 = al E + be B, J_tmax = ga N with al = -a1 kb,
    // be = a1 kd, ga = -a2 knt.
    const Pack pBB = prod[0], pBE = prod[1], pBU = prod[2], pBW = prod[3], pBS = prod[4], pBN = prod[5];
    const Pack pBV = prod[6], pEE = prod[7], pEU = prod[8], pEW = prod[9], pES = prod[10], pEN = prod[11];
    const Pack pEV = prod[12], pUU = prod[13], pUW = prod[14], pUS = prod[15], pUN = prod[16];
    const Pack pUV = prod[17], pWW = prod[18], pWS = prod[19], pWN = prod[20], pWV = prod[21];
    const Pack pSS = prod[22], pSN = prod[23], pSV = prod[24], pNN = prod[25], pNV = prod[26];
    const Pack pVV = prod[27];
    const Pack sB = sum[0], sE = sum[1], sU = sum[2], sW = sum[3], sS = sum[4], sN = sum[5], sV = sum[6];
    const Pack al = -a1 * kb, be = a1 * kd, ga = -a2 * knt, ma1 = -a1;
    // <J_t0, x> for the basis members x
    const Pack t0_1 = al * sE + be * sB, t0_B = al * pBE + be * pBB, t0_E = al * pEE + be * pBE;
    const Pack t0_U = al * pEU + be * pBU, t0_W = al * pEW + be * pBW, t0_S = al * pES + be * pBS;
    const Pack t0_N = al * pEN + be * pBN, t0_V = al * pEV + be * pBV;
    constexpr int kN = kNumParams;
    auto put = [&](int a, int b, Pack e) {
      jtj[a * kN + b] = e;
      jtj[b * kN + a] = e;
    };
    namespace q = param;
    put(q::A0, q::A0, simd::broadcast(static_cast<double>(n)));
    put(q::A0, q::A1, sB);
    put(q::A0, q::A2, sS);
    put(q::A0, q::kb, a1 * sU);
    put(q::A0, q::kd, ma1 * sW);
    put(q::A0, q::knt, a2 * sV);
    put(q::A0, q::t0, t0_1);
    put(q::A0, q::tmax, ga * sN);
    put(q::A1, q::A1, pBB);
    put(q::A1, q::A2, pBS);
    put(q::A1, q::kb, a1 * pBU);
    put(q::A1, q::kd, ma1 * pBW);
    put(q::A1, q::knt, a2 * pBV);
    put(q::A1, q::t0, t0_B);
    put(q::A1, q::tmax, ga * pBN);
    put(q::A2, q::A2, pSS);
    put(q::A2, q::kb, a1 * pUS);
    put(q::A2, q::kd, ma1 * pWS);
    put(q::A2, q::knt, a2 * pSV);
    put(q::A2, q::t0, t0_S);
    put(q::A2, q::tmax, ga * pSN);
    put(q::kb, q::kb, a1 * (a1 * pUU));
    put(q::kb, q::kd, a1 * (ma1 * pUW));
    put(q::kb, q::knt, a1 * (a2 * pUV));
    put(q::kb, q::t0, a1 * t0_U);
    put(q::kb, q::tmax, a1 * (ga * pUN));
    put(q::kd, q::kd, ma1 * (ma1 * pWW));
    put(q::kd, q::knt, ma1 * (a2 * pWV));
    put(q::kd, q::t0, ma1 * t0_W);
    put(q::kd, q::tmax, ma1 * (ga * pWN));
    put(q::knt, q::knt, a2 * (a2 * pVV));
    put(q::knt, q::t0, a2 * t0_V);
    put(q::knt, q::tmax, a2 * (ga * pNV));
    put(q::t0, q::t0, al * t0_E + be * t0_B);
    put(q::t0, q::tmax, ga * t0_N);
    put(q::tmax, q::tmax, ga * (ga * pNN));
    jtr[q::A0] = r_sum;
    jtr[q::A1] = gc[0];
    jtr[q::A2] = gc[4];
    jtr[q::kb] = a1 * gc[2];
    jtr[q::kd] = ma1 * gc[3];
    jtr[q::knt] = a2 * gc[6];
    jtr[q::t0] = al * gc[1] + be * gc[0];
    jtr[q::tmax] = ga * gc[5];
    return f;
  }
};

/// max - min of the model I(t_i; p) (proxyl_model.hpp) over the sample times t[0..n) (n >= 1) of
/// one voxel, with the points in the lanes (kLanes points per step, the last point repeated to
/// fill the final step) and simd::exp (within 1 ulp of std::exp): the lane driver's form of
/// detail::model_range for the second-start test (voxel_fit_lanes.hpp); 3 glibc exponentials per
/// point made model_range about 1.1 us of a voxel's ~16 us. The same formula and operation order
/// as proxyl_model, so the two agree to the exponentials' rounding.
inline double proxyl_range_lanes(const double* p, const double* t, int n) {
  using simd::Pack;
  using simd::broadcast;
  const Pack a0 = broadcast(p[param::A0]), a1 = broadcast(p[param::A1]), a2 = broadcast(p[param::A2]);
  const Pack kb = broadcast(p[param::kb]), kd = broadcast(p[param::kd]), knt = broadcast(p[param::knt]);
  const Pack t0 = broadcast(p[param::t0]), tmax = broadcast(p[param::tmax]);
  const Pack zero = broadcast(0.0), one = broadcast(1.0);
  Pack lo = broadcast(__builtin_inf()), hi = broadcast(-__builtin_inf());
  for (int i0 = 0; i0 < n; i0 += simd::kLanes) {
    Pack tt;
    for (int j = 0; j < simd::kLanes; ++j) tt[j] = t[i0 + j < n ? i0 + j : n - 1];
    const Pack u = tt - t0, v = tt - tmax;
    const Pack bolus = simd::select(u > 0.0, (one - simd::exp(-kb * u)) * simd::exp(-kd * u), zero);
    const Pack slow = simd::select(v > 0.0, one - simd::exp(-knt * v), zero);
    const Pack val = a0 + a1 * bolus + a2 * slow;
    lo = simd::min(lo, val);
    hi = simd::max(hi, val);
  }
  double l = lo[0], h = hi[0];
  for (int j = 1; j < simd::kLanes; ++j) {
    l = lo[j] < l ? lo[j] : l;
    h = hi[j] > h ? hi[j] : h;
  }
  return h - l;
}

}  // namespace voxflow::kinetics
#endif
