#!/usr/bin/env bash
# Masked kinetics on 1 and 2 MPI ranks: the work balance of the voxel-map run.
# A 128 x 128 x 16 x 60 phantom and a mask of ~7 % of its voxels, all in the lowest quarter of the
# slices (so one rank's z-slab holds every masked voxel). Without balancing, rank 1 idles and 2
# ranks fit no faster than 1; with it, both ranks fit half of the masked voxels.
# Prints the fit stage (summary.yaml timing_s.fit) on 1 and 2 ranks side by side and their ratio,
# and whether the maps are identical. Figures only; nothing here passes or fails on timing.
#   bash bench/run_kinetics_mask_balance.sh [VOXFLOW_BINARY]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$here/build}
vf=${1:-$BUILD_DIR/voxflow}
[ -x "$vf" ] || { echo "build voxflow first (bash scripts/setup.sh)"; exit 2; }
py=/usr/bin/python3
work=$(mktemp -d /tmp/voxflow-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$vf" phantom -o "$work/ph" --nz 16 2>/dev/null
# the mask: a disc in slices 0..3 (the lowest quarter) holding ~7 % of the volume's voxels
$py - "$work" <<'PY'
import sys, numpy as np, nibabel as nib
w = sys.argv[1]
ref = nib.load(f"{w}/ph/truth/region.nii.gz")
nx, ny, nz = ref.shape
i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
target = 0.07 * nx * ny * nz / (nz // 4)          # voxels per masked slice
r = np.sqrt(target / np.pi)
disc = (i - nx / 2 + 0.5) ** 2 + (j - ny / 2 + 0.5) ** 2 <= r * r
m = np.zeros(ref.shape, np.uint8)
m[:, :, : nz // 4] = disc[:, :, None]
nib.save(nib.Nifti1Image(m, ref.affine), f"{w}/mask.nii.gz")
print(f"mask: {int(m.sum())} of {m.size} voxels ({100.0 * m.sum() / m.size:.1f} %), slices 0..{nz // 4 - 1} of {nz}")
PY
declare -A fit bal wall
for n in 1 2; do
  start=$(date +%s.%N)
  "$here/scripts/vf-mpirun" -np $n "$vf" kinetics --dicom "$work/ph/phantom.dcm" --mask "$work/mask.nii.gz" \
    -o "$work/k$n" --no-progress --no-dicom-export 2>/dev/null
  end=$(date +%s.%N)
  wall[$n]=$(echo "$end - $start" | bc)
  fit[$n]=$($py -c "import yaml;s=yaml.safe_load(open('$work/k$n/summary.yaml'));t=s.get('timing_s') or {};print(t.get('fit', t.get('fit_s', 0)))")
  bal[$n]=$($py -c "import yaml;s=yaml.safe_load(open('$work/k$n/summary.yaml'));t=s.get('timing_s') or {};print(t.get('balance', 0))")
done
same=$($py -c "
import numpy as np
print(all(np.array_equal(np.load('$work/k1/pixel_maps/%s_map.npy'%m), np.load('$work/k2/pixel_maps/%s_map.npy'%m), equal_nan=True)
          for m in ['kb','kd','knt','A0','A1','A2','t0','tmax','r_squared']))")
echo "== voxflow kinetics with a mask in the lowest quarter of the slices, $(nproc) cores ($vf)"
printf '%-10s %12s %12s %12s\n' ranks "balance s" "fit s" "wall s"
for n in 1 2; do printf '%-10s %12.3f %12.3f %12.2f\n' $n "${bal[$n]}" "${fit[$n]}" "${wall[$n]}"; done
echo "speed-up 1 -> 2 ranks, fit stage: $($py -c "print(round(${fit[1]}/${fit[2]}, 2))")   fit + balance: $($py -c "print(round((${fit[1]}+${bal[1]})/(${fit[2]}+${bal[2]}), 2))")   whole command: $($py -c "print(round(${wall[1]}/${wall[2]}, 2))")   maps identical 1 vs 2 ranks: $same"
