#!/usr/bin/env python3
"""Read and write stages of `voxflow kinetics` on 1 and 2 MPI ranks (issue 13): the kinetics
phantom saved as a 4D .nii.gz (nibabel), fitted end to end; from each run's summary.yaml the read
time of the .nii.gz and the write times of the NIfTI maps (25 maps, each rank deflating its own gzip
member), the NPY maps and the HDF5 file. Medians of several repeats; ratios 1 rank / 2 ranks.
Prints figures only; nothing here passes or fails on timing.
    python3 bench/io_scaling_benchmark.py [--repeats 3] [--nx 128 --ny 128 --nz 16 --nt 30]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile

import nibabel as nib
import numpy as np
import pydicom
import yaml

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VF = os.environ.get("VOXFLOW_BIN", os.path.join(here, "build", "voxflow"))
MPIRUN = os.path.join(here, "scripts", "vf-mpirun")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--nx", type=int, default=128)
    ap.add_argument("--ny", type=int, default=128)
    ap.add_argument("--nz", type=int, default=16)
    ap.add_argument("--nt", type=int, default=30)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vf-io-bench-")
    try:
        ph = os.path.join(work, "ph")
        subprocess.run([VF, "phantom", "-o", ph, "--nx", str(a.nx), "--ny", str(a.ny), "--nz", str(a.nz), "--nt",
                        str(a.nt)], check=True, capture_output=True)
        ds = pydicom.dcmread(os.path.join(ph, "phantom.dcm"))
        frames = ds.pixel_array.astype(np.float32) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        vol = frames.reshape(a.nt, a.nz, a.ny, a.nx).transpose(3, 2, 1, 0)
        series = os.path.join(work, "series.nii.gz")
        nib.save(nib.Nifti1Image(np.ascontiguousarray(vol), np.eye(4)), series)
        keys = ["read", "write_nifti", "write_npy", "write_hdf5", "write"]
        t = {n: {k: [] for k in keys} for n in (1, 2)}
        for rep in range(a.repeats):
            for n in (1, 2):  # side by side in each repeat: the machine is shared
                o = os.path.join(work, f"k{n}_{rep}")
                subprocess.run([MPIRUN, "-np", str(n), VF, "kinetics", "--nifti", series, "--frame-interval", "70",
                                "-o", o, "--no-progress", "--no-dicom-export"], check=True, capture_output=True)
                with open(os.path.join(o, "summary.yaml")) as fh:
                    s = yaml.safe_load(fh)
                for k in keys:
                    t[n][k].append(float(s["timing_s"][k]))
                if rep > 0:
                    shutil.rmtree(o)
        nd1, nd2 = os.path.join(work, "k1_0", "nifti"), os.path.join(work, "k2_0", "nifti")
        same = all(np.array_equal(np.asarray(nib.load(os.path.join(nd1, f)).dataobj),
                                  np.asarray(nib.load(os.path.join(nd2, f)).dataobj), equal_nan=True)
                   for f in sorted(os.listdir(nd1)))
        print(f"== voxflow kinetics I/O stages, 4D .nii.gz {a.nx} x {a.ny} x {a.nz} x {a.nt}, {os.cpu_count()} cores "
              f"(shared machine), medians of {a.repeats} runs (s)")
        print(f"{'stage':<14}{'1 rank':>10}{'2 ranks':>10}{'1/2':>8}")
        for k in keys:
            m1, m2 = statistics.median(t[1][k]), statistics.median(t[2][k])
            print(f"{k:<14}{m1:>10.3f}{m2:>10.3f}{(m1 / m2 if m2 > 0 else float('nan')):>8.2f}")
        print(f"NIfTI maps (one gzip member per rank) read by nibabel, identical on 1 and 2 ranks: {same}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
