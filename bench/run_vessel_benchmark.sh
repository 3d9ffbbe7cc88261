#!/usr/bin/env bash
# Vessel benchmark (issue 11): voxflow's Frangi vesselness and fast marching on the CTA phantom
# (bench_vessel, 1 and 2 MPI ranks) side by side with the Python tools the seed uses on the same
# data: skimage.filters.frangi (Debian's python3-skimage 0.19, black_ridges=False, sigmas 1, 2, 3
# voxels, alpha = beta = 0.5, gamma = 15) on the same float32 phantom, and scikit-fmm's
# travel_time (Debian's python3-scikit-fmm, first order, point source as the zero contour of
# |x - s| - 1e-3) on voxflow's speed map, against voxflow's whole-volume march (scikit-fmm cannot
# stop early). Prints seconds, voxels/s and ratios; nothing passes or fails on timing.
#   bash bench/run_vessel_benchmark.sh [NX NY NZ]     (default 192 192 128; the issue's phantom is 512 512 256)
#   env: BUILD_DIR (default ./build), KEEP=1 (keep the work folder)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
NX=${1:-192}; NY=${2:-192}; NZ=${3:-128}
bench=$BUILD_DIR/bench/bench_vessel
py=/usr/bin/python3
[ -x "$bench" ] || { echo "build bench_vessel first: cmake --build $BUILD_DIR --target bench_vessel"; exit 2; }
work=$(mktemp -d /tmp/voxflow-vessel-bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] && echo "work folder: $work" || trap 'rm -rf "$work"' EXIT

"$here/scripts/vf-mpirun" -np 1 "$bench" "$NX" "$NY" "$NZ" "$work" >"$work/vf1.txt"
"$here/scripts/vf-mpirun" -np 2 "$bench" "$NX" "$NY" "$NZ" >"$work/vf2.txt"

WORK=$work NX=$NX NY=$NY NZ=$NZ $py - <<'EOF'
import os, time
import numpy as np
import skimage
from skimage.filters import frangi
import skfmm

work, nx, ny, nz = os.environ["WORK"], int(os.environ["NX"]), int(os.environ["NY"]), int(os.environ["NZ"])
def figures(path):
    d = {}
    for line in open(path):
        k, *v = line.split()
        d[k] = v if len(v) > 1 else float(v[0])
    return d
v1, v2 = figures(work + "/vf1.txt"), figures(work + "/vf2.txt")
img = np.fromfile(work + "/phantom.raw", dtype=np.float32).reshape(nz, ny, nx)
speed = np.fromfile(work + "/speed.raw", dtype=np.float32).reshape(nz, ny, nx).astype(np.float64)
t = time.perf_counter()
frangi(img, sigmas=[1, 2, 3], alpha=0.5, beta=0.5, gamma=15, black_ridges=False)
t_sk = time.perf_counter() - t
sx, sy, sz = (int(s) for s in v1["start_voxel"])
h = v1["spacing_mm"]
Z, Y, X = np.ogrid[:nz, :ny, :nx]
phi = np.sqrt(((X - sx) * h) ** 2 + ((Y - sy) * h) ** 2 + ((Z - sz) * h) ** 2) - 1e-3
t = time.perf_counter()
skfmm.travel_time(phi, speed, dx=h, order=1)
t_fmm = time.perf_counter() - t
n = nx * ny * nz
print(f"== voxflow vessel vs skimage {skimage.__version__} / scikit-fmm: phantom {nx} x {ny} x {nz} ({n/1e6:.2f} M voxels), {os.cpu_count()} cores")
print(f"{'stage':34s} {'voxflow 1 rank':>15s} {'voxflow 2 ranks':>15s} {'python':>10s} {'python/vf1':>11s} {'python/vf2':>11s} {'1->2 ranks':>11s}")
def row(name, a, b, p=None):
    ps = f"{p:10.3f}" if p is not None else f"{'':>10s}"
    rs = f"{p / a:10.1f}x" if p is not None else f"{'':>11s}"
    rs2 = f"{p / b:10.1f}x" if p is not None else f"{'':>11s}"
    print(f"{name:34s} {a:14.3f}s {b:14.3f}s {ps} {rs} {rs2} {a / b:10.2f}x")
row("phantom (slab by slab)", v1["t_phantom"], v2["t_phantom"])
row("Frangi, sigmas 1,2,3 (skimage)", v1["t_frangi"], v2["t_frangi"], t_sk)
row("speed map", v1["t_speed"], v2["t_speed"], None)
row("FMM whole volume (scikit-fmm)", v1["t_fmm_full"], v2["t_fmm_full"], t_fmm)
row("FMM with early stop at the end", v1["t_fmm_early_stop"], v2["t_fmm_early_stop"], None)
row("backtracking + centerline", v1["t_backtrack_centerline"], v2["t_backtrack_centerline"], None)
row("lazy Frangi + FMM early stop", v1["t_lazy_frangi_and_fmm"], v2["t_lazy_frangi_and_fmm"], None)
row("  of which Frangi blocks", v1["t_lazy_frangi"], v2["t_lazy_frangi"], None)
print(f"lazy vesselness: {int(v1['lazy_voxels_computed'])} of {n} voxels computed "
      f"({100 * v1['lazy_voxels_computed'] / n:.1f} %); whole Frangi + speed + early-stop march "
      f"{v1['t_frangi'] + v1['t_speed'] + v1['t_fmm_early_stop']:.3f} s vs lazy {v1['t_lazy_frangi_and_fmm']:.3f} s "
      f"on 1 rank ({(v1['t_frangi'] + v1['t_speed'] + v1['t_fmm_early_stop']) / v1['t_lazy_frangi_and_fmm']:.1f}x)")
print(f"Frangi voxels/s: voxflow {n / v1['t_frangi']:.3g} (1 rank), {n / v2['t_frangi']:.3g} (2 ranks), "
      f"skimage {n / t_sk:.3g} (numpy, one core)")
print(f"FMM voxels/s (whole volume): voxflow {v1['fmm_full_reached'] / v1['t_fmm_full']:.3g} (1 rank), "
      f"scikit-fmm {n / t_fmm:.3g}")
print(f"FMM exchange rounds (2 ranks): whole {int(v2['fmm_full_rounds'])}, early stop {int(v2['fmm_early_rounds'])}; "
      f"voxels marched early stop: 1 rank {int(v1['fmm_early_marched'])}, 2 ranks {int(v2['fmm_early_marched'])}")
print(f"centerline: {int(v1['centerline_samples'])} samples, {v1['centerline_length_mm']:.1f} mm")
EOF
