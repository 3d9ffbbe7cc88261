"""`voxflow cohort run|status|collect|submit --dry-run` on a workstation (no SLURM): provenance.json,
the content key that skips finished subjects and redoes exactly what changed, failed subjects
reported with their error line, subjects whose inputs share a file name."""
import csv
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import yaml

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", "mpirun")


def run(args, **kw):
    return subprocess.run([VF] + [str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)


def check_ok(r):
    assert r.returncode == 0, r.stderr + r.stdout


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def mtimes(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, folder)] = os.stat(p).st_mtime_ns
    return out


@pytest.fixture(scope="module")
def cohort():
    """pt01 and pt02: phantoms in their own folders under the same file name; pt03: a broken file."""
    with tempfile.TemporaryDirectory(prefix="vf_cohort_") as d:
        for i, seed in (("pt01", 1), ("pt02", 2)):
            ph = os.path.join(d, "raw", i)
            check_ok(run(["phantom", "-o", ph, "--nx", 6, "--ny", 5, "--nz", 2, "--nt", 24, "--seed", seed]))
            os.rename(os.path.join(ph, "phantom.dcm"), os.path.join(ph, "scan.dcm"))
        os.makedirs(os.path.join(d, "raw", "pt03"))
        with open(os.path.join(d, "raw", "pt03", "scan.dcm"), "wb") as f:
            f.write(b"not a DICOM file at all" * 10)
        manifest = os.path.join(d, "cohort.csv")
        write_manifest(manifest, {"pt02": "--z 1"})
        yield d, manifest


def write_manifest(path, options):
    rows = ["subject,command,inputs,options"]
    for s in ("pt01", "pt02", "pt03"):
        rows.append(f"{s},kinetics,raw/{s}/scan.dcm,{options.get(s, '')} --no-dicom-export")
    with open(path, "w") as f:
        f.write("\n".join(rows) + "\n")


def read_csv(path):
    with open(path, newline="") as f:
        return {r["subject"]: r for r in csv.DictReader(f)}


def test_run_skip_redo(cohort):
    d, manifest = cohort
    out = os.path.join(d, "out")
    r = run(["cohort", "run", manifest, "-o", out, "-j", 2])
    assert r.returncode == 1, r.stdout + r.stderr  # one subject failed
    assert "pt01 kinetics: done" in r.stdout and "pt02 kinetics: done" in r.stdout, r.stdout
    assert "pt03 kinetics: failed: voxflow: error:" in r.stdout, r.stdout
    rows = read_csv(os.path.join(out, "cohort.csv"))
    assert sorted(rows) == ["pt01", "pt02", "pt03"]
    assert rows["pt01"]["status"] == "done" and rows["pt02"]["status"] == "done"
    assert rows["pt03"]["status"] == "failed" and "error" in rows["pt03"]["error"], rows["pt03"]
    assert float(rows["pt01"]["voxels_per_second"]) > 0 and "kb=" in rows["pt01"]["map_means"]
    assert int(rows["pt02"]["voxels_selected"]) == 6 * 5  # --z 1: one slice

    # outputs by subject id: the two scan.dcm files do not collide
    p1, p2 = (os.path.join(out, s, "kinetics") for s in ("pt01", "pt02"))
    with open(os.path.join(p1, "summary.yaml")) as f:
        assert yaml.safe_load(f)["input"]["path"].endswith("raw/pt01/scan.dcm")
    with open(os.path.join(p2, "summary.yaml")) as f:
        assert yaml.safe_load(f)["input"]["path"].endswith("raw/pt02/scan.dcm")

    # provenance.json: inputs with their SHA-256, options, build, cohort key
    with open(os.path.join(p1, "provenance.json")) as f:
        prov = json.load(f)
    scan1 = os.path.join(d, "raw", "pt01", "scan.dcm")
    assert [(i["path"], i["sha256"]) for i in prov["inputs"]] == [(os.path.realpath(scan1), sha256(scan1))]
    assert prov["command"] == "kinetics" and prov["state"] == "complete" and prov["mpi_ranks"] == 1
    assert prov["effective_options"]["dicom_export"] is False
    assert prov["build"]["kokkos_backend"] and prov["git_commit"] and prov["voxflow_version"]
    assert prov["GeneratedBy"][0]["Name"] == "voxflow" and len(prov["cohort"]["key"]) == 64
    assert prov["start_utc"] <= prov["end_utc"] and prov["host"]
    with open(os.path.join(out, "dataset_description.json")) as f:
        desc = json.load(f)
    assert desc["DatasetType"] == "derivative" and desc["GeneratedBy"][0]["Name"] == "voxflow"

    # a second run recomputes nothing that is done
    before = {s: mtimes(os.path.join(out, s, "kinetics", "nifti")) for s in ("pt01", "pt02")}
    r = run(["cohort", "run", manifest, "-o", out])
    assert "pt01 kinetics: skipped (up to date)" in r.stdout and "pt02 kinetics: skipped (up to date)" in r.stdout, r.stdout
    assert {s: mtimes(os.path.join(out, s, "kinetics", "nifti")) for s in ("pt01", "pt02")} == before

    # status from the outputs
    r = run(["cohort", "status", manifest, "-o", out])
    check_ok(r)
    assert "pt01 kinetics done" in r.stdout and "pt03 kinetics failed: voxflow: error:" in r.stdout, r.stdout

    # changing pt02's options: pt02 is stale and only pt02 is redone
    write_manifest(manifest, {"pt02": "--z 0"})
    r = run(["cohort", "status", manifest, "-o", out])
    assert "pt02 kinetics stale" in r.stdout and "pt01 kinetics done" in r.stdout, r.stdout
    r = run(["cohort", "run", manifest, "-o", out])
    assert "pt01 kinetics: skipped (up to date)" in r.stdout and "pt02 kinetics: done" in r.stdout, r.stdout
    assert mtimes(os.path.join(out, "pt01", "kinetics", "nifti")) == before["pt01"]
    assert mtimes(os.path.join(out, "pt02", "kinetics", "nifti")) != before["pt02"]

    # changing one byte of pt01's input redoes pt01 (content, not names, decides)
    with open(scan1, "r+b") as f:
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    r = run(["cohort", "status", manifest, "-o", out])
    assert "pt01 kinetics stale" in r.stdout and "pt02 kinetics done" in r.stdout, r.stdout

    # --force redoes the done ones too
    r = run(["cohort", "run", manifest, "-o", out, "--force"])
    assert "pt01 kinetics: done" in r.stdout and "pt02 kinetics: done" in r.stdout, r.stdout


def test_run_under_mpirun_and_config(cohort):
    d, manifest = cohort
    out = os.path.join(d, "out_mpi")
    cfg = os.path.join(d, "cohort.yaml")
    with open(cfg, "w") as f:
        f.write(f"launcher: {MPIRUN} -np 2\njobs: 1\n")
    r = run(["cohort", "run", manifest, "-o", out, "--config", cfg])
    assert "pt01 kinetics: done" in r.stdout, r.stdout + r.stderr
    with open(os.path.join(out, "pt01", "kinetics", "provenance.json")) as f:
        assert json.load(f)["mpi_ranks"] == 2


def test_submit_dry_run(cohort):
    d, manifest = cohort
    out = os.path.join(d, "out_dry")
    r = run(["cohort", "submit", manifest, "-o", out, "--dry-run", "--ntasks", 3, "--throttle", 2])
    check_ok(r)
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 2, r.stdout
    assert "--array=0-2%2" in lines[0] and "--ntasks=3" in lines[0] and "cohort_array.sbatch" in lines[0]
    assert "%A_%a.log" in lines[0]
    assert "--dependency=afterany:" in lines[1] and "cohort collect" in lines[1]


@pytest.mark.parametrize("text,needle", [
    ("subject,command,inputs\npt01,kinetics,missing.dcm\npt01,kinetics,missing.dcm\n", "appears twice"),
    ("subject,command,inputs\n../x,kinetics,a.dcm\n", "not a valid id"),
    ("subject,command,inputs\npt01,fit,a.dcm\n", "not one of"),
    ("subject,inputs\npt01,a.dcm\n", "header"),
    ("subject,command,inputs,options\npt01,kinetics,a.dcm,-o elsewhere\n", "output folder"),
])
def test_bad_manifest(cohort, text, needle):
    d, _ = cohort
    bad = os.path.join(d, "bad.csv")
    with open(bad, "w") as f:
        f.write(text)
    r = run(["cohort", "status", bad, "-o", os.path.join(d, "out_bad")])
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
