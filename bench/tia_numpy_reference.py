#!/usr/bin/python3
"""numpy/scipy reference of `voxflow tia`: the PyTIA design (seeds/002) as pinned down by
docs TIA_SPEC (helper_notes/TIA_SPEC.md), vectorised over voxels as the design prescribes.

  * (N_vox, N_time) matrices, boolean masks for the noise floor and the classification,
  * gamma variate by batched 3x3 WLS normal equations (numpy.linalg.solve on stacked matrices),
    2x2 refit when beta is clamped to lambda_phys,
  * exponential tail by masked weighted regression, hybrid trapezoid + physical tail,
  * region mode (fixed class per label, ROI mean TAC, per-voxel amplitude scaling),
  * bootstrap with the counter-based key of spec §6 (splitmix64 in uint64 numpy arithmetic) so that
    sigma_tia is reproducible and comparable with the C++ one.
  * design v1 memory behaviour: the baseline fit runs chunk by chunk (performance.chunk_size_vox),
    the bootstrap holds every masked voxel's TAC and prediction (the design's stated limitation)
    and loops over replicates, vectorised over all masked voxels.

CLI:  tia_numpy_reference.py --config tia.yaml [-o OUTDIR] [--chunk N] [--set key.path=value ...]
writes OUTDIR/<prefix_>{tia,r2,sigma_tia,model_id,status_id,tpeak}.nii.gz and
<prefix_>tia_summary.yaml (timings in ms, counts, voxels/s, peak RSS), prints per-stage timings.
Exit 2 with one line "error: ..." on bad input.
Only Debian's /usr/bin/python3 (numpy, scipy, nibabel, yaml).
"""
import argparse
import copy
import math
import os
import resource
import sys
import time

import numpy as np

# ----------------------------------------------------------------------------------------------
# ids (spec header)
STATUS_OUTSIDE, STATUS_OK, STATUS_INSUFFICIENT, STATUS_FIT_FAILED, STATUS_ALL_BELOW, STATUS_NONPHYS = range(6)
MODEL_NONE, MODEL_GAMMA, MODEL_EXP, MODEL_HYBRID = range(4)
CLASS_NONE, CLASS_FALLING, CLASS_RISING, CLASS_HUMP, CLASS_AMBIGUOUS = range(5)
STATUS_LEGEND = {0: "OUTSIDE_MASK", 1: "OK", 2: "NOT_APPLICABLE_INSUFFICIENT_POINTS", 3: "FIT_FAILED",
                 4: "ALL_BELOW_FLOOR", 5: "NONPHYSICAL_PARAMS"}
MODEL_LEGEND = {0: "none", 1: "gamma", 2: "exponential", 3: "hybrid"}
MODEL_NAMES = {"gamma": MODEL_GAMMA, "exp": MODEL_EXP, "exponential": MODEL_EXP, "hybrid": MODEL_HYBRID}
CLASS_NAMES = {"falling": CLASS_FALLING, "rising": CLASS_RISING, "hump": CLASS_HUMP, "ambiguous": CLASS_AMBIGUOUS}
CLASS_DEFAULT_MODEL = {CLASS_FALLING: MODEL_EXP, CLASS_HUMP: MODEL_GAMMA, CLASS_RISING: MODEL_HYBRID,
                       CLASS_AMBIGUOUS: MODEL_HYBRID}
MAX_TIME_POINTS = 16
TIME_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0}


class InputError(Exception):
    """Bad input (exit 2)."""


# ----------------------------------------------------------------------------------------------
# options of one fit (spec §1-§4), all SI
class FitOptions:
    def __init__(self, lambda_phys, enforce=True, floor_mode="relative", floor_abs_bq=0.0,
                 floor_rel=0.01, eps=0.02, include_t0=True, rising_mode="hybrid",
                 falling_integral="design", refine=False):
        self.lambda_phys = float(lambda_phys)
        self.enforce = bool(enforce)
        self.floor_mode = floor_mode          # "off" | "absolute" | "relative"
        self.floor_abs_bq = float(floor_abs_bq)
        self.floor_rel = float(floor_rel)
        self.eps = float(eps)
        self.include_t0 = bool(include_t0)
        self.rising_mode = rising_mode        # "hybrid" | "peak_at_last"
        self.falling_integral = falling_integral  # "design" | "fitted_from_zero"
        self.refine = bool(refine)


# ----------------------------------------------------------------------------------------------
# counter-based RNG (spec §6)
_SM_C0 = np.uint64(0x9E3779B97F4A7C15)
_SM_C1 = np.uint64(0xBF58476D1CE4E5B9)
_SM_C2 = np.uint64(0x94D049BB133111EB)


def splitmix64(x):
    """splitmix64 finaliser on uint64 (scalar or array), wrap-around arithmetic."""
    with np.errstate(over="ignore"):
        z = np.asarray(x, dtype=np.uint64) + _SM_C0
        z = (z ^ (z >> np.uint64(30))) * _SM_C1
        z = (z ^ (z >> np.uint64(27))) * _SM_C2
        return z ^ (z >> np.uint64(31))


def voxel_keys(seed, voxel_ids):
    """splitmix64(splitmix64(seed) ^ voxel): the per-voxel part of key(), uint64 array."""
    s = splitmix64(np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF))
    return splitmix64(np.asarray(voxel_ids, dtype=np.uint64) ^ s)


def boot_key(seed, voxel, b, i):
    """key(seed, voxel, b, i) of spec §6 (uint64)."""
    vk = voxel_keys(seed, voxel)
    return splitmix64(vk ^ np.uint64((int(b) << 8) | int(i)))


# ----------------------------------------------------------------------------------------------
# mask and denoise (spec §7)
def otsu_threshold(values, nbins=256):
    """skimage.filters.threshold_otsu(values, nbins) re-written in numpy (bin centres of a
    256-bin histogram over [min, max] of the finite values)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise InputError("otsu mask: the sum image has no finite value")
    if np.all(v == v[0]):
        return float(v[0])
    counts, edges = np.histogram(v, bins=nbins, range=(v.min(), v.max()))
    centres = (edges[:-1] + edges[1:]) / 2.0
    counts = counts.astype(np.float64)
    w1 = np.cumsum(counts)
    w2 = np.cumsum(counts[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        m1 = np.cumsum(counts * centres) / w1
        m2 = (np.cumsum((counts * centres)[::-1]) / w2[::-1])[::-1]
    var12 = w1[:-1] * w2[1:] * (m1[:-1] - m2[1:]) ** 2
    var12 = np.where(np.isfinite(var12), var12, -1.0)
    return float(centres[int(np.argmax(var12))])


def otsu_mask(sum_image, min_fraction_of_max):
    """(S > otsu(S)) & (S >= min_fraction_of_max * max S)."""
    thr = otsu_threshold(sum_image)
    smax = np.nanmax(sum_image)
    return (sum_image > thr) & (sum_image >= min_fraction_of_max * smax)


def masked_gaussian(vol, mask, sigma_vox):
    """G(A*m)/G(m) inside the mask (0 where G(m) == 0), outside unchanged; G =
    scipy.ndimage.gaussian_filter(mode='reflect', truncate=4.0), sigma per axis in voxels."""
    from scipy.ndimage import gaussian_filter
    m = mask.astype(np.float64)
    num = gaussian_filter(np.where(mask, vol, 0.0).astype(np.float64), sigma_vox, mode="reflect", truncate=4.0)
    den = gaussian_filter(m, sigma_vox, mode="reflect", truncate=4.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sm = np.where(den != 0.0, num / np.where(den != 0.0, den, 1.0), 0.0)
    return np.where(mask, sm, vol)


# ----------------------------------------------------------------------------------------------
# per-curve pieces, all vectorised over rows of (n, N)
def valid_points(a, opt):
    """valid_i = a_i > 0 and a_i >= floor (spec §1). a: (n, N) Bq per voxel."""
    if opt.floor_mode == "absolute":
        floor = np.full(a.shape[0], opt.floor_abs_bq)
    elif opt.floor_mode == "relative":
        floor = opt.floor_rel * a.max(axis=1)
    else:
        floor = np.zeros(a.shape[0])
    return (a > 0) & (a >= floor[:, None])


def compress(a, valid, t):
    """valid samples moved to the front in time order: (order, a_c, t_c, m, pos_ok)."""
    N = a.shape[1]
    order = np.argsort(~valid, axis=1, kind="stable")
    ac = np.take_along_axis(a, order, axis=1)
    tc = t[order]
    m = valid.sum(axis=1)
    pos_ok = np.arange(N)[None, :] < m[:, None]
    return order, ac, tc, m, pos_ok


def peak_index(a, valid):
    """time index of the first maximum over the valid points (rows need >= 1 valid)."""
    return np.argmax(np.where(valid, a, -np.inf), axis=1)


def classify(a, valid, eps_rel):
    """curve class per row (spec §2); rows with < 2 valid points get CLASS_NONE."""
    n, N = a.shape
    rows = np.arange(n)
    order, ac, tc, m, pos_ok = compress(a, valid, np.zeros(N))
    p = peak_index(a, valid)
    a_pk = a[rows, p]
    eps = eps_rel * a_pk
    d = ac[:, 1:] - ac[:, :-1]
    dv = np.arange(N - 1)[None, :] < (m - 1)[:, None]
    s = ((d > eps[:, None]) & dv).sum(axis=1) - ((d < -eps[:, None]) & dv).sum(axis=1)
    last = np.maximum(m - 1, 0)
    v0 = order[:, 0]
    vl = order[rows, last]
    a0 = ac[:, 0]
    al = ac[rows, last]
    cls = np.full(n, CLASS_AMBIGUOUS, dtype=np.uint8)
    falling = (p == v0) & (s < 0)
    rising = (p == vl) & (s > 0) & ~falling
    hump = (p != v0) & (p != vl) & (a0 < a_pk - eps) & (al < a_pk - eps) & ~falling & ~rising
    cls[falling] = CLASS_FALLING
    cls[rising] = CLASS_RISING
    cls[hump] = CLASS_HUMP
    cls[m < 2] = CLASS_NONE
    return cls


def r_squared(a, valid, pred):
    """1 - SS_res/SS_tot over valid points; NaN when SS_tot == 0 or < 3 valid points."""
    m = valid.sum(axis=1)
    mean = np.where(valid, a, 0.0).sum(axis=1) / np.maximum(m, 1)
    ss_tot = np.where(valid, (a - mean[:, None]) ** 2, 0.0).sum(axis=1)
    ss_res = np.where(valid, (a - pred) ** 2, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - ss_res / ss_tot
    return np.where((ss_tot == 0.0) | (m < 3), np.nan, r2)


def _batched_spd_ok(G):
    """LDL^T pivots of stacked symmetric matrices all > 0 and finite (the C++ 'singular' test)."""
    k = G.shape[-1]
    L = np.zeros_like(G)
    d = np.zeros(G.shape[:-1])
    ok = np.all(np.isfinite(G.reshape(G.shape[0], -1)), axis=1)
    with np.errstate(all="ignore"):
        for j in range(k):
            dj = G[:, j, j] - np.sum(L[:, j, :j] ** 2 * d[:, :j], axis=1)
            d[:, j] = dj
            ok &= np.isfinite(dj) & (dj > 0)
            djs = np.where(dj > 0, dj, 1.0)
            for i in range(j + 1, k):
                L[:, i, j] = (G[:, i, j] - np.sum(L[:, i, :j] * L[:, j, :j] * d[:, :j], axis=1)) / djs
            L[:, j, j] = 1.0
    return ok


def _batched_solve(G, rhs):
    """solve G x = rhs for stacked matrices; rows whose G is not SPD get ok False (x = NaN)."""
    ok = _batched_spd_ok(G)
    Gs = np.where(ok[:, None, None], G, np.eye(G.shape[-1])[None])
    rs = np.where(ok[:, None], rhs, 0.0)
    x = np.linalg.solve(Gs, rs[..., None])[..., 0]
    x[~ok] = np.nan
    return x, ok & np.all(np.isfinite(x), axis=1)


def gamma_lm_refine(a, valid, t, lnK, alpha, beta, opt, iters=100):
    """bounded Levenberg-Marquardt on unweighted residuals a_i - K t_i^alpha e^(-beta t_i) over the
    valid points in (lnK, alpha, beta); alpha > 0, beta >= lambda_phys when enforced (projection);
    Marquardt scaling diag(J^T J); kept only where the SSE is lower than the start's."""
    lt = np.log(t)[None, :]
    tt = t[None, :]
    lo_beta = opt.lambda_phys if opt.enforce else 1e-300

    def sse_of(th):
        with np.errstate(all="ignore"):
            f = np.exp(th[:, 0:1] + th[:, 1:2] * lt - th[:, 2:3] * tt)
            r = np.where(valid, a - f, 0.0)
            return (r ** 2).sum(axis=1), f, r

    th0 = np.stack([lnK, alpha, beta], axis=1)
    th = th0.copy()
    sse0, f, r = sse_of(th)
    sse = sse0.copy()
    mu = np.full(len(a), 1e-3)
    active = np.isfinite(sse)
    for _ in range(iters):
        if not active.any():
            break
        with np.errstate(all="ignore"):
            J = np.stack([f, f * lt, -f * tt], axis=2) * valid[:, :, None]
            JtJ = np.einsum("nia,nib->nab", J, J)
            Jtr = np.einsum("nia,ni->na", J, r)
            D = np.einsum("naa->na", JtJ)
            A = JtJ + mu[:, None, None] * D[:, :, None] * np.eye(3)[None]
        delta, ok = _batched_solve(A, Jtr)
        cand = th + np.where(ok[:, None], delta, 0.0)
        cand[:, 1] = np.maximum(cand[:, 1], 1e-12)
        cand[:, 2] = np.maximum(cand[:, 2], lo_beta)
        sse_c, f_c, r_c = sse_of(cand)
        better = active & ok & np.isfinite(sse_c) & (sse_c < sse)
        conv = better & ((sse - sse_c) <= 1e-14 * sse)
        th[better] = cand[better]
        f[better], r[better] = f_c[better], r_c[better]
        sse[better] = sse_c[better]
        mu = np.where(better, mu / 10.0, mu * 10.0)
        active &= ~conv & (mu < 1e16)
    keep = np.isfinite(sse) & (sse < sse0)
    return np.where(keep[:, None], th, th0)


def fit_gamma(a, valid, t, opt):
    """gamma variate by WLS on ln a (weights a) with the beta >= lambda_phys 2x2 refit (spec §4).
    Returns ok, tia, tpeak, pred (n, N), fail (status if not ok: 3 for < 3 points, a singular
    system, non-finite parameters or TIA; 5 for alpha <= 0 or beta <= 0)."""
    n, N = a.shape
    m = valid.sum(axis=1)
    w = np.where(valid, a, 0.0)
    with np.errstate(divide="ignore"):
        y = np.where(valid, np.log(np.where(valid, a, 1.0)), 0.0)
    X = np.stack([np.ones(N), np.log(t), -t], axis=1)  # (N, 3): theta = (lnK, alpha, beta)
    G = np.einsum("ni,ia,ib->nab", w, X, X)
    rhs = np.einsum("ni,ia->na", w * y, X)
    theta, ok = _batched_solve(G, rhs)
    ok &= m >= 3
    lnK, alpha, beta = theta[:, 0].copy(), theta[:, 1].copy(), theta[:, 2].copy()
    if opt.enforce:
        clamp = ok & (beta < opt.lambda_phys)
        if clamp.any():
            X2 = X[:, :2]
            wc = w[clamp]
            y2 = y[clamp] + opt.lambda_phys * t[None, :]
            G2 = np.einsum("ni,ia,ib->nab", wc, X2, X2)
            r2 = np.einsum("ni,ia->na", wc * y2, X2)
            th2, ok2 = _batched_solve(G2, r2)
            lnK[clamp], alpha[clamp], beta[clamp] = th2[:, 0], th2[:, 1], opt.lambda_phys
            okc = ok[clamp]
            okc &= ok2
            ok[clamp] = okc
    fin = np.isfinite(lnK) & np.isfinite(alpha) & np.isfinite(beta)
    ok &= fin
    nonphys = ok & ~((alpha > 0) & (beta > 0))
    ok &= ~nonphys
    if opt.refine and ok.any():
        sel = ok
        if sel.any():
            th = gamma_lm_refine(a[sel], valid[sel], t, lnK[sel], alpha[sel], beta[sel], opt)
            lnK[sel], alpha[sel], beta[sel] = th[:, 0], th[:, 1], th[:, 2]
    from scipy.special import gammaln
    with np.errstate(all="ignore"):
        tia = np.exp(lnK + gammaln(alpha + 1.0) - (alpha + 1.0) * np.log(beta))
        tpeak = alpha / beta
        pred = np.exp(lnK[:, None] + alpha[:, None] * np.log(t)[None, :] - beta[:, None] * t[None, :])
    ok &= np.isfinite(tia)
    fail = np.where(nonphys, STATUS_NONPHYS, STATUS_FIT_FAILED).astype(np.uint8)
    return ok, tia, tpeak, pred, fail


def fit_exp(a, valid, t, opt):
    """falling mono-exponential tail after the measured peak (spec §4). Returns ok, tia, tpeak,
    pred, fail (3: < 2 tail points, singular, non-finite; 5: lambda_eff <= 0, TIA <= 0 or infinite)."""
    n, N = a.shape
    rows = np.arange(n)
    p = peak_index(a, valid)
    tail = valid & (np.arange(N)[None, :] >= p[:, None])
    nt = tail.sum(axis=1)
    w = np.where(tail, a, 0.0)
    with np.errstate(divide="ignore"):
        y = np.where(tail, np.log(np.where(tail, a, 1.0)), 0.0)
    with np.errstate(all="ignore"):
        sw = w.sum(axis=1)
        tb = (w * t[None, :]).sum(axis=1) / sw
        yb = (w * y).sum(axis=1) / sw
        dt = np.where(tail, t[None, :] - tb[:, None], 0.0)
        stt = (w * dt * dt).sum(axis=1)
        sty = (w * dt * (y - yb[:, None])).sum(axis=1)
        lam_fit = -sty / stt
    ok = (nt >= 2) & np.isfinite(lam_fit) & (stt > 0)
    lam = np.maximum(lam_fit, opt.lambda_phys) if opt.enforce else lam_fit
    nonphys = ok & ~(lam > 0)
    a_pk = a[rows, p]
    t_pk = t[p]
    with np.errstate(all="ignore"):
        if opt.falling_integral == "fitted_from_zero":
            c = (w * (y + lam[:, None] * t[None, :])).sum(axis=1) / sw
            tia = np.exp(c) / lam
            pred = np.exp(c[:, None] - lam[:, None] * t[None, :])
        else:
            tia = 0.5 * a_pk * t_pk + a_pk / lam
            pred = np.where(t[None, :] < t_pk[:, None], a_pk[:, None] * t[None, :] / t_pk[:, None],
                            a_pk[:, None] * np.exp(-lam[:, None] * (t[None, :] - t_pk[:, None])))
    if opt.falling_integral == "fitted_from_zero":
        ok &= np.isfinite(c)
    nonphys |= ok & ~(np.isfinite(tia) & (tia > 0))
    ok &= ~nonphys
    fail = np.where(nonphys, STATUS_NONPHYS, STATUS_FIT_FAILED).astype(np.uint8)
    return ok, tia, t_pk.astype(np.float64), pred, fail


def hybrid_prediction(a, valid, t):
    """piecewise-linear prediction at every sample time (spec §4 hybrid): valid interior point:
    leave-one-out interpolation between the previous and next valid points; first/last valid point:
    itself; non-valid time: interpolation between the nearest valid points around it, constant
    beyond the ends."""
    n, N = a.shape
    rows = np.arange(n)
    idx = np.arange(N)
    # previous valid index strictly before i, next valid strictly after i (-1 / N when none)
    prev = np.full((n, N), -1)
    nxt = np.full((n, N), N)
    last_seen = np.full(n, -1)
    for i in range(N):
        prev[:, i] = last_seen
        last_seen = np.where(valid[:, i], i, last_seen)
    next_seen = np.full(n, N)
    for i in range(N - 1, -1, -1):
        nxt[:, i] = next_seen
        next_seen = np.where(valid[:, i], i, next_seen)
    hp = prev >= 0
    hn = nxt < N
    pi = np.clip(prev, 0, N - 1)
    ni = np.clip(nxt, 0, N - 1)
    ap = np.take_along_axis(a, pi, axis=1)
    an = np.take_along_axis(a, ni, axis=1)
    tp = t[pi]
    tn = t[ni]
    with np.errstate(all="ignore"):
        interp = ap + (an - ap) * (t[None, :] - tp) / (tn - tp)
    pred = np.where(hp & hn, interp, np.where(hp, ap, an))
    pred = np.where(valid & ~(hp & hn), a, pred)
    del rows, idx
    return pred


def fit_hybrid(a, valid, t, opt, cls):
    """trapezoid over valid points (+ (0,0) when include_t0) + a_last / lambda_phys (spec §4)."""
    n, N = a.shape
    rows = np.arange(n)
    order, ac, tc, m, pos_ok = compress(a, valid, t)
    seg = pos_ok[:, 1:] & pos_ok[:, :-1]
    last = np.maximum(m - 1, 0)
    a_last = ac[rows, last]
    with np.errstate(all="ignore"):
        trap = np.where(seg, 0.5 * (ac[:, 1:] + ac[:, :-1]) * (tc[:, 1:] - tc[:, :-1]), 0.0).sum(axis=1)
        if opt.include_t0:
            trap = trap + 0.5 * ac[:, 0] * tc[:, 0]
        tia = trap + a_last / opt.lambda_phys
    ok = (m >= 2) & np.isfinite(tia) & (tia >= 0)
    tpeak = np.full(n, np.nan)
    if opt.rising_mode == "peak_at_last":
        r = cls == CLASS_RISING
        tpeak[r] = tc[rows, last][r]
    fail = np.where(m >= 1, STATUS_NONPHYS, STATUS_FIT_FAILED).astype(np.uint8)
    return ok, tia, tpeak, hybrid_prediction(a, valid, t), fail


def run_chains(a, valid, t, opt, chains, cls, fail_from="last"):
    """fit each row with the models of its chain (columns of `chains`, MODEL_NONE = end) until one
    succeeds (spec §3). Rows need >= 2 valid points. Returns tia, r2, tpeak, status, model, pred.
    A row whose chain is exhausted gets the failure status (3 failed / 5 non-physical) of its last
    attempt (voxel mode: the hybrid fallback) or, fail_from="first", of its first attempt (region
    mode: the default model's)."""
    n, N = a.shape
    tia = np.full(n, np.nan)
    tpeak = np.full(n, np.nan)
    pred = np.full((n, N), np.nan)
    model = np.zeros(n, dtype=np.uint8)
    status = np.full(n, STATUS_FIT_FAILED, dtype=np.uint8)
    pending = np.ones(n, dtype=bool)
    first_fail = np.zeros(n, dtype=np.uint8)
    for k in range(chains.shape[1]):
        for mid in (MODEL_GAMMA, MODEL_EXP, MODEL_HYBRID):
            sel = np.flatnonzero(pending & (chains[:, k] == mid))
            if sel.size == 0:
                continue
            if mid == MODEL_GAMMA:
                ok, ti, tp, pr, fl = fit_gamma(a[sel], valid[sel], t, opt)
            elif mid == MODEL_EXP:
                ok, ti, tp, pr, fl = fit_exp(a[sel], valid[sel], t, opt)
            else:
                ok, ti, tp, pr, fl = fit_hybrid(a[sel], valid[sel], t, opt, cls[sel])
            f = sel[~ok]
            if fail_from == "last" or k == 0:
                status[f] = fl[~ok]
            s = sel[ok]
            tia[s], tpeak[s], pred[s] = ti[ok], tp[ok], pr[ok]
            model[s] = mid
            status[s] = STATUS_OK
            pending[s] = False
    r2 = np.full(n, np.nan)
    okr = status == STATUS_OK
    if okr.any():
        r2[okr] = r_squared(a[okr], valid[okr], pred[okr])
    return tia, r2, tpeak, status, model, pred


def fit_voxels(a, t, opt, fixed_model=None):
    """voxel-mode fit of (n, N) activities in Bq (already clamped): floor, classification, model
    choice and fallbacks. fixed_model (n,) replaces the class-based choice and disables the
    fallback (bootstrap without reclassification: the baseline model is kept).
    Returns dict tia, r2, tpeak, status, model, cls, pred, valid."""
    n, N = a.shape
    valid = valid_points(a, opt)
    m = valid.sum(axis=1)
    out = {
        "tia": np.full(n, np.nan), "r2": np.full(n, np.nan), "tpeak": np.full(n, np.nan),
        "status": np.full(n, STATUS_FIT_FAILED, dtype=np.uint8), "model": np.zeros(n, dtype=np.uint8),
        "cls": np.zeros(n, dtype=np.uint8), "pred": np.full((n, N), np.nan), "valid": valid,
    }
    out["status"][m == 0] = STATUS_ALL_BELOW
    out["status"][m == 1] = STATUS_INSUFFICIENT
    fit = np.flatnonzero(m >= 2)
    if fit.size == 0:
        return out
    af, vf = a[fit], valid[fit]
    cls = classify(af, vf, opt.eps)
    if fixed_model is None:
        first = np.where(cls == CLASS_HUMP, MODEL_GAMMA, np.where(cls == CLASS_FALLING, MODEL_EXP, MODEL_HYBRID))
    else:
        first = np.asarray(fixed_model)[fit]
    first = first.astype(np.uint8)
    second = np.where((first != MODEL_HYBRID) & (fixed_model is None), MODEL_HYBRID, MODEL_NONE).astype(np.uint8)
    chains = np.stack([first, second], axis=1)
    tia, r2, tpeak, status, model, pred = run_chains(af, vf, t, opt, chains, cls)
    out["tia"][fit], out["r2"][fit], out["tpeak"][fit] = tia, r2, tpeak
    out["status"][fit], out["model"][fit], out["cls"][fit] = status, model, cls
    out["pred"][fit] = pred
    return out


class Welford:
    """running mean / M2 per voxel over the replicates that succeeded."""

    def __init__(self, n):
        self.count = np.zeros(n, dtype=np.int64)
        self.mean = np.zeros(n)
        self.m2 = np.zeros(n)

    def add(self, x, ok):
        c = self.count + ok
        with np.errstate(all="ignore"):
            d = np.where(ok, x - self.mean, 0.0)
            self.mean = self.mean + np.where(ok, d / np.maximum(c, 1), 0.0)
            self.m2 = self.m2 + np.where(ok, d * (x - self.mean), 0.0)
        self.count = c

    def std(self):
        with np.errstate(all="ignore"):
            s = np.sqrt(self.m2 / self.count)
        return np.where(self.count >= 2, s, np.nan)


def bootstrap_draws(vkeys, b, N, m):
    """indices j = key % m for replicate b, every time index i: (n, N) int64."""
    out = np.empty((len(vkeys), N), dtype=np.int64)
    mu = m.astype(np.uint64)
    with np.errstate(over="ignore"):
        for i in range(N):
            k = splitmix64(vkeys ^ np.uint64((b << 8) | i))
            out[:, i] = (k % mu).astype(np.int64)
    return out


def bootstrap_synthetic(a, valid, pred, vkeys, b, t):
    """A*_i = max(Ahat0_i + r_j, 0), r = residuals over the valid points in time order."""
    N = a.shape[1]
    order, ac, tc, m, pos_ok = compress(a, valid, t)
    predc = np.take_along_axis(pred, order, axis=1)
    res_c = ac - predc
    j = bootstrap_draws(vkeys, b, N, m)
    r = np.take_along_axis(res_c, j, axis=1)
    return np.maximum(pred + r, 0.0)


def bootstrap_voxels(a, valid, pred, model, voxel_ids, t, opt, replicates, seed, reclassify,
                     progress=None):
    """sigma_tia of voxel-mode curves (all rows status ok at baseline): population std of TIA* over
    successful replicates (spec §6). Rows: voxels; all held at once (design v1)."""
    n = a.shape[0]
    acc = Welford(n)
    vkeys = voxel_keys(seed, voxel_ids)
    for b in range(replicates):
        astar = bootstrap_synthetic(a, valid, pred, vkeys, b, t)
        r = fit_voxels(astar, t, opt, fixed_model=None if reclassify else model)
        acc.add(r["tia"], r["status"] == STATUS_OK)
        if progress:
            progress(b)
    return acc.std()


# ----------------------------------------------------------------------------------------------
# region mode (spec §5)
def region_chain(spec):
    chain = [spec["default_model"]] + [mm for mm in spec["allowed_models"] if mm != spec["default_model"]]
    return np.array([chain], dtype=np.uint8)


def fit_region_tac(tac, t, opt, chain, cls):
    """fit one region TAC (N,) with its fixed chain. Returns dict like fit_voxels for 1 row."""
    a = np.maximum(np.asarray(tac, dtype=np.float64)[None, :], 0.0)
    valid = valid_points(a, opt)
    m = int(valid.sum())
    N = a.shape[1]
    out = {"tia": np.nan, "r2": np.nan, "tpeak": np.nan, "model": MODEL_NONE, "pred": np.full(N, np.nan),
           "valid": valid[0], "a": a[0]}
    if m == 0:
        out["status"] = STATUS_ALL_BELOW
        return out
    if m == 1:
        out["status"] = STATUS_INSUFFICIENT
        return out
    tia, r2, tpeak, status, model, pred = run_chains(a, valid, t, opt, chain, np.array([cls], dtype=np.uint8),
                                                     fail_from="first")
    out.update(tia=tia[0], r2=r2[0], tpeak=tpeak[0], status=int(status[0]), model=int(model[0]), pred=pred[0])
    if out["status"] == STATUS_OK:
        pk = out["pred"][np.argmax(np.where(valid[0], out["pred"], -np.inf))]
        if not (np.isfinite(pk) and pk > 0):      # no usable reference amplitude
            out.update(status=STATUS_FIT_FAILED, tia=np.nan, r2=np.nan, tpeak=np.nan, model=MODEL_NONE)
    return out


def region_voxels(a_vox, t, opt, reg, voxel_level_r2):
    """per-voxel scaling by amplitude at t_ref (spec §5). a_vox (n, N) Bq. Returns dict of arrays
    and `scale` (NaN where not applicable)."""
    n, N = a_vox.shape
    res = {"tia": np.full(n, np.nan), "r2": np.full(n, np.nan), "tpeak": np.full(n, np.nan),
           "status": np.full(n, reg["status"], dtype=np.uint8), "model": np.zeros(n, dtype=np.uint8),
           "scale": np.full(n, np.nan)}
    if reg["status"] != STATUS_OK:
        return res
    predv = np.where(reg["valid"], reg["pred"], -np.inf)
    iref = int(np.argmax(predv))
    a_ref = reg["pred"][iref]
    valid = valid_points(a_vox, opt)
    m = valid.sum(axis=1)
    okv = valid[:, iref]
    with np.errstate(all="ignore"):
        scale = a_vox[:, iref] / a_ref
    res["status"][:] = STATUS_INSUFFICIENT           # also when no point is valid (spec §5 literally)
    res["status"][okv] = STATUS_OK
    res["model"][okv] = reg["model"]
    res["tia"][okv] = scale[okv] * reg["tia"]
    res["tpeak"][okv] = reg["tpeak"]
    res["scale"][okv] = scale[okv]
    if voxel_level_r2:
        pv = scale[:, None] * reg["pred"][None, :]
        r2 = r_squared(a_vox, valid, pv)
        res["r2"][okv] = r2[okv]
    else:
        res["r2"][okv] = reg["r2"]
    res["iref"] = iref
    return res


def bootstrap_region(reg, t, opt, chain_model, label, replicates, seed):
    """std of TIA_ref* over successful replicates of the region TAC (fixed model, voxel id
    2^63 + label); NaN when < 2 succeeded."""
    a = reg["a"][None, :]
    valid = reg["valid"][None, :]
    pred = reg["pred"][None, :]
    vkeys = voxel_keys(seed, np.array([(1 << 63) + int(label)], dtype=np.uint64))
    acc = Welford(1)
    chain = np.array([[chain_model]], dtype=np.uint8)
    for b in range(replicates):
        astar = bootstrap_synthetic(a, valid, pred, vkeys, b, t)
        vs = valid_points(astar, opt)
        ms = int(vs.sum())
        if ms < 2:
            acc.add(np.array([np.nan]), np.array([False]))
            continue
        tia, r2, tp, st, mo, pr = run_chains(astar, vs, t, opt, chain, np.array([reg["cls"]], dtype=np.uint8),
                                             fail_from="first")
        acc.add(tia, st == STATUS_OK)
    return float(acc.std()[0])


# ----------------------------------------------------------------------------------------------
# configuration (spec §8)
_DEFAULT_CLASSES = {}     # spec §8 shows label 1 as an example; like the C++, no class unless configured
DEFAULTS = {
    "inputs": {"images": None, "times": None},
    "time": {"unit": "seconds"},
    "physics": {"half_life_seconds": None, "enforce_lambda_phys": True},
    "mask": {"mode": "otsu", "path": None, "min_fraction_of_max": 0.02},
    "denoise": {"enabled": True, "sigma_mm": 2.0},
    "noise_floor": {"enabled": True, "mode": "relative", "absolute_bq_per_ml": 0.0, "relative_fraction": 0.01},
    "models": {"mode": "auto", "rising_mode": "hybrid", "include_t0": True, "classification_epsilon": 0.02,
               "refine": False, "falling_integral": "design",
               # issue 16: this reference implements the design's choice only (selection: design)
               "selection": "design", "candidates": ["gamma", "monoexp", "biexp", "triexp", "hybrid"]},
    "regions": {"enabled": False, "label_map_path": None, "voxel_level_r2": False, "classes": _DEFAULT_CLASSES},
    "bootstrap": {"enabled": True, "replicates": 50, "seed": 0, "reclassify": True},
    "performance": {"chunk_size_vox": 500000},
    "io": {"output_dir": "out", "prefix": "", "write_tpeak": True},
}
_TYPES = {
    "inputs.images": "strlist", "inputs.times": "numlist", "time.unit": ("enum", tuple(TIME_UNITS)),
    "physics.half_life_seconds": "num", "physics.enforce_lambda_phys": "bool",
    "mask.mode": ("enum", ("otsu", "file", "none")), "mask.path": "str?", "mask.min_fraction_of_max": "num",
    "denoise.enabled": "bool", "denoise.sigma_mm": "num",
    "noise_floor.enabled": "bool", "noise_floor.mode": ("enum", ("absolute", "relative")),
    "noise_floor.absolute_bq_per_ml": "num", "noise_floor.relative_fraction": "num",
    "models.mode": ("enum", ("auto",)), "models.rising_mode": ("enum", ("hybrid", "peak_at_last")),
    "models.include_t0": "bool", "models.classification_epsilon": "num", "models.refine": "bool",
    "models.falling_integral": ("enum", ("design", "fitted_from_zero")),
    "models.selection": ("enum", ("design",)), "models.candidates": "strlist",
    "regions.enabled": "bool", "regions.label_map_path": "str?", "regions.voxel_level_r2": "bool",
    "regions.classes": "classes",
    "bootstrap.enabled": "bool", "bootstrap.replicates": "int", "bootstrap.seed": "int",
    "bootstrap.reclassify": "bool", "performance.chunk_size_vox": "int",
    "io.output_dir": "str", "io.prefix": "str", "io.write_tpeak": "bool",
}


def _check_type(key, v, kind):
    def bad(what):
        raise InputError(f"config key '{key}': expected {what}, got {v!r}")
    isnum = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)
    if isinstance(kind, tuple):
        if not isinstance(v, str) or v not in kind[1]:
            bad("one of " + ", ".join(kind[1]))
        return v
    if kind == "bool":
        if not isinstance(v, bool):
            bad("true or false")
    elif kind == "num":
        if not isnum(v):
            bad("a number")
        return float(v)
    elif kind == "int":
        if not isinstance(v, int) or isinstance(v, bool):
            bad("an integer")
    elif kind == "str":
        if not isinstance(v, str):
            bad("a string")
    elif kind == "str?":
        if v is not None and not isinstance(v, str):
            bad("a string or null")
    elif kind == "strlist":
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            bad("a list of file names")
    elif kind == "numlist":
        if not isinstance(v, list) or not all(isnum(x) for x in v):
            bad("a list of numbers")
        return [float(x) for x in v]
    elif kind == "classes":
        if not isinstance(v, dict):
            bad("a mapping label -> {class, allowed_models, default_model}")
        out = {}
        for lab, spec in v.items():
            k2 = f"{key}.{lab}"
            try:
                label = int(str(lab))
            except ValueError:
                raise InputError(f"config key '{k2}': label must be an integer")
            if not isinstance(spec, dict):
                raise InputError(f"config key '{k2}': expected a mapping")
            for kk in spec:
                if kk not in ("class", "allowed_models", "default_model"):
                    raise InputError(f"config key '{k2}.{kk}': unknown key")
            cname = spec.get("class")
            if cname not in CLASS_NAMES:
                raise InputError(f"config key '{k2}.class': expected one of falling, rising, hump, ambiguous")
            cid = CLASS_NAMES[cname]
            allowed = spec.get("allowed_models", [MODEL_LEGEND[CLASS_DEFAULT_MODEL[cid]]])
            if not isinstance(allowed, list) or not allowed or not all(isinstance(x, str) and x in MODEL_NAMES for x in allowed):
                raise InputError(f"config key '{k2}.allowed_models': expected a non-empty list of gamma, exp, hybrid")
            dm = spec.get("default_model", allowed[0])
            if not isinstance(dm, str) or dm not in MODEL_NAMES:
                raise InputError(f"config key '{k2}.default_model': expected one of gamma, exp, hybrid")
            out[label] = {"class": cid, "allowed_models": [MODEL_NAMES[x] for x in allowed],
                          "default_model": MODEL_NAMES[dm]}
        return out
    return v


def set_key(cfg, dotted, value):
    """--set key.path=value (value parsed as YAML)."""
    import yaml
    parts = dotted.split(".")
    d = cfg
    for p in parts[:-1]:
        if not isinstance(d.get(p), dict):
            d[p] = {}
        d = d[p]
    d[parts[-1]] = yaml.safe_load(value)


def load_config(path, overrides=()):
    """read + validate the YAML; returns (cfg dict with defaults applied, raw snapshot, base folder)."""
    import yaml
    try:
        with open(path) as f:
            raw = yaml.safe_load(f) or {}
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})")
    except yaml.YAMLError as e:
        raise InputError(f"{path}: not valid YAML ({str(e).splitlines()[0]})")
    if not isinstance(raw, dict):
        raise InputError(f"{path}: top level must be a mapping")
    for ov in overrides:
        if "=" not in ov:
            raise InputError(f"--set {ov}: expected key.path=value")
        k, v = ov.split("=", 1)
        set_key(raw, k, v)
    cfg = copy.deepcopy(DEFAULTS)
    for sec, val in raw.items():
        if sec not in DEFAULTS:
            raise InputError(f"{path}: unknown config key '{sec}'")
        if not isinstance(val, dict):
            raise InputError(f"{path}: config key '{sec}' must be a mapping")
        for k, v in val.items():
            if k not in DEFAULTS[sec]:
                raise InputError(f"{path}: unknown config key '{sec}.{k}'")
            try:
                cfg[sec][k] = _check_type(f"{sec}.{k}", v, _TYPES[f"{sec}.{k}"])
            except InputError as e:
                raise InputError(f"{path}: {e}")
    if cfg["regions"]["classes"] is _DEFAULT_CLASSES:
        cfg["regions"]["classes"] = {}
    if not cfg["inputs"]["images"]:
        raise InputError(f"{path}: config key 'inputs.images' is required")
    if cfg["inputs"]["times"] is None:
        raise InputError(f"{path}: config key 'inputs.times' is required")
    if cfg["physics"]["half_life_seconds"] is None:
        raise InputError(f"{path}: config key 'physics.half_life_seconds' is required")
    if not cfg["physics"]["half_life_seconds"] > 0:
        raise InputError(f"{path}: config key 'physics.half_life_seconds' must be > 0")
    if len(cfg["inputs"]["times"]) != len(cfg["inputs"]["images"]):
        raise InputError(f"{path}: inputs.times has {len(cfg['inputs']['times'])} values for "
                         f"{len(cfg['inputs']['images'])} images")
    if cfg["bootstrap"]["replicates"] < 0 or cfg["performance"]["chunk_size_vox"] < 1:
        raise InputError(f"{path}: bootstrap.replicates must be >= 0 and performance.chunk_size_vox >= 1")
    return cfg, raw, os.path.dirname(os.path.abspath(path))


def options_from_config(cfg, voxel_ml):
    nf = cfg["noise_floor"]
    mode = "off" if not nf["enabled"] else nf["mode"]
    return FitOptions(lambda_phys=math.log(2.0) / cfg["physics"]["half_life_seconds"],
                      enforce=cfg["physics"]["enforce_lambda_phys"], floor_mode=mode,
                      floor_abs_bq=nf["absolute_bq_per_ml"] * voxel_ml, floor_rel=nf["relative_fraction"],
                      eps=cfg["models"]["classification_epsilon"], include_t0=cfg["models"]["include_t0"],
                      rising_mode=cfg["models"]["rising_mode"], falling_integral=cfg["models"]["falling_integral"],
                      refine=cfg["models"]["refine"])


# ----------------------------------------------------------------------------------------------
# pipeline
def _rel(base, p):
    return p if os.path.isabs(p) else os.path.join(base, p)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(cfg, base, outdir, chunk=None, log=print):
    """whole pipeline; returns (maps dict of flat F-order arrays, summary dict)."""
    import nibabel as nib
    timing = {}
    t0 = time.perf_counter()
    # -- load
    paths = [_rel(base, p) for p in cfg["inputs"]["images"]]
    times = np.array(cfg["inputs"]["times"], dtype=np.float64) * TIME_UNITS[cfg["time"]["unit"]]
    N = len(paths)
    if not 2 <= N <= MAX_TIME_POINTS:
        raise InputError(f"inputs.images: {N} time points (need 2 to {MAX_TIME_POINTS})")
    imgs = []
    for p in paths:
        try:
            imgs.append(nib.load(p))
        except Exception as e:
            raise InputError(f"{p}: cannot read as NIfTI ({e})")
    ref = imgs[0]
    for p, im in zip(paths[1:], imgs[1:]):
        if im.shape[:3] != ref.shape[:3] or (len(im.shape) > 3 and im.shape[3] != 1):
            raise InputError(f"{p}: shape {im.shape} differs from {paths[0]} {ref.shape}")
        if not np.allclose(im.affine, ref.affine, atol=1e-4, rtol=0):
            raise InputError(f"{p}: affine differs from {paths[0]}")
    order = np.argsort(times, kind="stable")
    times = times[order]
    if np.any(times <= 0) or np.any(np.diff(times) <= 0):
        raise InputError("inputs.times: times must be > 0 and distinct")
    shape = ref.shape[:3]
    dens = np.empty(shape + (N,), dtype=np.float64)
    for k, src in enumerate(order):
        dens[..., k] = np.asarray(imgs[src].get_fdata(dtype=np.float64)).reshape(shape)
    affine = ref.affine
    voxel_ml = abs(np.linalg.det(affine[:3, :3])) / 1000.0
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
    timing["load"] = time.perf_counter() - t0
    # -- mask
    t1 = time.perf_counter()
    mcfg = cfg["mask"]
    if mcfg["mode"] == "otsu":
        mask = otsu_mask(dens.sum(axis=3), mcfg["min_fraction_of_max"])
    elif mcfg["mode"] == "file":
        if not mcfg["path"]:
            raise InputError("mask.path is required with mask.mode: file")
        mp = _rel(base, mcfg["path"])
        mi = nib.load(mp)
        if mi.shape[:3] != shape or not np.allclose(mi.affine, affine, atol=1e-4, rtol=0):
            raise InputError(f"{mp}: mask grid differs from the images")
        mask = np.asarray(mi.get_fdata()).reshape(shape) != 0
    else:
        mask = np.ones(shape, dtype=bool)
    labels = None
    if cfg["regions"]["enabled"]:
        if not cfg["regions"]["label_map_path"]:
            raise InputError("regions.label_map_path is required when regions.enabled")
        lp = _rel(base, cfg["regions"]["label_map_path"])
        li = nib.load(lp)
        if li.shape[:3] != shape or not np.allclose(li.affine, affine, atol=1e-4, rtol=0):
            raise InputError(f"{lp}: label map grid differs from the images")
        labels = np.rint(np.asarray(li.get_fdata()).reshape(shape)).astype(np.int64)
    timing["mask"] = time.perf_counter() - t1
    # -- denoise
    t1 = time.perf_counter()
    if cfg["denoise"]["enabled"]:
        sig = cfg["denoise"]["sigma_mm"] / spacing
        for k in range(N):
            dens[..., k] = masked_gaussian(dens[..., k], mask, sig)
    timing["denoise"] = time.perf_counter() - t1
    # -- masked TACs (N_mask, N), Bq per voxel; voxel id = x + nx*(y + ny*z)
    t1 = time.perf_counter()
    flat_mask = mask.ravel(order="F")
    vid = np.flatnonzero(flat_mask)
    A = dens.reshape(-1, N, order="F")[vid]
    del dens
    np.maximum(A, 0.0, out=A)
    A *= voxel_ml
    opt = options_from_config(cfg, voxel_ml)
    nvox = flat_mask.size
    maps = {"tia": np.full(nvox, np.nan), "r2": np.full(nvox, np.nan), "sigma_tia": np.full(nvox, np.nan),
            "tpeak": np.full(nvox, np.nan), "model_id": np.zeros(nvox, dtype=np.uint8),
            "status_id": np.zeros(nvox, dtype=np.uint8)}
    classes = cfg["regions"]["classes"] if labels is not None else {}
    lab_m = labels.ravel(order="F")[vid] if labels is not None else None
    in_region = np.isin(lab_m, list(classes)) if classes else np.zeros(len(vid), dtype=bool)
    vox_rows = np.flatnonzero(~in_region)
    nv = len(vox_rows)
    # voxel mode, chunked baseline; design v1 keeps every masked TAC + prediction for the bootstrap
    chunk = chunk or cfg["performance"]["chunk_size_vox"]
    keep_pred = np.empty((nv, N))
    keep_valid = np.empty((nv, N), dtype=bool)
    keep_model = np.empty(nv, dtype=np.uint8)
    for s in range(0, nv, chunk):
        rows = vox_rows[s:s + chunk]
        r = fit_voxels(A[rows], times, opt)
        g = vid[rows]
        maps["tia"][g], maps["r2"][g], maps["tpeak"][g] = r["tia"], r["r2"], r["tpeak"]
        maps["status_id"][g], maps["model_id"][g] = r["status"], r["model"]
        keep_pred[s:s + chunk], keep_valid[s:s + chunk], keep_model[s:s + chunk] = r["pred"], r["valid"], r["model"]
    # region mode
    regions_out = {}
    for label, spec in classes.items():
        rr = np.flatnonzero(in_region & (lab_m == label))
        if rr.size == 0:
            continue
        tac = A[rr].mean(axis=0)
        reg = fit_region_tac(tac, times, opt, region_chain(spec), spec["class"])
        reg["cls"] = spec["class"]
        res = region_voxels(A[rr], times, opt, reg, cfg["regions"]["voxel_level_r2"])
        g = vid[rr]
        maps["tia"][g], maps["r2"][g], maps["tpeak"][g] = res["tia"], res["r2"], res["tpeak"]
        maps["status_id"][g], maps["model_id"][g] = res["status"], res["model"]
        regions_out[label] = (reg, res, rr)
    timing["fit"] = time.perf_counter() - t1
    # -- bootstrap
    t1 = time.perf_counter()
    bcfg = cfg["bootstrap"]
    if bcfg["enabled"] and bcfg["replicates"] > 0:
        okr = np.flatnonzero(maps["status_id"][vid[vox_rows]] == STATUS_OK)
        if okr.size:
            rows = vox_rows[okr]
            sig = bootstrap_voxels(A[rows], keep_valid[okr], keep_pred[okr], keep_model[okr], vid[rows],
                                   times, opt, bcfg["replicates"], bcfg["seed"], bcfg["reclassify"])
            maps["sigma_tia"][vid[rows]] = sig
        for label, (reg, res, rr) in regions_out.items():
            if reg["status"] != STATUS_OK:
                continue
            sref = bootstrap_region(reg, times, opt, reg["model"], label, bcfg["replicates"], bcfg["seed"])
            okv = res["status"] == STATUS_OK
            maps["sigma_tia"][vid[rr][okv]] = res["scale"][okv] * sref
    timing["bootstrap"] = time.perf_counter() - t1
    del keep_pred, keep_valid, A
    # -- save
    t1 = time.perf_counter()
    summary = write_outputs(maps, shape, ref, cfg, outdir, nib)
    timing["save"] = time.perf_counter() - t1
    timing["total"] = time.perf_counter() - t0
    n_mask = int(len(vid))
    fb = timing["fit"] + timing["bootstrap"]
    summary.update({
        "voxels": {"total": int(nvox), "masked": n_mask,
                   "voxels_per_second": float(n_mask / fb) if fb > 0 else None},
        "timing_ms": {k: round(v * 1000.0, 3) for k, v in timing.items()},
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "lambda_phys_per_s": opt.lambda_phys, "voxel_volume_ml": float(voxel_ml),
        "times_s": [float(x) for x in times],
    })
    return maps, summary


def write_outputs(maps, shape, ref, cfg, outdir, nib):
    import yaml
    os.makedirs(outdir, exist_ok=True)
    pre = cfg["io"]["prefix"]
    pre = pre + "_" if pre else ""
    names = ["tia", "r2", "sigma_tia", "model_id", "status_id"] + (["tpeak"] if cfg["io"]["write_tpeak"] else [])
    for nm in names:
        dt = np.uint8 if nm in ("model_id", "status_id") else np.float32
        vol = maps[nm].reshape(shape, order="F").astype(dt)
        hdr = ref.header.copy()
        hdr.set_data_dtype(dt)
        img = nib.Nifti1Image(vol, ref.affine, header=hdr)
        path = os.path.join(outdir, f"{pre}{nm}.nii.gz")
        tmp = path + f".tmp-{os.getpid()}.nii.gz"
        nib.save(img, tmp)
        os.replace(tmp, path)
    st = maps["status_id"]
    mo = maps["model_id"]
    summary = {
        "status_legend": {int(k): v for k, v in STATUS_LEGEND.items()},
        "status_counts": {STATUS_LEGEND[k]: int((st == k).sum()) for k in STATUS_LEGEND},
        "model_legend": {int(k): v for k, v in MODEL_LEGEND.items()},
        "model_counts": {MODEL_LEGEND[k]: int(((mo == k) & (st == STATUS_OK)).sum()) for k in MODEL_LEGEND},
    }
    summary["_path"] = os.path.join(outdir, f"{pre}tia_summary.yaml")
    return summary


def write_synthetic_inputs(outdir, shape=(20, 18, 10), noise=0.05, seed=1, hours=(4.0, 24.0, 48.0, 168.0),
                           half_life_s=574300.8, shuffle=True):
    """small synthetic 4-time-point study for tests when the phantom is not available:
    an ellipsoidal body (labels 1..5) in a weak noisy background, on an oblique-free non-unit grid
    (spacing 2.0, 2.5, 3.0 mm, offset origin). Label 1 falling (exponential), 2 hump (gamma
    variate), 3 rising (slow uptake), 4 flat (ambiguous), 5 hump with late noise. Multiplicative
    Gaussian noise (sd `noise`), a few negative and zero voxels. Images are written in shuffled
    time order (the config lists them with their times); times in hours (time.unit: hours).
    Writes act_*.nii.gz, labels.nii.gz, tia.yaml (voxel mode), tia_regions.yaml (region mode).
    Returns the dict of paths."""
    import nibabel as nib
    import yaml
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(seed)
    nx, ny, nz = shape
    aff = np.diag([2.0, 2.5, 3.0, 1.0])
    aff[:3, 3] = [-20.0, -22.5, 10.0]
    x, y, z = np.meshgrid(np.linspace(-1, 1, nx), np.linspace(-1, 1, ny), np.linspace(-1, 1, nz), indexing="ij")
    body = (x / 0.85) ** 2 + (y / 0.8) ** 2 + (z / 0.9) ** 2 <= 1.0
    labels = np.zeros(shape, dtype=np.uint8)
    labels[body] = 4
    labels[body & (x < -0.2) & (y < 0)] = 1
    labels[body & (x >= -0.2) & (x < 0.3) & (y < 0)] = 2
    labels[body & (x >= 0.3) & (y < 0)] = 3
    labels[body & (y >= 0.35)] = 5
    t = np.array(hours) * 3600.0
    lam = math.log(2.0) / half_life_s
    amp = 1.0 + 0.3 * np.sin(3 * x) * np.cos(2 * y) + 0.1 * z   # spatial amplitude variation
    curves = {
        1: lambda tt: 400.0 * np.exp(-(3 * lam + 2e-6) * tt),
        2: lambda tt: 300.0 * (tt / 86400.0) ** 1.6 * np.exp(-1.6 * tt / 86400.0 + 1.6),
        3: lambda tt: 200.0 * (1 - np.exp(-tt / 200000.0)) * np.exp(-0.2 * lam * tt) + 20.0,
        4: lambda tt: 180.0 + 0.0 * tt,
        5: lambda tt: 250.0 * (tt / 1.4e5) ** 0.8 * np.exp(-0.8 * tt / 1.4e5 + 0.8),
    }
    frames = []
    for k, tk in enumerate(t):
        f = np.zeros(shape)
        for lab, c in curves.items():
            sel = labels == lab
            f[sel] = c(tk) * amp[sel]
        f *= 1.0 + noise * rng.standard_normal(shape)
        bg = ~body
        f[bg] = 2.0 + 1.0 * rng.standard_normal(bg.sum())   # some negative background values
        frames.append(f.astype(np.float32))
    # a few odd voxels inside the body: zero at one time point, negative at another
    idx = np.argwhere(body)
    pick = idx[rng.choice(len(idx), size=min(12, len(idx)), replace=False)]
    for n, (i, j, kk) in enumerate(pick):
        frames[n % len(t)][i, j, kk] = 0.0 if n % 2 else -5.0
    order = rng.permutation(len(t)) if shuffle else np.arange(len(t))
    names, times = [], []
    for k in order:
        nm = f"act_{k + 1}.nii.gz"
        img = nib.Nifti1Image(frames[k], aff)
        img.header.set_xyzt_units("mm", "sec")
        nib.save(img, os.path.join(outdir, nm))
        names.append(nm)
        times.append(float(hours[k]))
    nib.save(nib.Nifti1Image(labels, aff), os.path.join(outdir, "labels.nii.gz"))
    base = {"inputs": {"images": names, "times": times}, "time": {"unit": "hours"},
            "physics": {"half_life_seconds": half_life_s},
            "bootstrap": {"replicates": 20, "seed": 7}, "io": {"output_dir": "out"}}
    with open(os.path.join(outdir, "tia.yaml"), "w") as f:
        yaml.safe_dump(base, f, sort_keys=False)
    reg = copy.deepcopy(base)
    reg["regions"] = {"enabled": True, "label_map_path": "labels.nii.gz", "voxel_level_r2": True,
                      "classes": {"1": {"class": "falling", "allowed_models": ["exp"], "default_model": "exp"},
                                  "2": {"class": "hump", "allowed_models": ["gamma", "hybrid"],
                                        "default_model": "gamma"},
                                  "3": {"class": "rising", "allowed_models": ["hybrid"], "default_model": "hybrid"}}}
    with open(os.path.join(outdir, "tia_regions.yaml"), "w") as f:
        yaml.safe_dump(reg, f, sort_keys=False)
    return {"dir": outdir, "voxel_config": os.path.join(outdir, "tia.yaml"),
            "region_config": os.path.join(outdir, "tia_regions.yaml"), "labels": os.path.join(outdir, "labels.nii.gz")}


def main(argv=None):
    import yaml
    ap = argparse.ArgumentParser(description="numpy reference of voxflow tia (PyTIA design v1)")
    ap.add_argument("--config", required=True)
    ap.add_argument("-o", "--output")
    ap.add_argument("--chunk", type=int)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    try:
        cfg, raw, base = load_config(args.config, args.set)
        outdir = args.output or _rel(base, cfg["io"]["output_dir"])
        maps, summary = run(cfg, base, outdir, chunk=args.chunk)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    path = summary.pop("_path")
    snap = copy.deepcopy(cfg)
    snap["regions"]["classes"] = {str(k): {"class": [n for n, c in CLASS_NAMES.items() if c == v["class"]][0],
                                           "allowed_models": [MODEL_LEGEND[x] for x in v["allowed_models"]],
                                           "default_model": MODEL_LEGEND[v["default_model"]]}
                                  for k, v in cfg["regions"]["classes"].items()}
    summary = {"config": snap, **summary}
    tmp = path + f".tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        yaml.safe_dump(summary, f, sort_keys=False)
    os.replace(tmp, path)
    tm = summary["timing_ms"]
    print("numpy reference: %d voxels, %d masked, %d time points" %
          (summary["voxels"]["total"], summary["voxels"]["masked"], len(summary["times_s"])))
    for k in ("load", "mask", "denoise", "fit", "bootstrap", "save", "total"):
        print(f"  {k:10s} {tm[k] / 1000.0:10.3f} s")
    vps = summary["voxels"]["voxels_per_second"]
    print(f"  voxels/s (masked / (fit + bootstrap)): {vps:.1f}" if vps else "  voxels/s: n/a")
    print(f"  peak RSS: {summary['peak_rss_mib']:.1f} MiB")
    print(f"  outputs: {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
