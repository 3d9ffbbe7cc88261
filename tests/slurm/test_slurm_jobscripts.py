"""jobscripts/kinetics_one_scan.sbatch on a real one-node SLURM (MpiDefault=none, so the script's own
--mpi=pmix is what starts the ranks): maps equal a direct mpirun run; with a time limit shorter than
the run it is signalled, checkpoints, requeues, resumes and finishes with bit-identical maps."""
import glob
import os
import re
import tempfile

import h5py
import numpy as np
import pytest
import yaml

from conftest import JOBSCRIPTS, run, sbatch, wait_job

SMALL = ["--nx", 32, "--ny", 32, "--nz", 4, "--nt", 40]
# The requeue test needs a run that outlasts the time-limit warning at least once. slurmctld checks
# time limits every 30 s and sends the warning at the first check where it is due within the next
# 30 s: with --time=3 --signal=B:USR1@130 it reaches each allocation 20 to 50 s after its start,
# and leaves two minutes to write the checkpoint. The phantom is sized from the fit rate measured on
# SMALL so that an uninterrupted 2-rank run fits for about RUN_S seconds on this machine, whatever
# its speed or load; that first guess rests on a one-second run, so the uninterrupted reference
# itself is the measure: one whose fit took less than MIN_FIT_S (it could end before a warning at
# 50 s) is made larger and run again.
RUN_S = 65
MIN_FIT_S = 55


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory(prefix="vf_sl_") as d:
        yield d


def phantom_and_reference(work, name, size):
    """a phantom and one uninterrupted 2-rank mpirun run of it"""
    ph = os.path.join(work, name)
    r = run(["phantom", "-o", ph] + size)
    assert r.returncode == 0, r.stderr
    ref = os.path.join(work, name + "_ref")
    r = run(["kinetics", "--dicom", os.path.join(ph, "phantom.dcm"), "-o", ref, "--no-progress", "--no-dicom-export"],
            np_=2)
    assert r.returncode == 0, r.stderr
    return os.path.join(ph, "phantom.dcm"), ref


@pytest.fixture(scope="module")
def small(work):
    return phantom_and_reference(work, "small", SMALL)


@pytest.fixture(scope="module")
def long_run(work, small):
    rate = summary(small[1])["voxels"]["voxels_per_second"]  # voxels fitted per second, 2 ranks
    nz = int(min(1500, max(8, RUN_S * rate / (48 * 48))))
    for attempt in range(3):
        scan, ref = phantom_and_reference(work, f"long{attempt}", ["--nx", 48, "--ny", 48, "--nz", nz, "--nt", 40])
        fit_s = summary(ref)["timing_s"]["fit"]
        if fit_s >= MIN_FIT_S or nz >= 1500:
            break
        nz = int(min(1500, max(nz + 8, nz * RUN_S / max(fit_s, 1e-3))))
    assert fit_s >= MIN_FIT_S, f"the reference run fits for {fit_s:.1f} s only (nz {nz}): too short for the requeue test"
    return scan, ref


def assert_same_maps(a, b):
    npys = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a, "pixel_maps", "*.npy")))
    assert len(npys) == 9
    for n in npys:
        x, y = np.load(os.path.join(a, "pixel_maps", n)), np.load(os.path.join(b, "pixel_maps", n))
        assert x.tobytes() == y.tobytes(), n  # bit-identical, NaNs included
    with h5py.File(os.path.join(a, "kinetics_maps.h5")) as fa, h5py.File(os.path.join(b, "kinetics_maps.h5")) as fb:
        for k in fa["maps"]:
            assert fa["maps"][k][()].tobytes() == fb["maps"][k][()].tobytes(), k


def summary(out):
    with open(os.path.join(out, "summary.yaml")) as f:
        return yaml.safe_load(f)


def test_one_scan_equals_mpirun(slurm, work, small):
    scan, ref = small
    out, log = os.path.join(work, "job1"), os.path.join(work, "job1.log")
    jid = sbatch(["--ntasks=2", "--time=10", f"--output={log}", os.path.join(JOBSCRIPTS, "kinetics_one_scan.sbatch"),
                  scan, out, "--no-dicom-export"])
    info = wait_job(jid)
    text = open(log).read()
    assert info["JobState"] == "COMPLETED", text
    s = summary(out)
    assert s["state"] == "complete" and s["parallel"]["mpi_ranks"] == 2, text
    assert "allocation 1 of job " + jid in text
    assert_same_maps(out, ref)


def test_time_limit_requeue_resume(slurm, work, long_run):
    scan, ref = long_run
    out, log = os.path.join(work, "job2"), os.path.join(work, "job2.log")
    # a 3-minute limit with the warning 130 s before it
    jid = sbatch(["--ntasks=2", "--time=3", "--signal=B:USR1@130", f"--output={log}",
                  os.path.join(JOBSCRIPTS, "kinetics_one_scan.sbatch"), scan, out, "--no-dicom-export",
                  "--checkpoint-interval", "0"])
    info = wait_job(jid, timeout=900)
    text = open(log).read()
    assert info["JobState"] == "COMPLETED", text
    allocations = re.findall(r"voxflow-job: \S+ allocation (\d+) of job " + jid, text)
    assert len(allocations) >= 2, text  # each allocation opens its part of the log
    assert allocations == [str(i + 1) for i in range(len(allocations))], allocations
    assert int(info["Restarts"]) == len(allocations) - 1, info
    assert text.count("requeueing job " + jid) == len(allocations) - 1, text
    s = summary(out)
    assert s["state"] == "complete" and s["voxels"]["resumed_from_checkpoint"] > 0, (s["voxels"], text)
    assert not os.path.exists(os.path.join(out, "checkpoint.h5"))
    assert_same_maps(out, ref)
