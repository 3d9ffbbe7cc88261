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
# The requeue test. SLURM's time limit is in minutes, and slurmctld checks time limits (and sends the
# --signal warning) every 30 s, at the first check where the warning is due within the next 30 s:
# with --time=1 --signal=B:USR1@20 the warning reaches an allocation 10 to 40 s after its start and
# leaves at least 20 s before the limit for the checkpoint. The fit of the SMALL phantom is paced by
# the testing aid VOXFLOW_TEST_ITEM_DELAY_MS (src/core/test_pacing.hpp: a sleep per voxel after each
# chunk; timing only, the same kernel fits the same voxels) so that it lasts about PACED_FIT_S
# seconds whatever the machine's speed or load: longer than the latest warning, so the job needs at
# least two allocations, while its two ranks mostly sleep. The maps are compared with the unpaced,
# uninterrupted mpirun reference of test_one_scan_equals_mpirun.
PACED_FIT_S = 50


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


def test_time_limit_requeue_resume(slurm, work, small):
    scan, ref = small
    out, log = os.path.join(work, "job2"), os.path.join(work, "job2.log")
    per_rank = summary(ref)["voxels"]["fitted_this_run"] / 2
    delay_ms = 1000.0 * PACED_FIT_S / per_rank
    # a 1-minute limit with the warning 20 s before it; the batch environment (sbatch exports it) paces the fit
    jid = sbatch(["--ntasks=2", "--time=1", "--signal=B:USR1@20", f"--output={log}",
                  os.path.join(JOBSCRIPTS, "kinetics_one_scan.sbatch"), scan, out, "--no-dicom-export",
                  "--checkpoint-interval", "0"], env=dict(os.environ, VOXFLOW_TEST_ITEM_DELAY_MS=f"{delay_ms:.3f}"))
    info = wait_job(jid, timeout=480)
    text = open(log).read()
    assert info["JobState"] == "COMPLETED", text
    allocations = re.findall(r"voxflow-job: \S+ allocation (\d+) of job " + jid, text)
    assert len(allocations) >= 2, text  # each allocation opens its part of the log
    assert allocations == [str(i + 1) for i in range(len(allocations))], allocations
    assert int(info["Restarts"]) == len(allocations) - 1, info
    assert text.count("requeueing job " + jid) == len(allocations) - 1, text
    assert "time limit near: checkpointed, not finished (exit 75)" in text, text
    s = summary(out)
    assert s["state"] == "complete" and s["voxels"]["resumed_from_checkpoint"] > 0, (s["voxels"], text)
    assert not os.path.exists(os.path.join(out, "checkpoint.h5"))
    assert_same_maps(out, ref)
