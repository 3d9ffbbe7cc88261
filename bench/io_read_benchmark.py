#!/usr/bin/env python3
"""Read time of a large .nii.gz on 1 and 2 MPI ranks (issue 13): the same voxels as an indexed gzip
(1 MiB members with their length in the header, as voxflow writes its maps: each rank inflates only
its own members) and as one gzip stream (as nibabel or dcm2niix write: every rank inflates the stream
up to the last voxel byte, the path voxflow took for every .nii.gz before). Inputs: the vessel
phantom's CTA (voxflow phantom --vessel, 512 x 512 x 256 int16 by default) and a 4D kinetics phantom
(voxflow phantom, DICOM turned into a 4D .nii.gz float32). Timed: `voxflow info FILE` (reads every
voxel for the value range), wall clock and CPU time of all ranks, medians of several repeats run
side by side (on a shared machine the wall clock mostly measures the wait for a core). Prints figures;
passes or fails nothing. Say whether GLIBC_TUNABLES / VOXFLOW_HUGE_PAGES were set when you quote it.
    python3 bench/io_read_benchmark.py [--repeats 5] [--vessel-size 512,512,256] [--nx 128 --ny 128 --nz 16 --nt 60]
"""
import argparse
import gzip
import os
import resource
import shutil
import statistics
import struct
import subprocess
import tempfile
import time
import zlib

import nibabel as nib
import numpy as np
import pydicom

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VF = os.environ.get("VOXFLOW_BIN", os.path.join(here, "build", "voxflow"))
MPIRUN = os.path.join(here, "scripts", "vf-mpirun")


def indexed_gzip(raw, block=1 << 20):
    """io/gzip_index.hpp's format: members of <= block bytes, FEXTRA subfield 'VX' = member length."""
    out = bytearray()
    for at in range(0, len(raw), block):
        part = raw[at:at + block]
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        data = c.compress(part) + c.flush()
        clen = 24 + len(data) + 8
        out += bytes([0x1F, 0x8B, 8, 4, 0, 0, 0, 0, 0, 3]) + struct.pack("<H", 12) + b"VX" + struct.pack("<HQ", 8, clen)
        out += data + struct.pack("<II", zlib.crc32(part) & 0xFFFFFFFF, len(part) & 0xFFFFFFFF)
    return bytes(out)


def both_forms(src, work, stem):
    raw = gzip.decompress(open(src, "rb").read())
    idx, stream = os.path.join(work, stem + "_indexed.nii.gz"), os.path.join(work, stem + "_stream.nii.gz")
    with open(idx, "wb") as f:
        f.write(indexed_gzip(raw))
    with open(stream, "wb") as f:
        f.write(gzip.compress(raw, 6))
    return idx, stream, len(raw)


def timed(n, path):
    """(wall s, CPU s of all ranks: user + sys of the finished children, mpirun included)"""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([MPIRUN, "-np", str(n), VF, "info", path], check=True, capture_output=True)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--vessel-size", default="512,512,256")
    ap.add_argument("--nx", type=int, default=128)
    ap.add_argument("--ny", type=int, default=128)
    ap.add_argument("--nz", type=int, default=16)
    ap.add_argument("--nt", type=int, default=60)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vf-read-bench-")
    try:
        vdir = os.path.join(work, "vessel")
        subprocess.run([VF, "phantom", "--vessel", "-o", vdir, "--size", a.vessel_size], check=True, capture_output=True)
        ph = os.path.join(work, "kin")
        subprocess.run([VF, "phantom", "-o", ph, "--nx", str(a.nx), "--ny", str(a.ny), "--nz", str(a.nz), "--nt",
                        str(a.nt)], check=True, capture_output=True)
        ds = pydicom.dcmread(os.path.join(ph, "phantom.dcm"))
        frames = ds.pixel_array.astype(np.float32) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        vol = frames.reshape(a.nt, a.nz, a.ny, a.nx).transpose(3, 2, 1, 0)
        k4 = os.path.join(work, "series.nii.gz")
        nib.save(nib.Nifti1Image(np.ascontiguousarray(vol), np.eye(4)), k4)
        cases = [("vessel CTA " + a.vessel_size.replace(",", "x") + " int16", both_forms(os.path.join(vdir, "cta.nii.gz"), work, "cta")),
                 (f"kinetics 4D {a.nx}x{a.ny}x{a.nz}x{a.nt} float32", both_forms(k4, work, "k4"))]
        print(f"== voxflow info (reads every voxel), {os.cpu_count()} cores (shared machine), medians of {a.repeats} (s); "
              f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '')!r} VOXFLOW_HUGE_PAGES={os.environ.get('VOXFLOW_HUGE_PAGES', '')!r}")
        print(f"{'input':<40}{'form':<9}{'MB':>7}{'1 rank':>9}{'2 ranks':>9}{'1/2':>7}   CPU s (all ranks) 1 rank, 2 ranks")
        for name, (idx, stream, nbytes) in cases:
            t = {(f, n): [] for f in ("indexed", "stream") for n in (1, 2)}
            for _ in range(a.repeats):
                for f, p in (("stream", stream), ("indexed", idx)):
                    for n in (1, 2):
                        t[(f, n)].append(timed(n, p))
            for f in ("stream", "indexed"):
                m1, m2 = statistics.median(x[0] for x in t[(f, 1)]), statistics.median(x[0] for x in t[(f, 2)])
                c1, c2 = statistics.median(x[1] for x in t[(f, 1)]), statistics.median(x[1] for x in t[(f, 2)])
                print(f"{name:<40}{f:<9}{nbytes / 1e6:>7.0f}{m1:>9.3f}{m2:>9.3f}{m1 / m2:>7.2f}   {c1:>8.2f}{c2:>8.2f}")
            s2, i2 = statistics.median(x[0] for x in t[("stream", 2)]), statistics.median(x[0] for x in t[("indexed", 2)])
            print(f"{'':<40}2 ranks: stream / indexed = {s2 / i2:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
