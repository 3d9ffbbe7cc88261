#!/usr/bin/env python3
"""SIGUSR1 during `voxflow kinetics` under mpirun -np 2 (issue 13): the time from the signal to the
exit of mpirun (every rank gone), the checkpoint's write time and size as voxflow prints them, the
exit code (75: checkpointed, not finished), and whether --resume on 1 rank gives maps identical to
an uninterrupted run. Prints figures only; nothing here passes or fails on timing.
    python3 bench/checkpoint_signal_benchmark.py [--repeats 5] [--nx 256 --ny 256 --nz 16 --nt 60]
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VF = os.environ.get("VOXFLOW_BIN", os.path.join(here, "build", "voxflow"))
MPIRUN = os.path.join(here, "scripts", "vf-mpirun")
MAPS9 = ["kb", "kd", "knt", "A0", "A1", "A2", "t0", "tmax", "r_squared"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--nx", type=int, default=256)
    ap.add_argument("--ny", type=int, default=256)
    ap.add_argument("--nz", type=int, default=16)
    ap.add_argument("--nt", type=int, default=60)
    ap.add_argument("--after", type=float, default=3.0, help="seconds of fitting before the signal")
    ap.add_argument("--no-verify", action="store_true", help="skip the reference run and the resume")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vf-ckpt-bench-")
    try:
        ph = os.path.join(work, "ph")
        subprocess.run([VF, "phantom", "-o", ph, "--nx", str(a.nx), "--ny", str(a.ny), "--nz", str(a.nz), "--nt",
                        str(a.nt)], check=True, capture_output=True)
        dcm = os.path.join(ph, "phantom.dcm")
        exits, ckpt_s, ckpt_mb, codes, ranks_done = [], [], [], [], []
        last = None
        for k in range(a.repeats):
            o = os.path.join(work, f"run{k}")
            p = subprocess.Popen([MPIRUN, "-np", "2", VF, "kinetics", "--dicom", dcm, "-o", o, "--no-dicom-export",
                                  "--no-progress"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
            line = ""
            while "voxflow kinetics:" not in line:
                line = p.stderr.readline()
                if not line and p.poll() is not None:
                    sys.exit("voxflow ended before the fit started")
            time.sleep(a.after)
            t0 = time.monotonic()
            p.send_signal(signal.SIGUSR1)
            err = ""
            for line in p.stderr:  # the ranks' last line ("voxflow: error: stopped by ...") marks their exit
                err += line
                if line.startswith("voxflow: error"):
                    ranks_done.append(time.monotonic() - t0)
            p.wait()
            exits.append(time.monotonic() - t0)
            codes.append(p.returncode)
            m = re.search(r"checkpoint written in ([0-9.]+) s \(([0-9.]+) MB", err)
            if m:
                ckpt_s.append(float(m.group(1)))
                ckpt_mb.append(float(m.group(2)))
            else:
                print(err, file=sys.stderr)
            last = o
        print(f"== SIGUSR1 during voxflow kinetics, mpirun -np 2, phantom {a.nx} x {a.ny} x {a.nz} x {a.nt}, "
              f"{os.cpu_count()} cores (shared machine), {a.repeats} runs, signal {a.after} s into the fit")
        print(f"signal -> mpirun exit   s: median {statistics.median(exits):.3f}  (all: "
              + ", ".join(f"{x:.2f}" for x in exits) + ")")
        if ranks_done:
            print(f"signal -> voxflow's last line s: median {statistics.median(ranks_done):.3f}  (the rest is mpirun's "
                  "own wait after ranks exit non-zero, odls_base_sigkill_timeout)")
        if ckpt_s:
            print(f"checkpoint write        s: median {statistics.median(ckpt_s):.3f}  size MB: median "
                  f"{statistics.median(ckpt_mb):.1f}")
        print(f"exit codes: {codes}")
        if a.no_verify:
            return
        ref = os.path.join(work, "ref")
        subprocess.run([MPIRUN, "-np", "2", VF, "kinetics", "--dicom", dcm, "-o", ref, "--no-dicom-export",
                        "--no-progress"], check=True, capture_output=True)
        subprocess.run([VF, "kinetics", "--dicom", dcm, "-o", last, "--no-dicom-export", "--no-progress",
                        "--resume"], check=True, capture_output=True)
        import numpy as np
        same = all(np.array_equal(np.load(os.path.join(ref, "pixel_maps", f"{n}_map.npy")),
                                  np.load(os.path.join(last, "pixel_maps", f"{n}_map.npy")), equal_nan=True)
                   for n in MAPS9)
        print(f"--resume on 1 rank bit-identical to an uninterrupted 2-rank run: {same}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
