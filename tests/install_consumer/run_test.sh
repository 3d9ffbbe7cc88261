#!/usr/bin/env bash
# install the build tree into a temporary prefix, build the consumer against it, run it on one and
# on two MPI ranks (it runs the kinetics and TIA pipelines through the installed library)
set -euo pipefail
build=$1 src=$2 mpirun=$3
tmp=$(mktemp -d /tmp/voxflow-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
"$tmp/prefix/bin/voxflow" version
cmake -S "$src" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
expect="voxflow $("$tmp/prefix/bin/voxflow" version | cut -d' ' -f2) slab z0=5 nz=4"
for np in 1 2; do
  mkdir -p "$tmp/work$np"
  out=$("$mpirun" -np $np "$tmp/consumer/consumer" "$tmp/work$np")
  echo "$out"
  [ "$(echo "$out" | head -n1)" = "$expect" ]
  # the library wrote what the command writes
  for f in kinetics/summary.yaml kinetics/nifti/kb.nii.gz kinetics/kinetics_maps.h5 tia/tia.nii.gz tia/tia_summary.yaml; do
    [ -s "$tmp/work$np/$f" ] || { echo "missing $f"; exit 1; }
  done
done
# the maps do not depend on the number of ranks
cmp "$tmp/work1/tia/tia.nii.gz" "$tmp/work2/tia/tia.nii.gz" >/dev/null 2>&1 || \
  /usr/bin/python3 - "$tmp" <<'PY'
import sys, numpy as np, nibabel as nib
t = sys.argv[1]
for m in ("tia/tia.nii.gz", "kinetics/nifti/kb.nii.gz"):
    a = np.asarray(nib.load(f"{t}/work1/{m}").dataobj); b = np.asarray(nib.load(f"{t}/work2/{m}").dataobj)
    assert np.array_equal(a, b, equal_nan=True), m
PY
echo "install consumer: pipelines ran through the installed library on 1 and 2 ranks"
