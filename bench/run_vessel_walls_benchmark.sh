#!/usr/bin/env bash
# Vessel part 2 benchmark (issue 12): the whole two-click `voxflow vessel` on the CTA phantom
# (Frangi, fast marching, centerline, then the walls: cross-sections, polar DP for the lumen and
# the outer wall, refinement and a second pass, measurements, meshes, pictures) on 1 and 2 MPI
# ranks, REPEAT times each (medians), from the timings the command writes in summary.yaml.
# Prints seconds per stage, the DP's milliseconds per cross-section (both boundaries, CPU time
# summed over the ranks) and the 1 -> 2 rank ratios; nothing passes or fails on timing.
#   bash bench/run_vessel_walls_benchmark.sh [NX NY NZ]   (default 512 512 256: part 1's default phantom)
#   env: BUILD_DIR (default ./build), REPEAT (default 3), MAPS=0 (add --no-maps), KEEP=1 (keep the work folder)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
NX=${1:-512}; NY=${2:-512}; NZ=${3:-256}
REPEAT=${REPEAT:-3}
vf=$BUILD_DIR/voxflow
[ -x "$vf" ] || { echo "build voxflow first: cmake --build $BUILD_DIR --target voxflow_app"; exit 2; }
work=$(mktemp -d /tmp/voxflow-walls-bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] && echo "work folder: $work" || trap 'rm -rf "$work"' EXIT
"$here/scripts/vf-mpirun" -np 2 "$vf" vessel-phantom -o "$work/ph" --size "$NX,$NY,$NZ" >/dev/null
start=$(sed -n 's/^start_mm: //p' "$work/ph/clicks.txt" | tr ' ' ',')
end=$(sed -n 's/^end_mm: //p' "$work/ph/clicks.txt" | tr ' ' ',')
extra=()
[ "${MAPS:-1}" = 0 ] && extra+=(--no-maps)
for r in $(seq "$REPEAT"); do
  for np in 1 2; do
    "$here/scripts/vf-mpirun" -np "$np" "$vf" vessel -i "$work/ph/cta.nii.gz" --start "$start" --end "$end" \
      -o "$work/out_${np}_$r" "${extra[@]}" >/dev/null
  done
done
WORK=$work REPEAT=$REPEAT NX=$NX NY=$NY NZ=$NZ /usr/bin/python3 - <<'PY'
import os, statistics
work, rep = os.environ["WORK"], int(os.environ["REPEAT"])
def read(path):
    d, section = {}, ""
    for line in open(path):
        if not line.strip() or line.lstrip().startswith("-"):
            continue
        if not line.startswith(" "):
            section = line.split(":")[0]
            v = line.split(":", 1)[1].strip()
            if v: d[section] = v
            continue
        k, v = line.strip().split(":", 1)
        d[section + "." + k] = v.strip()
    return d
runs = {np_: [read(f"{work}/out_{np_}_{r}/summary.yaml") for r in range(1, rep + 1)] for np_ in (1, 2)}
def med(np_, key):
    return statistics.median(float(x[key]) for x in runs[np_])
s = runs[1][0]
print(f"== voxflow vessel with walls: phantom {os.environ['NX']} x {os.environ['NY']} x {os.environ['NZ']}, "
      f"{s['walls.sections']} cross-sections ({s['walls.angles']} angles x {s['walls.radii']} radii), "
      f"{s['centerline.length_mm']} mm; medians of {rep}; {os.cpu_count()} cores")
print(f"{'stage':40s} {'1 rank':>10s} {'2 ranks':>10s} {'1->2':>7s}")
rows = [("read", "timing_s.read"), ("Frangi", "timing_s.frangi"), ("fast marching", "timing_s.fast_marching"),
        ("backtracking + centerline", "timing_s.backtrack_centerline"),
        ("walls: sections, first pass", "timing_walls_s.sections"),
        ("walls: refinement + second pass", "timing_walls_s.refine_and_resection"),
        ("walls: all (incl. measurements)", "timing_s.walls"),
        ("meshes (rank 0)", "timing_walls_s.mesh"), ("pictures (rank 0)", "timing_walls_s.pictures"),
        ("contours + measurements files", "timing_walls_s.write"),
        ("writing (maps, centerline, walls)", "timing_s.write"), ("total", "timing_s.total")]
for name, key in rows:
    a, b = med(1, key), med(2, key)
    print(f"{name:40s} {a:9.3f}s {b:9.3f}s {a / b if b > 0 else float('nan'):6.2f}x")
print(f"DP per cross-section (lumen + outer wall, CPU): {med(1, 'timing_walls_s.dp_ms_per_section'):.3f} ms (1 rank), "
      f"{med(2, 'timing_walls_s.dp_ms_per_section'):.3f} ms (2 ranks)")
PY
