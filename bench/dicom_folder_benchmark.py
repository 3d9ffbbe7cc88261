#!/usr/bin/env python3
"""A DICOM series folder on 1 and 2 MPI ranks (issue 13, item 4: the folder is scanned once, by
rank 0, and the plan broadcast). The kinetics phantom (default 32 x 32 x 16 x 30) split by pydicom
into one single-frame file per slice and time point (tests/python/dicom_series_folder.py; 480
files), then `voxflow info --no-range FOLDER` (the header: the folder scan alone), `voxflow info
FOLDER` (scan + every voxel) and `voxflow kinetics --dicom FOLDER --no-dicom-export` timed
end to end (wall clock of the whole mpirun, start-up included), the CPU time of both `info` runs over all
ranks (less sensitive to a loaded machine than the wall clock), kinetics without its fit stage,
and the kinetics read stage (its summary.yaml). Medians of several repeats; with --baseline OLD_VOXFLOW the older binary runs
interleaved with this one, so both see the same load on a shared machine.
With --strace (Debian package strace), one more run of each command under strace counts, per
rank, the openat calls on the folder's files (DCMTK opens a file again to read pixel data it left
on disk) and the distinct files opened.
Prints figures only; nothing here passes or fails on timing.
    python3 bench/dicom_folder_benchmark.py [--repeats 5] [--nx 32 --ny 32 --nz 16 --nt 30]
                                            [--baseline OLD_VOXFLOW] [--strace]
"""
import argparse
import glob
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(here, "tests", "python"))
from dicom_series_folder import split_multiframe  # noqa: E402

VF = os.environ.get("VOXFLOW_BIN", os.path.join(here, "build", "voxflow"))
MPIRUN = os.path.join(here, "scripts", "vf-mpirun")


def timed(cmd):
    """(wall clock s, CPU s of mpirun and every rank: user + system of the waited-for children)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def commands(binary, folder, out):
    return {"info": [binary, "info", folder],
            "header": [binary, "info", "--no-range", folder],
            "kinetics": [binary, "kinetics", "--dicom", folder, "-o", out, "--no-progress", "--no-dicom-export"]}


def opens_per_rank(n, cmd, folder, prefix):
    """(openat calls on files of `folder`, distinct such files) per rank, from strace."""
    for f in glob.glob(prefix + ".*"):
        os.remove(f)
    script = 'exec strace -f -qq -e trace=openat -o "$0.$OMPI_COMM_WORLD_RANK" "$@"'
    subprocess.run([MPIRUN, "-np", str(n), "/bin/sh", "-c", script, prefix] + cmd, check=True, capture_output=True)
    out = []
    for r in range(n):
        calls, files = 0, set()
        with open(f"{prefix}.{r}") as fh:
            for line in fh:
                if folder + "/" in line and "= -1" not in line:
                    calls += 1
                    files.add(line.split('"')[1])
        out.append((calls, len(files)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--nx", type=int, default=32)
    ap.add_argument("--ny", type=int, default=32)
    ap.add_argument("--nz", type=int, default=16)
    ap.add_argument("--nt", type=int, default=30)
    ap.add_argument("--baseline", default="", help="an older voxflow binary run side by side")
    ap.add_argument("--strace", action="store_true", help="count the files each rank opens (strace)")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vf-dicom-folder-bench-")
    try:
        ph = os.path.join(work, "ph")
        subprocess.run([VF, "phantom", "-o", ph, "--nx", str(a.nx), "--ny", str(a.ny), "--nz", str(a.nz), "--nt",
                        str(a.nt)], check=True, capture_output=True)
        folder = os.path.join(work, "series")
        split_multiframe(os.path.join(ph, "phantom.dcm"), folder)
        n_files = len(os.listdir(folder))
        bins = [("new", VF)] + ([("base", a.baseline)] if a.baseline else [])
        keys = ["header", "header cpu", "info", "info cpu", "kinetics", "kin-fit", "read"]
        t = {(b, n): {k: [] for k in keys} for b, _ in bins for n in (1, 2)}
        for rep in range(a.repeats):
            for b, binary in bins:
                for n in (1, 2):  # side by side in each repeat: the machine is shared
                    o = os.path.join(work, f"{b}{n}_{rep}")
                    cmds = commands(binary, folder, o)
                    wall, cpu = timed([MPIRUN, "-np", str(n)] + cmds["header"])
                    t[(b, n)]["header"].append(wall)
                    t[(b, n)]["header cpu"].append(cpu)
                    wall, cpu = timed([MPIRUN, "-np", str(n)] + cmds["info"])
                    t[(b, n)]["info"].append(wall)
                    t[(b, n)]["info cpu"].append(cpu)
                    wall, _ = timed([MPIRUN, "-np", str(n)] + cmds["kinetics"])
                    with open(os.path.join(o, "summary.yaml")) as fh:
                        timing = yaml.safe_load(fh)["timing_s"]
                    t[(b, n)]["kinetics"].append(wall)
                    t[(b, n)]["kin-fit"].append(wall - float(timing["fit"]))
                    t[(b, n)]["read"].append(float(timing["read"]))
                    shutil.rmtree(o)
        print(f"== a DICOM series folder of {n_files} single-frame files ({a.nx} x {a.ny}, {a.nz} slices x {a.nt} "
              f"time points), {os.cpu_count()} cores (shared machine), medians of {a.repeats} runs (s; header: "
              f"info --no-range, the folder scan alone; header, info and kinetics: wall clock of mpirun, start-up "
              f"included; cpu: CPU time of mpirun and all ranks (user + system); kin-fit: kinetics without its fit stage "
              f"(start-up, header scan, read, write); read: kinetics' read stage, after the header)")
        head = f"{'':<10}" + "".join(f"{f'{b} {n} rank' + ('s' if n > 1 else ''):>14}" for b, _ in bins for n in (1, 2))
        if a.baseline:
            head += f"{'base/new 1':>12}{'base/new 2':>12}"
        print(head)
        for k in keys:
            med = {(b, n): statistics.median(t[(b, n)][k]) for b, _ in bins for n in (1, 2)}
            line = f"{k:<10}" + "".join(f"{med[(b, n)]:>14.3f}" for b, _ in bins for n in (1, 2))
            if a.baseline:
                line += "".join(f"{med[('base', n)] / med[('new', n)]:>12.2f}" for n in (1, 2))
            print(line)
        if a.strace:
            print("files of the folder opened per rank under strace (openat calls / distinct files):")
            for b, binary in bins:
                for n in (1, 2):
                    o = os.path.join(work, f"strace_{b}{n}")
                    for name, cmd in commands(binary, folder, o).items():
                        per = opens_per_rank(n, cmd, folder, os.path.join(work, f"trace_{b}_{n}_{name}"))
                        cells = "  ".join(f"rank {r}: {c} / {d}" for r, (c, d) in enumerate(per))
                        print(f"  {b:<5}{n} rank{'s' if n > 1 else ' '} {name:<9}{cells}")
                    shutil.rmtree(o, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
