#!/usr/bin/env bash
# README command 1: set up, build, write the built-in phantom and run `voxflow kinetics` on it
# under 2 MPI ranks. Results in ${OUT:-out}/kinetics.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
OUT=${OUT:-$here/out}
"$here/scripts/setup.sh"
vf="$BUILD_DIR/voxflow"
"$vf" phantom -o "$OUT/phantom"
rm -rf "$OUT/kinetics"
"$here/scripts/vf-mpirun" -np 2 "$vf" kinetics --dicom "$OUT/phantom/phantom.dcm" --pixel-level-maps -o "$OUT/kinetics"
echo
echo "Results: $OUT/kinetics  (summary.yaml, pixel_maps/*.npy + pixel_maps_visualization.png, nifti/, kinetics_maps.h5, dicom/)"
echo "Truth of the phantom: $OUT/phantom/truth"
