#!/usr/bin/env python3
"""Read and write stages of `voxflow kinetics` on 1 and 2 MPI ranks (issue 13): the kinetics
phantom saved as a 4D .nii.gz (nibabel), fitted end to end; from each run's summary.yaml the read
time of the .nii.gz and the write times of the NIfTI maps (25 maps, each rank deflating its own gzip
member), the NPY maps and the HDF5 file. Medians of several repeats; ratios 1 rank / 2 ranks.
Prints figures only; nothing here passes or fails on timing.
    python3 bench/io_scaling_benchmark.py [--repeats 3] [--nx 128 --ny 128 --nz 16 --nt 30] [--baseline OLD_VOXFLOW]
With --baseline, every repeat also runs that (older) voxflow binary on 1 and 2 ranks, interleaved with
this one, and the table gains its columns: before/after on the same loaded machine.
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
    ap.add_argument("--baseline", default="", help="an older voxflow binary run side by side")
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
        keys = ["read", "write_nifti", "write_npy", "write_hdf5", "write_png_csv", "write"]
        bins = [("new", VF)] + ([("base", a.baseline)] if a.baseline else [])
        t = {(b, n): {k: [] for k in keys} for b, _ in bins for n in (1, 2)}
        for rep in range(a.repeats):
            for b, binary in bins:
                for n in (1, 2):  # side by side in each repeat: the machine is shared
                    o = os.path.join(work, f"{b}{n}_{rep}")
                    subprocess.run([MPIRUN, "-np", str(n), binary, "kinetics", "--nifti", series, "--frame-interval",
                                    "70", "-o", o, "--no-progress", "--no-dicom-export"], check=True, capture_output=True)
                    with open(os.path.join(o, "summary.yaml")) as fh:
                        s = yaml.safe_load(fh)
                    for k in keys:
                        t[(b, n)][k].append(float(s["timing_s"].get(k, "nan")))
                    if rep > 0 or b != "new":
                        shutil.rmtree(o)
        nd1, nd2 = os.path.join(work, "new1_0", "nifti"), os.path.join(work, "new2_0", "nifti")
        same = all(np.array_equal(np.asarray(nib.load(os.path.join(nd1, f)).dataobj),
                                  np.asarray(nib.load(os.path.join(nd2, f)).dataobj), equal_nan=True)
                   for f in sorted(os.listdir(nd1)))
        print(f"== voxflow kinetics I/O stages, 4D .nii.gz {a.nx} x {a.ny} x {a.nz} x {a.nt}, {os.cpu_count()} cores "
              f"(shared machine), medians of {a.repeats} runs (s)")
        head = f"{'stage':<14}{'1 rank':>10}{'2 ranks':>10}{'1/2':>8}"
        if a.baseline:
            head += f"{'base 1':>10}{'base 2':>10}{'base 1/2':>10}"
        print(head)
        for k in keys:
            line = f"{k:<14}"
            for b, _ in bins:
                m1, m2 = statistics.median(t[(b, 1)][k]), statistics.median(t[(b, 2)][k])
                w = 10 if b == "base" else 8
                line += f"{m1:>10.3f}{m2:>10.3f}{(m1 / m2 if m2 > 0 else float('nan')):>{w}.2f}"
            print(line)
        print(f"NIfTI maps (one gzip member per rank) read by nibabel, identical on 1 and 2 ranks: {same}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
