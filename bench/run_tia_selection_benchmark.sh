#!/usr/bin/env bash
# TIA model-selection benchmark (issue 16): `voxflow tia` on the TIA phantom (SIZE^3 voxels,
# `voxflow phantom --tia --size SIZE`) with the design's choice (default) and with AICc selection
# over gamma, monoexp and biexp (`models.selection=aicc`, `models.candidates=[gamma,monoexp,biexp]`),
# both with REPLICATES bootstrap replicates, interleaved REPEATS times on the same data; prints the
# fit+bootstrap voxels/s of each run (tia_summary.yaml) and the medians and their ratio. Figures
# only: nothing passes or fails on timing.
#   bash bench/run_tia_selection_benchmark.sh [SIZE=256]      (e.g. 64 on a shared 2-core machine)
#   env: BUILD_DIR (./build), REPLICATES (100), REPEATS (3), NP (1: MPI ranks),
#        KINETICS (design | physiological), TIMES_H (phantom scan times, default 4,24,48,168)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
SIZE=${1:-256}
REPLICATES=${REPLICATES:-100}
REPEATS=${REPEATS:-3}
NP=${NP:-1}
vf=$BUILD_DIR/voxflow
[ -x "$vf" ] || { echo "build voxflow first"; exit 2; }
work=$(mktemp -d /tmp/voxflow-tia-sel-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$vf" phantom --tia --size "$SIZE" --kinetics "${KINETICS:-design}" --times-h "${TIMES_H:-4,24,48,168}" \
  -o "$work/ph" >/dev/null 2>&1
common=(--config "$work/ph/tia.yaml" --set "bootstrap.replicates=$REPLICATES" --no-progress)
for r in $(seq 1 "$REPEATS"); do
  for mode in design aicc; do
    extra=()
    [ $mode = aicc ] && extra=(--set models.selection=aicc --set "models.candidates=[gamma,monoexp,biexp]")
    "$here/scripts/vf-mpirun" -np "$NP" "$vf" tia "${common[@]}" "${extra[@]}" -o "$work/$mode$r" >"$work/$mode$r.log" 2>&1 \
      || { cat "$work/$mode$r.log"; exit 1; }
  done
done
echo "== voxflow tia, phantom ${SIZE}^3 (${KINETICS:-design} kinetics, ${TIMES_H:-4,24,48,168} h), $REPLICATES bootstrap replicates, $NP rank(s), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
WORK=$work REPEATS=$REPEATS /usr/bin/python3 - <<'PY'
import os, statistics, yaml
w, n = os.environ["WORK"], int(os.environ["REPEATS"])
med = {}
for mode in ("design", "aicc"):
    v, fit, counts = [], [], None
    for r in range(1, n + 1):
        s = yaml.safe_load(open(os.path.join(w, f"{mode}{r}", "tia_summary.yaml")))
        v.append(s["voxels"]["voxels_per_second"]); fit.append(s["timing_s"]["fit"])
        counts = {k: c for k, c in s["model_counts"].items() if c}
    med[mode] = statistics.median(v)
    print(f"{mode:7s} voxels/s (fit+bootstrap) per run: {', '.join(f'{x:.0f}' for x in v)}; median {med[mode]:.0f}; "
          f"fit s median {statistics.median(fit):.2f}; models {counts}")
print(f"aicc / design voxels/s: {med['aicc'] / med['design']:.3f}")
PY
