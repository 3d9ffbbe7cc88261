#!/usr/bin/env bash
# Kinetics benchmark: the built-in phantom (128 x 128 x 9 voxels x 60 frames) fitted end to end by
# `voxflow kinetics` on 1 and 2 MPI ranks (voxels/s of the fit stage, wall time, peak memory per
# rank), then voxflow's fit against the original's method (scipy curve_fit TRF per voxel, through
# Debian's python3-scipy) on a sample of the same voxels: speed ratio and residual comparison side
# by side. Prints figures only; nothing here passes or fails on timing.
#   bash bench/run_kinetics_benchmark.sh [SAMPLE=300]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
SAMPLE=${1:-300}
vf=$BUILD_DIR/voxflow
[ -x "$vf" ] || { echo "build voxflow first (bash scripts/setup.sh)"; exit 2; }
work=$(mktemp -d /tmp/voxflow-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$vf" phantom -o "$work/ph" 2>/dev/null
py=/usr/bin/python3
declare -A rate wall mem
for n in 1 2; do
  out=$work/k$n
  start=$(date +%s.%N)
  "$here/scripts/vf-mpirun" -np $n /usr/bin/time -f "%M" -o "$work/mem$n.%q{OMPI_COMM_WORLD_RANK}" \
    "$vf" kinetics --dicom "$work/ph/phantom.dcm" -o "$out" --no-progress --no-dicom-export 2>/dev/null
  end=$(date +%s.%N)
  wall[$n]=$(echo "$end - $start" | bc)
  rate[$n]=$($py -c "import yaml;print(round(yaml.safe_load(open('$out/summary.yaml'))['voxels']['voxels_per_second']))")
  mem[$n]=$(cat "$work"/mem$n.* | sort -n | tail -1)
done
same=$($py -c "
import numpy as np
print(all(np.array_equal(np.load('$work/k1/pixel_maps/%s_map.npy'%m), np.load('$work/k2/pixel_maps/%s_map.npy'%m), equal_nan=True)
          for m in ['kb','kd','knt','A0','A1','A2','t0','tmax','r_squared']))")
echo "== voxflow kinetics on the phantom (147,456 voxels x 60 frames), $(nproc) cores"
printf '%-8s %14s %12s %18s\n' ranks "fit voxels/s" "wall s" "peak RSS/rank MiB"
for n in 1 2; do
  printf '%-8s %14s %12.2f %18d\n' $n "${rate[$n]}" "${wall[$n]}" $(( ${mem[$n]} / 1024 ))
done
echo "speed-up 1 -> 2 ranks (fit stage): $($py -c "print(round(${rate[2]}/${rate[1]}, 2))")   maps identical 1 vs 2 ranks: $same"
echo
echo "== voxflow's fit vs the original's method (scipy curve_fit TRF) on $SAMPLE phantom voxels"
"$BUILD_DIR/bench/bench_kinetics_fit" --sample "$SAMPLE" --dump "$work/sample" --sample-only \
   --script "$here/bench/original_fit.py"
