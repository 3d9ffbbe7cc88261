#!/usr/bin/env bash
# README command 2: set up, build, and run the whole test suite through ctest (MPI tests under
# 1, 2 and 3 ranks, Python tests that read voxflow's outputs with nibabel, h5py, pydicom, numpy).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
"$here/scripts/setup.sh"
cd "$BUILD_DIR"
ctest --output-on-failure -j2 "$@"
