#!/usr/bin/python3
"""Baseline for bench_kinetics_fit: the original Python per-voxel PROXYL fit (seeds/000,
fit_proxyl_kinetics inside fit_pixel_level_maps), re-implemented with
scipy.optimize.curve_fit(method='trf') with the same bounds, the same start-value rules and
scipy's default tolerances (ftol = xtol = gtol = 1e-8, 2-point finite-difference Jacobian).
Its fallback, as in the original's try/except: when curve_fit raises (max_nfev reached,
numerical trouble) or returns non-finite values, a second start (t0 = t_first,
tmax = mid-range, kb 0.1, kd 0.05, knt 0.01) is tried; if that fails too the voxel is NaN.

Usage:  original_fit.py DIR
  reads  DIR/series.npy [n_vox, nt] float64 (signal), DIR/times.npy [nt] float64 (minutes)
  writes DIR/scipy_params.npy [n_vox, 8] (A0, A1, A2, kb, kd, knt, t0, tmax; NaN = failed),
         DIR/scipy_rss.npy [n_vox], DIR/scipy_nfev.npy [n_vox],
         DIR/scipy_summary.json {"voxels": n, "seconds": s, "voxels_per_s": v, "failed": k}
"""
import json
import os
import sys
import time
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

PARAM_NAMES = ["A0", "A1", "A2", "kb", "kd", "knt", "t0", "tmax"]


def proxyl_model(t, A0, A1, A2, kb, kd, knt, t0, tmax):
    """Extended PROXYL model, t in minutes (same formula as src/kinetics/proxyl_model.hpp)."""
    u = np.maximum(t - t0, 0.0)
    v = np.maximum(t - tmax, 0.0)
    return A0 + A1 * (1.0 - np.exp(-kb * u)) * np.exp(-kd * u) + A2 * (1.0 - np.exp(-knt * v))


def bounds_for(t, s):
    """The original's box (lower, upper) for signal s at times t."""
    smax = float(np.max(s))
    rng = float(np.max(s) - np.min(s))
    lower = [0.0, 0.0, -rng, 0.001, 0.001, 0.001, t[0], t[0]]
    upper = [2.0 * smax, 3.0 * rng, rng, 2.0, 1.0, 0.2, t[-1], t[-1]]
    return np.array(lower), np.array(upper)


def initial_guess(t, s, lower, upper):
    """The original's start values (identical rules to src/kinetics/fit_bounds.hpp)."""
    n = len(s)
    n_base = max(3, int(0.05 * n))
    a0 = float(np.mean(s[:n_base]))
    tail = float(np.median(s[-max(1, int(0.2 * n)):]))
    i_peak = int(np.argmax(s))
    peak = float(s[i_peak])
    a2 = tail - a0
    a1 = max(peak - a0 - max(a2, 0.0), 0.0)
    d = np.diff(s)
    thr = 0.1 * np.std(d)
    above = np.nonzero(d > thr)[0]
    t0 = float(t[above[0]]) if above.size else float(t[0])
    p0 = np.array([a0, a1, a2, 0.05, 0.02, 0.01, t0, float(t[i_peak])])
    return np.clip(p0, lower, upper)


def fallback_guess(t, first, lower, upper):
    """Second start: amplitudes of the first, t0 = t_first, tmax = mid-range."""
    p0 = np.array([first[0], first[1], first[2], 0.1, 0.05, 0.01, float(t[0]),
                   0.5 * (float(t[0]) + float(t[-1]))])
    return np.clip(p0, lower, upper)


def _attempt(t, s, p0, lower, upper):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        popt, _pcov, info, _msg, _ier = curve_fit(proxyl_model, t, s, p0=p0,
                                                  bounds=(lower, upper), method="trf",
                                                  full_output=True)
    if not np.all(np.isfinite(popt)):
        raise RuntimeError("non-finite parameters")
    rss = float(np.sum((proxyl_model(t, *popt) - s) ** 2))
    if not np.isfinite(rss):
        raise RuntimeError("non-finite rss")
    return popt, rss, int(info["nfev"])


def fit_voxel(t, s):
    """One voxel: returns (params[8], rss, nfev); params NaN when both starts fail."""
    nan = (np.full(8, np.nan), np.nan, 0)
    if len(s) < 8 or not np.all(np.isfinite(s)) or np.max(s) - np.min(s) == 0 or np.max(s) <= 0:
        return nan
    lower, upper = bounds_for(t, s)
    p0 = initial_guess(t, s, lower, upper)
    try:
        return _attempt(t, s, p0, lower, upper)
    except (RuntimeError, ValueError):
        pass
    try:
        return _attempt(t, s, fallback_guess(t, p0, lower, upper), lower, upper)
    except (RuntimeError, ValueError):
        return nan


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    folder = argv[1]
    series = np.load(os.path.join(folder, "series.npy"))
    times = np.load(os.path.join(folder, "times.npy"))
    if series.ndim != 2 or series.shape[1] != times.shape[0]:
        print(f"original_fit.py: {folder}: series {series.shape} and times {times.shape} "
              "do not match", file=sys.stderr)
        return 2
    n_vox = series.shape[0]
    params = np.full((n_vox, 8), np.nan)
    rss = np.full(n_vox, np.nan)
    nfev = np.zeros(n_vox)
    start = time.perf_counter()
    for v in range(n_vox):
        params[v], rss[v], nfev[v] = fit_voxel(times, series[v])
    seconds = time.perf_counter() - start
    np.save(os.path.join(folder, "scipy_params.npy"), params)
    np.save(os.path.join(folder, "scipy_rss.npy"), rss)
    np.save(os.path.join(folder, "scipy_nfev.npy"), nfev)
    summary = {"voxels": n_vox, "seconds": seconds,
               "voxels_per_s": n_vox / seconds if seconds > 0 else float("inf"),
               "failed": int(np.sum(~np.isfinite(rss)))}
    with open(os.path.join(folder, "scipy_summary.json"), "w") as fh:
        json.dump(summary, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
