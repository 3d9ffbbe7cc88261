#!/usr/bin/env bash
# Set-up for a fresh Debian 12 machine: install the Debian packages voxflow needs (only the
# missing ones), then configure and build voxflow in build/ (Release). Idempotent.
# Used by scripts/run_main_job.sh and scripts/run_tests.sh; BUILD_DIR overrides the folder.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
PKGS=(
  build-essential cmake pkgconf git
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libtrilinos-kokkos-dev libeigen3-dev libboost-program-options-dev
  libnifti2-dev libdcmtk-dev dcmtk libyaml-cpp-dev nlohmann-json3-dev libpng-dev libcairo2-dev zlib1g-dev libssl-dev
  libgtest-dev libbenchmark-dev clang libclang-rt-14-dev
  python3 python3-numpy python3-scipy python3-nibabel python3-pydicom python3-h5py python3-pytest
  python3-pil python3-matplotlib python3-yaml python3-skimage python3-scikit-fmm fonts-dejavu-core bc time strace
  slurm-wlm munge
  gfortran file patch unzip xz-utils bzip2 python3-dev python3-cffi-backend
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "voxflow setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$here" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$jobs"
