#!/usr/bin/env bash
# ctest spack_install_voxflow (label spack): Spack itself validates spack/ (the voxflow and
# nifti-clib recipes) and installs voxflow from this working tree.
#   1. brings up the offline Spack 0.23 (../shared/tools/spack-offline-up.sh --no-apt, or
#      VOXFLOW_SPACK_UP): clingo built from the vendored tarball, Debian's packages as externals;
#      everything under CACHE (build/spack-offline), so later runs reuse it (~30 s instead of ~4 min)
#   2. adds spack/ as a repository and nifti-clib (Debian's libnifti2-dev) as an external
#   3. a tarball of the working tree (tracked and untracked, not ignored files)
#   4. spack spec, then spack install --test=root --no-checksum voxflow@develop~openmp (Debian's
#      Kokkos external is Serial-only) from that tarball; --test=root runs the recipe's phantom check
#   5. spack test run voxflow (the recipe's test_phantom), then the installed voxflow on a phantom
# usage: run_spack_test.sh SOURCE_DIR CACHE_DIR
# VOXFLOW_SPACK_CACHE, when set, is used instead of CACHE_DIR: a folder outside the build tree that
# outlives it (.ci/run: a fresh clone then skips the ~4 min bring-up while the script and tarballs
# are unchanged); runs that share it take turns (flock).
set -euo pipefail
SRC=$(cd "${1:?source dir}" && pwd)
CACHE=${VOXFLOW_SPACK_CACHE:-${2:?cache dir}}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
exec 9>"$CACHE/.lock"
flock 9
UP=${VOXFLOW_SPACK_UP:-$SRC/../shared/tools/spack-offline-up.sh}
[ -f "$UP" ] || { echo "spack test: $UP not found (set VOXFLOW_SPACK_UP)"; exit 1; }
t0=$(date +%s)
export SPACK_DIR=$CACHE/spack CLINGO_SRC=$CACHE/clingo-src CLINGO_BUILD=$CACHE/clingo-build \
  CLINGO_PREFIX=$CACHE/clingo-inst SPACK_CFG=$CACHE/cfg SPACK_CACHE=$CACHE/cache SPACK_SYSCFG=$CACHE/syscfg \
  SPACK_OPT=$CACHE/opt SPACK_STAGE=$CACHE/stage ENV_FILE=$CACHE/env.sh JOBS=${JOBS:-$(nproc)}
# the vendored tarballs beside the script, unless the caller named others
VENDOR=$(cd "$(dirname "$UP")/../vendor" 2>/dev/null && pwd || true)
export SPACK_TARBALL=${SPACK_TARBALL:-$VENDOR/spack-0.23.0.dev0.tar.gz} CLINGO_TARBALL=${CLINGO_TARBALL:-$VENDOR/clingo-5.7.1.tar.gz}
# the bring-up is redone only when the script or the tarballs change (a stamp in CACHE)
stamp=$(cat "$UP" "$SPACK_TARBALL" "$CLINGO_TARBALL" | sha256sum | cut -c1-16)
if [ "$(cat "$CACHE/.up-stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$ENV_FILE" ]; then
  rm -f "$CACHE/.up-stamp"
  bash "$UP" --no-apt > "$CACHE/spack-offline-up.log" 2>&1 || { tail -40 "$CACHE/spack-offline-up.log"; exit 1; }
  echo "$stamp" > "$CACHE/.up-stamp"
else
  echo "spack test: offline Spack already set up in $CACHE (stamp $stamp)"
fi
t_up=$(( $(date +%s) - t0 ))
# shellcheck disable=SC1090
source "$ENV_FILE"
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
spack() { PATH=$CLEAN_PATH "$SPACK_PYTHON" "$SPACK_DIR/bin/spack" "$@"; }

printf 'repos:\n- %s\n' "$SRC/spack" > "$SPACK_CFG/repos.yaml"
grep -q '^  nifti-clib:' "$SPACK_CFG/packages.yaml" || cat >> "$SPACK_CFG/packages.yaml" <<'YAML'
  nifti-clib:
    buildable: false
    externals:
    # Debian libnifti2-dev: headers in /usr/include/nifti (voxflow's FindNIFTI looks there)
    - spec: nifti-clib@3.0.1+shared
      prefix: /usr
YAML
grep -q '^  openssl:' "$SPACK_CFG/packages.yaml" || cat >> "$SPACK_CFG/packages.yaml" <<'YAML'
  openssl:
    buildable: false
    externals:
    # Debian libssl-dev (libcrypto: SHA-256 of manifests and provenance)
    - spec: openssl@3.0.19
      prefix: /usr
YAML
spack repo list

# the working tree as a source tarball (what a release tarball would hold)
tarball=$CACHE/voxflow-develop.tar.gz
(cd "$SRC" && git ls-files -z -co --exclude-standard | grep -zv '^build' |
   tar --null -T - --transform 's,^,voxflow-develop/,' -czf "$tarball")
export VOXFLOW_SOURCE_TARBALL=$tarball
export VOXFLOW_GIT_COMMIT
VOXFLOW_GIT_COMMIT=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)

spec=voxflow@develop~openmp
spack spec -I "$spec"
# a new tarball every run: drop the previous install and its cached download
spack uninstall -y --all voxflow >/dev/null 2>&1 || true
spack clean -d >/dev/null 2>&1 || true
t1=$(date +%s)
spack install --test=root --no-checksum -j "$JOBS" "$spec"
t_install=$(( $(date +%s) - t1 ))
prefix=$(spack location -i "$spec")
echo "spack test: voxflow installed in $prefix"
spack test run voxflow

# the installed binary on a phantom, outside Spack
work=$(mktemp -d /tmp/vf_spack_run.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$prefix/bin/voxflow" version
"$prefix/bin/voxflow" phantom -o "$work/ph" --nx 8 --ny 8 --nz 2 --nt 20
"$SRC/scripts/vf-mpirun" -np 2 "$prefix/bin/voxflow" kinetics --dicom "$work/ph/phantom.dcm" -o "$work/maps" --no-progress
grep -q '^state: complete' "$work/maps/summary.yaml"
grep -q '"git_commit"' "$work/maps/provenance.json"
ls "$work/maps/nifti/kb.nii.gz" "$prefix/share/voxflow/jobscripts/kinetics_one_scan.sbatch" >/dev/null
echo "spack test: passed (bring-up ${t_up} s, install ${t_install} s, total $(( $(date +%s) - t0 )) s)"
