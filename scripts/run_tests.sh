#!/usr/bin/env bash
# README command 2: set up, build, and run the whole test suite through ctest (MPI tests under
# 1, 2 and 3 ranks, Python tests that read voxflow's outputs with nibabel, h5py, pydicom, numpy).
#
# Second pass, when VOXFLOW_KOKKOS4_SOURCE names a Kokkos 4 source tarball (or an installed Kokkos
# 4 prefix): Kokkos is built once with the OpenMP and Serial backends into a cache folder under
# build/ (build/kokkos4/install, reused while the tarball is the same), voxflow is built against it
# in build/kokkos4/voxflow, and the suite runs again there (less the SLURM, Spack and back-end
# independent tests) with KOKKOS_NUM_THREADS=2 and the MPI tests under mpirun -np 2: an OpenMP race
# or a layout assumption fails there. Without the
# variable the pass is skipped with one line. .ci/run sets it to ../shared/vendor/kokkos-4.6.01.tar.gz.
# Extra arguments are passed to both ctest runs (e.g. -R kinetics).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
jobs=$(nproc 2>/dev/null || echo 2)
"$here/scripts/setup.sh"
# the long tests start first (their COST in tests/CMakeLists.txt); the slurm and spack tests take
# both slots (PROCESSORS 2)
(cd "$BUILD_DIR" && ctest --output-on-failure -j2 "$@")

src=${VOXFLOW_KOKKOS4_SOURCE:-}
if [ -z "$src" ]; then
  echo "run_tests: second pass (Kokkos 4, OpenMP, 2 threads per rank) skipped: VOXFLOW_KOKKOS4_SOURCE is not set"
  exit 0
fi
cache=$BUILD_DIR/kokkos4
if [ -d "$src" ]; then
  kokkos_dir=$(dirname "$(find "$src" -name KokkosConfig.cmake -print -quit)")
  [ -n "$kokkos_dir" ] && [ "$kokkos_dir" != . ] || { echo "run_tests: no KokkosConfig.cmake under $src"; exit 1; }
else
  [ -f "$src" ] || { echo "run_tests: VOXFLOW_KOKKOS4_SOURCE=$src is neither a tarball nor a folder"; exit 1; }
  stamp=$(sha256sum "$src" | cut -c1-16)
  if [ "$(cat "$cache/install/.voxflow-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "run_tests: building Kokkos from $src (OpenMP + Serial) into $cache/install"
    rm -rf "$cache/src" "$cache/build" "$cache/install"
    mkdir -p "$cache/src"
    tar -xzf "$src" -C "$cache/src" --strip-components=1
    cmake -S "$cache/src" -B "$cache/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$cache/install" \
      -DCMAKE_CXX_STANDARD=17 -DKokkos_ENABLE_OPENMP=ON -DKokkos_ENABLE_SERIAL=ON -DKokkos_ENABLE_TESTS=OFF \
      -DKokkos_ENABLE_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
    cmake --build "$cache/build" -j"$jobs" >/dev/null
    cmake --install "$cache/build" >/dev/null
    echo "$stamp" > "$cache/install/.voxflow-stamp"
    rm -rf "$cache/src" "$cache/build"
  fi
  kokkos_dir=$(dirname "$(find "$cache/install" -name KokkosConfig.cmake -print -quit)")
fi
vbuild=$cache/voxflow
cmake -S "$here" -B "$vbuild" -DCMAKE_BUILD_TYPE=Release -DKokkos_DIR="$kokkos_dir" >/dev/null
cmake --build "$vbuild" -j"$jobs"
echo "run_tests: second pass: Kokkos $(grep -m1 -o 'Kokkos [0-9.]*' "$vbuild/CMakeCache.txt" 2>/dev/null || echo 4) OpenMP, KOKKOS_NUM_THREADS=2, MPI tests under mpirun -np 2"
# 2 ranks x 2 threads on 2 cores: one test at a time. Left out: the SLURM and Spack tests (they ran in
# the first pass) and the back-end independent ones (label backend_independent: the fuzz harnesses
# and the readers' mutation sweep; tests/CMakeLists.txt says why)
(cd "$vbuild" && KOKKOS_NUM_THREADS=2 OMP_NUM_THREADS=2 ctest --output-on-failure -j1 -E '_np[13]$' -LE '^(slurm|spack|backend_independent)$' "$@")
