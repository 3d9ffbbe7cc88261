#!/usr/bin/env bash
# TIA benchmark (issue 4): the TIA phantom (SIZE^3 voxels, 4 time points, `voxflow phantom --tia`)
# processed end to end by `voxflow tia` on 1 and 2 MPI ranks and by the numpy reference of the
# same design (bench/tia_numpy_reference.py, vectorised over voxels, Debian's python3-numpy/scipy)
# on the same data and configuration, side by side: wall time per stage, voxels/s (masked voxels /
# fit+bootstrap time), peak RSS per rank, voxflow/numpy ratio, 1 -> 2 rank speed-up, and how far
# the maps agree. Prints figures only; nothing here passes or fails on timing.
#   bash bench/run_tia_benchmark.sh [SIZE=256]        (e.g. 96 for a quick run)
#   env: BUILD_DIR (default ./build), REPLICATES (100), SKIP_NUMPY=1 (voxflow only),
#        KEEP=1 (keep the work folder), SETS="key=value ..." (extra --set overrides for both
#        programs, e.g. SETS="mask.mode=none" or "performance.chunk_size_vox=200000")
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
SIZE=${1:-256}
REPLICATES=${REPLICATES:-100}
vf=$BUILD_DIR/voxflow
py=/usr/bin/python3
[ -x "$vf" ] || { echo "build voxflow first (bash scripts/setup.sh)"; exit 2; }
"$vf" tia --help >/dev/null 2>&1 || { echo "this voxflow has no 'tia' command"; exit 2; }
work=$(mktemp -d /tmp/voxflow-tia-bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] && echo "work folder: $work" || trap 'rm -rf "$work"' EXIT

# ---- input: the TIA phantom (or, if this build cannot write it yet, the reference's synthetic study)
if "$vf" phantom --tia --size "$SIZE" -o "$work/ph" >"$work/phantom.log" 2>&1; then
  cfg=$work/ph/tia.yaml; source_desc="voxflow phantom --tia --size $SIZE"
else
  echo "note: 'voxflow phantom --tia' failed ($(head -1 "$work/phantom.log")); using the numpy reference's synthetic study"
  $py -c "import sys; sys.path.insert(0, '$here/bench'); import tia_numpy_reference as R
R.write_synthetic_inputs('$work/ph', shape=($SIZE, $SIZE, $SIZE))"
  cfg=$work/ph/tia.yaml; source_desc="synthetic (tia_numpy_reference.write_synthetic_inputs) $SIZE^3"
fi
sets=(--set "bootstrap.replicates=$REPLICATES")
for kv in ${SETS:-}; do sets+=(--set "$kv"); done

# ---- voxflow on 1 and 2 ranks (peak RSS of every rank through /usr/bin/time)
declare -A wall
for n in 1 2; do
  start=$(date +%s.%N)
  "$here/scripts/vf-mpirun" -np $n /usr/bin/time -f "%M" -o "$work/mem$n.%q{OMPI_COMM_WORLD_RANK}" \
    "$vf" tia --config "$cfg" -o "$work/vf$n" "${sets[@]}" --no-progress >"$work/vf$n.log" 2>&1 \
    || { cat "$work/vf$n.log"; exit 1; }
  end=$(date +%s.%N)
  wall[$n]=$(echo "$end - $start" | bc)
done

# ---- numpy reference (one process)
if [ "${SKIP_NUMPY:-0}" != 1 ]; then
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/memnp" $py "$here/bench/tia_numpy_reference.py" --config "$cfg" \
    -o "$work/np" "${sets[@]}" >"$work/np.log" 2>&1 || { cat "$work/np.log"; exit 1; }
  end=$(date +%s.%N)
  wall[np]=$(echo "$end - $start" | bc)
else
  wall[np]=0
fi

echo "== voxflow tia vs numpy reference: $source_desc, $REPLICATES bootstrap replicates${SETS:+, $SETS}, $(nproc) cores"
WORK=$work WALL1=${wall[1]} WALL2=${wall[2]} WALLNP=${wall[np]} $py - <<'EOF'
import glob, os
import numpy as np, nibabel as nib, yaml
w = os.environ["WORK"]
def summ(d):
    p = glob.glob(os.path.join(w, d, "*tia_summary.yaml"))
    return yaml.safe_load(open(p[0])) if p else None
def mem(pat):
    v = [int(open(f).read().split()[-1]) for f in glob.glob(os.path.join(w, pat))]
    return max(v) / 1024.0 if v else float("nan")
runs = [("voxflow 1 rank", summ("vf1"), float(os.environ["WALL1"]), mem("mem1.*")),
        ("voxflow 2 ranks", summ("vf2"), float(os.environ["WALL2"]), mem("mem2.*"))]
npsum = summ("np")
if npsum:
    runs.append(("numpy reference", npsum, float(os.environ["WALLNP"]), mem("memnp")))
def masked(s):
    return s.get("mask", {}).get("voxels_in_mask") or s.get("voxels", {}).get("masked")
def timing_s(s):
    # voxflow's summary: timing_s (seconds); the numpy reference's: timing_ms
    if "timing_s" in s:
        return dict(s["timing_s"])
    return {k: v / 1000.0 for k, v in s["timing_ms"].items()}
def fitboot(s):
    t = timing_s(s)
    return t.get("fit", 0) + t.get("bootstrap", 0)
stages = ["read", "load", "mask", "denoise", "prepare", "balance", "fit", "bootstrap", "write", "save"]
print(f"masked voxels: {masked(runs[0][1])} of {runs[0][1]['mask']['voxels_total']}")
print(f"{'stage (s)':22s}" + "".join(f"{r[0]:>18s}" for r in runs))
for st in stages:
    vals = [timing_s(r[1]).get(st) for r in runs]
    if all(v is None for v in vals):
        continue
    print(f"{st:22s}" + "".join(f"{(v if v is not None else float('nan')):18.2f}" for v in vals))
print(f"{'fit+bootstrap':22s}" + "".join(f"{fitboot(r[1]):18.2f}" for r in runs))
print(f"{'wall (whole command)':22s}" + "".join(f"{r[2]:18.2f}" for r in runs))
rates = [masked(r[1]) / fitboot(r[1]) for r in runs]
print(f"{'voxels/s fit+boot':22s}" + "".join(f"{v:18.0f}" for v in rates))
print(f"{'peak RSS/rank MiB':22s}" + "".join(f"{r[3]:18.0f}" for r in runs))
print()
print(f"speed-up 1 -> 2 ranks (fit+bootstrap voxels/s): {rates[1] / rates[0]:.2f}   "
      f"(whole command: {runs[0][2] / runs[1][2]:.2f})")
if npsum:
    print(f"voxflow / numpy, fit+bootstrap voxels/s: 1 rank {rates[0] / rates[2]:.1f}x, "
          f"2 ranks {rates[1] / rates[2]:.1f}x;  whole command: 1 rank {runs[2][2] / runs[0][2]:.1f}x, "
          f"2 ranks {runs[2][2] / runs[1][2]:.1f}x")
def maps(d):
    out = {}
    for m in ("status_id", "model_id", "tia", "sigma_tia"):
        p = os.path.join(w, d, f"{m}.nii.gz")
        if not os.path.exists(p):     # io.prefix set: PREFIX_name (never PREFIX_sigma_tia for tia)
            p = [x for x in glob.glob(os.path.join(w, d, f"*_{m}.nii.gz")) if m != "tia" or "sigma_tia" not in x][0]
        out[m] = np.asarray(nib.load(p).dataobj).astype(np.float64)
    return out
a, b = maps("vf1"), maps("vf2")
same = all(np.array_equal(a[m], b[m], equal_nan=True) for m in a)
print(f"maps identical 1 vs 2 ranks: {same}")
if npsum:
    c = maps("np")
    roi = (a["status_id"] != 0) | (c["status_id"] != 0)
    ok = (a["status_id"] == 1) & (c["status_id"] == 1) & (a["model_id"] == c["model_id"])
    # relative differences; sigma_tia against max(sigma, 1e-6 tia): exactly determined fits have a
    # rounding-level sigma (~1e-14 tia) in both implementations
    rt = np.abs(a["tia"][ok] - c["tia"][ok]) / np.abs(c["tia"][ok])
    rs = np.abs(a["sigma_tia"][ok] - c["sigma_tia"][ok]) / np.maximum(np.abs(c["sigma_tia"][ok]), 1e-6 * np.abs(c["tia"][ok]))
    print(f"voxflow vs numpy: status equal {100 * np.mean(a['status_id'][roi] == c['status_id'][roi]):.3f} %, "
          f"model equal {100 * np.mean(a['model_id'][roi] == c['model_id'][roi]):.3f} %; relative difference "
          f"tia max {np.max(rt):.1e}, sigma_tia 99.9th pct {np.nanpercentile(rs, 99.9):.1e} max {np.nanmax(rs):.1e}")
EOF
