"""A one-node SLURM for the tests of this folder (scripts/slurm-local.sh): up for the session on two
free ports with its state in a temporary folder, down at the end (only the daemons it started)."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

SRC = os.environ.get("VOXFLOW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", "mpirun")
JOBSCRIPTS = os.path.join(SRC, "jobscripts")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def slurm():
    d = tempfile.mkdtemp(prefix="vf_slurm_")
    env = dict(os.environ, VOXFLOW_SLURM_CTLD_PORT=str(free_port()), VOXFLOW_SLURM_SLURMD_PORT=str(free_port()))
    helper = os.path.join(SRC, "scripts", "slurm-local.sh")
    r = subprocess.run(["bash", helper, "up", d], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    os.environ["SLURM_CONF"] = os.path.join(d, "slurm.conf")
    # what a site's module file would set: the binary; shared memory without CMA in containers
    os.environ["VOXFLOW"] = VF
    os.environ.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    os.environ.pop("VOXFLOW_JOBSCRIPTS", None)  # the scripts find voxflow_step.sh beside themselves
    try:
        yield d
    finally:
        subprocess.run(["bash", helper, "down", d], capture_output=True, text=True, timeout=120)
        shutil.rmtree(d, ignore_errors=True)


def sbatch(args, cwd=None, env=None):
    """submits; env: the environment sbatch passes to the job (default: this process's)"""
    r = subprocess.run(["sbatch", "--parsable"] + [str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                       timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().split(";")[0]


def slurm_query(args):
    """stdout of a SLURM client command; "" when slurmctld did not answer within 60 s (it can stall
    for a minute on a loaded machine: the callers poll again, within their own time limits)"""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60).stdout
    except subprocess.TimeoutExpired:
        return ""


def job_info(jobid):
    out = slurm_query(["scontrol", "-o", "show", "job", str(jobid)])
    info = {}
    for m in re.finditer(r"(\w+)=(\S*)", out):
        info.setdefault(m.group(1), m.group(2))
    return info


FINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL",
         "DEADLINE"}


def wait_job(jobid, timeout=600, release_requeued=True):
    """Waits until the job ends; returns its final `scontrol show job` fields. SLURM holds a requeued
    job for about two minutes (BeginTime) while the node cleans up after it; the test releases it
    (scontrol update StartTime=now, as an operator could) as soon as the node is idle again: a job
    released while its previous allocation is still ending is killed ("Job credential revoked")."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        info = job_info(jobid)
        state = info.get("JobState", "")
        if state in FINAL:
            return info
        if release_requeued and state == "PENDING" and info.get("Reason") == "BeginTime":
            if slurm_query(["sinfo", "-h", "-o", "%t"]).split() == ["idle"]:
                time.sleep(1)
                slurm_query(["scontrol", "update", f"JobId={jobid}", "StartTime=now"])
        time.sleep(1)
    subprocess.run(["scancel", str(jobid)], capture_output=True)
    raise AssertionError(f"job {jobid} did not end in {timeout} s: {job_info(jobid)}")


def run(args, np_=None, **kw):
    cmd = ([MPIRUN, "-np", str(np_), VF] if np_ else [VF]) + [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
