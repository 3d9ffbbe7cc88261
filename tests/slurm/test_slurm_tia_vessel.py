"""jobscripts/tia_one_scan.sbatch and vessel_one_scan.sbatch on a real one-node SLURM (MpiDefault=none:
the scripts' own --mpi=pmix starts the ranks): on small phantoms each job completes on 2 ranks and
writes the same outputs as a direct 2-rank mpirun run (every file of the run's manifest.json byte for
byte, the HDF5 maps dataset by dataset), except the records of the run itself (summaries, provenance,
manifest: command line, times, output folder)."""
import json
import os
import tempfile

import h5py
import pytest

from conftest import JOBSCRIPTS, run, sbatch, wait_job

# records of the run itself: they name the output folder and hold times
RUN_RECORDS = {"manifest.json", "summary.yaml", "tia_summary.yaml", "provenance.json"}


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory(prefix="vf_sltv_") as d:
        yield d


def manifest(out):
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def assert_same_outputs(job, ref):
    """the files of the two runs' manifests: the same names and, but for the run records and HDF5
    files (compared by dataset: their headers hold times), the same SHA-256"""
    mj, mr = manifest(job), manifest(ref)
    assert mj["mpi_ranks"] == mr["mpi_ranks"] == 2, (mj["mpi_ranks"], mr["mpi_ranks"])
    fj = {f["path"]: f["sha256"] for f in mj["files"]}
    fr = {f["path"]: f["sha256"] for f in mr["files"]}
    assert sorted(fj) == sorted(fr)
    compared = 0
    for path, sha in fr.items():
        if os.path.basename(path) in RUN_RECORDS:
            continue
        if path.endswith(".h5"):
            with h5py.File(os.path.join(job, path)) as a, h5py.File(os.path.join(ref, path)) as b:
                names = []
                b.visit(lambda n: names.append(n) if isinstance(b[n], h5py.Dataset) else None)
                assert names, path
                for n in names:
                    assert n in a, (path, n)
                    assert a[n][()].tobytes() == b[n][()].tobytes(), (path, n)  # bit-identical, NaNs included
        else:
            assert fj[path] == sha, path
        compared += 1
    assert compared >= 5, sorted(fr)


def submit_and_wait(script, args, out, log):
    jid = sbatch(["--ntasks=2", "--time=5", f"--output={log}", os.path.join(JOBSCRIPTS, script)] + args)
    info = wait_job(jid, timeout=300, release_requeued=False)
    text = open(log).read()
    assert info["JobState"] == "COMPLETED", text
    assert int(info.get("Restarts", 0)) == 0, info
    assert "allocation 1 of job " + jid in text, text
    assert "srun ended with exit code 0" in text, text
    return text


def test_tia_one_scan_equals_mpirun(slurm, work):
    ph = os.path.join(work, "tia_ph")
    r = run(["phantom", "--tia", "-o", ph, "--size", 32])
    assert r.returncode == 0, r.stderr
    cfg = os.path.join(ph, "tia.yaml")
    ref = os.path.join(work, "tia_ref")
    r = run(["tia", "--config", cfg, "-o", ref, "--no-progress"], np_=2)
    assert r.returncode == 0, r.stderr
    out, log = os.path.join(work, "tia_job"), os.path.join(work, "tia_job.log")
    text = submit_and_wait("tia_one_scan.sbatch", [cfg, out], out, log)
    with open(os.path.join(out, "tia_summary.yaml")) as f:
        assert "state: complete" in f.read(), text
    assert_same_outputs(out, ref)


def test_vessel_one_scan_equals_mpirun(slurm, work):
    ph = os.path.join(work, "vessel_ph")
    r = run(["vessel-phantom", "-o", ph, "--size", "48,48,32"], np_=2)
    assert r.returncode == 0, r.stderr
    clicks = {}
    for line in open(os.path.join(ph, "clicks.txt")):
        k, v = line.split(":", 1)
        clicks[k] = ",".join(v.split())
    cta = os.path.join(ph, "cta.nii.gz")
    points = ["--start", clicks["start_mm"], "--end", clicks["end_mm"]]
    ref = os.path.join(work, "vessel_ref")
    r = run(["vessel", "-i", cta, "-o", ref] + points, np_=2)
    assert r.returncode == 0, r.stderr
    out, log = os.path.join(work, "vessel_job"), os.path.join(work, "vessel_job.log")
    submit_and_wait("vessel_one_scan.sbatch", [cta, out] + points, out, log)
    assert_same_outputs(out, ref)
