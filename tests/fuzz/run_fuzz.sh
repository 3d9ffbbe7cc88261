#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ with clang (AddressSanitizer + UndefinedBehavior-
# Sanitizer) and runs each for a bounded time on a seed corpus of real files (written by numpy /
# Python's json and csv, the format's own writers) plus the regression inputs in
# tests/fuzz/regressions/<harness>/ (each a fixed finding: run first, must pass).
# Fails (exit 1) on any crash, sanitizer report, timeout (> 10 s per input) or allocation over
# 1 GiB (-malloc_limit_mb: a header claiming 10^12 values must be refused before allocating).
#   bash tests/fuzz/run_fuzz.sh SOURCE_DIR WORK_DIR [SECONDS_PER_HARNESS=20]
set -euo pipefail
src=$(cd "$1" && pwd)
work=$2
secs=${3:-20}
cxx=${CXX_FUZZ:-clang++}
mkdir -p "$work"
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src")
declare -A sources=(
  [npy]="io/npy_reader.cpp"
  [heatmap_json]="io/heatmap_json.cpp io/heatmap.cpp src/core/grid.cpp"
  [heatmap_csv]="io/heatmap_csv.cpp io/heatmap.cpp src/core/grid.cpp"
  [heatmap_binary]="io/heatmap_binary.cpp io/heatmap.cpp src/core/grid.cpp"
  [config_yaml]="io/config_file.cpp"
)
declare -A libs=([config_yaml]="-lyaml-cpp")

# ---- seed corpora from the formats' own writers --------------------------------------------------
/usr/bin/python3 - "$work/seeds" <<'PY'
import csv, io, json, os, struct, sys
import numpy as np
root = sys.argv[1]
for h in ("npy", "heatmap_json", "heatmap_csv", "heatmap_binary", "config_yaml"):
    os.makedirs(os.path.join(root, h), exist_ok=True)
rng = np.random.default_rng(0)
def put(h, name, data):
    with open(os.path.join(root, h, name), "wb") as f:
        f.write(data)
for i, (shape, dt, order) in enumerate([((4, 3), "<f4", "C"), ((3, 4, 2), "<f8", "F"), ((5,), "<f4", "C"),
                                         ((2, 2, 2), "<i2", "C"), ((3, 3), "|u1", "F"), ((2, 3, 4), ">f4", "C")]):
    a = np.asarray(rng.normal(size=shape) * 10).astype(dt)
    b = io.BytesIO()
    np.save(b, np.asfortranarray(a) if order == "F" else a)
    put("npy", f"seed{i}.npy", b.getvalue())
m = rng.normal(size=(4, 5)).round(3)
put("heatmap_json", "data.json", json.dumps({"data": m.tolist()}).encode())
put("heatmap_json", "rows.json", json.dumps([[1, 2, None], [4.5, 5, 6]]).encode())
s = io.StringIO()
csv.writer(s).writerows(m.tolist())
put("heatmap_csv", "m.csv", s.getvalue().encode())
put("heatmap_csv", "nan.csv", b"# comment\n1, 2, NaN,\n,4,5\n")
put("heatmap_binary", "m.bin", struct.pack("<II", 4, 5) + m.astype("<f4").tobytes())
put("config_yaml", "tia.yaml", b"inputs:\n  images: [a.nii.gz, b.nii.gz]\n  times: [3600, 86400]\n"
    b"physics:\n  half_life_seconds: 574300.8\nio:\n  output_dir: out\n  write_tpeak: false\nwindow: 3\n")
put("config_yaml", "flow.yaml", b"{dicom: scan.dcm, output: out, window: 3, dicom_export: false, chunk: 12}\n")
PY
# the repository's own YAML files (configurations, CI) as further YAML seeds
find "$src" -path "$src/build*" -prune -o -name "*.yaml" -print 2>/dev/null | head -20 |
  while read -r f; do cp "$f" "$work/seeds/config_yaml/$(echo "$f" | md5sum | cut -c1-12).yaml"; done

status=0
for h in npy heatmap_json heatmap_csv heatmap_binary config_yaml; do
  exe=$work/fuzz_$h
  # shellcheck disable=SC2086
  (cd "$src" && "$cxx" "${flags[@]}" "tests/fuzz/fuzz_$h.cpp" ${sources[$h]} ${libs[$h]:-} -o "$exe")
  corpus=$work/corpus/$h
  mkdir -p "$corpus" "$work/artifacts/$h"
  reg=$src/tests/fuzz/regressions/$h
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
    echo "== $h: regression inputs"
    "$exe" -malloc_limit_mb=1024 -rss_limit_mb=2048 -timeout=10 "$reg"/* || status=1
  fi
  echo "== $h: ${secs} s"
  if ! "$exe" -max_total_time="$secs" -malloc_limit_mb=1024 -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -artifact_prefix="$work/artifacts/$h/" -print_final_stats=1 "$corpus" "$work/seeds/$h" 2>"$work/$h.log"; then
    status=1
    tail -40 "$work/$h.log"
    echo "FAIL $h: findings in $work/artifacts/$h/"
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$h.log" | tr '\n' ' '
    echo
  fi
done
exit $status
