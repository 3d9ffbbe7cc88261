#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ with clang (AddressSanitizer + UndefinedBehavior-
# Sanitizer) and runs each for a bounded time on a seed corpus of real files (written by numpy /
# Python's json and csv, the format's own writers; nibabel's and pydicom's test files for NIfTI and
# DICOM, and an indexed-gzip copy of a NIfTI file as voxflow writes its maps) plus the regression inputs in
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
# MPI's headers: the NIfTI and DICOM readers also hold the collective reads (rank 0 inflates, rank
# 0 scans a folder); the harnesses call the per-rank entry points, so MPI is linked but never
# initialised
mpi_inc=()
for d in $(mpicxx --showme:incdirs 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/openmpi/include); do mpi_inc+=(-isystem "$d"); done
mpi_lib="$(mpicxx --showme:link 2>/dev/null || echo -lmpi)"
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src"
       -isystem /usr/include/trilinos -isystem /usr/include/nifti "${mpi_inc[@]}")
core="src/core/distributed_volume.cpp src/core/slab.cpp src/core/grid.cpp"
declare -A sources=(
  [npy]="io/npy_reader.cpp"
  [heatmap_json]="io/heatmap_json.cpp io/heatmap.cpp src/core/grid.cpp"
  [heatmap_csv]="io/heatmap_csv.cpp io/heatmap.cpp src/core/grid.cpp"
  [heatmap_binary]="io/heatmap_binary.cpp io/heatmap.cpp src/core/grid.cpp"
  [config_yaml]="io/config_file.cpp"
  [nifti]="io/nifti_reader.cpp io/gzip_index.cpp src/core/mpi_context.cpp $core"
  [dicom]="io/dicom_reader.cpp io/dicom_plan_broadcast.cpp io/dicom_layout.cpp io/dicom_header.cpp io/dicom_frame_reader.cpp io/dicom_codecs.cpp io/dicom_geometry.cpp src/core/mpi_context.cpp $core"
)
declare -A libs=([config_yaml]="-lyaml-cpp" [nifti]="-ltrilinos_kokkoscore -lnifti2 -lznz -lz $mpi_lib"
  [dicom]="-ltrilinos_kokkoscore -ldcmjpls -ldcmjpeg -ldcmimage -ldcmimgle -ldcmdata -loflog -lofstd -lz $mpi_lib")

# ---- seed corpora from the formats' own writers --------------------------------------------------
/usr/bin/python3 - "$work/seeds" <<'PY'
import csv, io, json, os, struct, sys
import numpy as np
root = sys.argv[1]
for h in ("npy", "heatmap_json", "heatmap_csv", "heatmap_binary", "config_yaml", "nifti", "dicom"):
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
# NIfTI: nibabel's test files (NIfTI-1 and -2, plain and gzip) and indexed-gzip copies
# (io/gzip_index.hpp: 1 MiB members in voxflow's maps; small members here so that several show)
import glob, gzip, shutil, zlib
nb = "/usr/lib/python3/dist-packages/nibabel/tests/data"
for n in ("anatomical.nii", "functional.nii", "example_nifti2.nii.gz", "standard.nii.gz"):
    shutil.copy(os.path.join(nb, n), os.path.join(root, "nifti", n))
def indexed_gzip(raw, block):
    out = bytearray()
    for at in range(0, len(raw), block):
        part = raw[at:at + block]
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        d = c.compress(part) + c.flush()
        out += bytes([0x1F, 0x8B, 8, 4, 0, 0, 0, 0, 0, 3]) + struct.pack("<H", 12) + b"VX" + struct.pack("<HQ", 8, 24 + len(d) + 8)
        out += d + struct.pack("<II", zlib.crc32(part) & 0xFFFFFFFF, len(part))
    return bytes(out)
put("nifti", "functional_indexed.nii.gz", indexed_gzip(open(os.path.join(nb, "functional.nii"), "rb").read(), 8192))
put("nifti", "standard_indexed.nii.gz", indexed_gzip(gzip.decompress(open(os.path.join(nb, "standard.nii.gz"), "rb").read()), 64))
# DICOM: pydicom's test files under 64 KiB (uncompressed, big endian, implicit VR, RLE, JPEG, JPEG-LS, multi-frame)
pd = "/usr/lib/python3/dist-packages/pydicom/data/test_files"
for n in ("CT_small", "MR_small", "MR_small_RLE", "MR_small_bigendian", "MR_small_implicit", "MR_small_jpeg_ls_lossless",
          "MR_truncated", "JPEG-lossy", "SC_rgb_rle_16bit_2frame", "ExplVR_BigEndNoMeta"):
    shutil.copy(os.path.join(pd, n + ".dcm"), os.path.join(root, "dicom", n + ".dcm"))
PY
# the repository's own YAML files (configurations, CI) as further YAML seeds
find "$src" -path "$src/build*" -prune -o -name "*.yaml" -print 2>/dev/null | head -20 |
  while read -r f; do cp "$f" "$work/seeds/config_yaml/$(echo "$f" | md5sum | cut -c1-12).yaml"; done

status=0
for h in npy heatmap_json heatmap_csv heatmap_binary config_yaml nifti dicom; do
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
