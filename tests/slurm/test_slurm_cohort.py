"""`voxflow cohort submit` on a real one-node SLURM: a three-subject cohort (one broken input, two
inputs with the same file name) as one job array and a collection job; resubmitting recomputes
nothing; changing one subject's options redoes only that subject."""
import csv
import os
import re
import subprocess
import tempfile

import pytest

from conftest import VF, run, wait_job


def mtimes(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, folder)] = os.stat(p).st_mtime_ns
    return out


def write_manifest(path, pt02_options):
    with open(path, "w") as f:
        f.write("subject,command,inputs,options\n")
        f.write("pt01,kinetics,raw/pt01/scan.dcm,--no-dicom-export\n")
        f.write(f"pt02,kinetics,raw/pt02/scan.dcm,{pt02_options} --no-dicom-export\n")
        f.write("pt03,kinetics,raw/pt03/scan.dcm,--no-dicom-export\n")


def submit(manifest, out):
    r = subprocess.run([VF, "cohort", "submit", manifest, "-o", out, "--ntasks", "2", "--time", "10"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    array = re.search(r"array job (\d+)", r.stdout)
    collect = re.search(r"collection job (\d+)", r.stdout)
    assert collect, r.stdout
    return (array.group(1) if array else None), collect.group(1), r.stdout


def read_rows(out):
    with open(os.path.join(out, "cohort.csv"), newline="") as f:
        return {r["subject"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def cohort(slurm):
    with tempfile.TemporaryDirectory(prefix="vf_slc_") as d:
        for s, seed in (("pt01", 1), ("pt02", 2)):
            ph = os.path.join(d, "raw", s)
            r = run(["phantom", "-o", ph, "--nx", 12, "--ny", 10, "--nz", 2, "--nt", 24, "--seed", seed])
            assert r.returncode == 0, r.stderr
            os.rename(os.path.join(ph, "phantom.dcm"), os.path.join(ph, "scan.dcm"))
        os.makedirs(os.path.join(d, "raw", "pt03"))
        with open(os.path.join(d, "raw", "pt03", "scan.dcm"), "wb") as f:
            f.write(b"broken" * 100)
        manifest = os.path.join(d, "manifest.csv")
        write_manifest(manifest, "")
        yield d, manifest


def test_cohort_array(cohort):
    d, manifest = cohort
    out = os.path.join(d, "out")
    array, collect, text = submit(manifest, out)
    assert array, text
    assert wait_job(collect, timeout=600)["JobState"] == "COMPLETED"
    for t in range(3):
        assert os.path.exists(os.path.join(out, "logs", f"{array}_{t}.log"))  # logs %A_%a
    rows = read_rows(out)
    assert sorted(rows) == ["pt01", "pt02", "pt03"]
    assert rows["pt01"]["status"] == "done" and rows["pt02"]["status"] == "done", rows
    assert rows["pt03"]["status"] == "failed" and "voxflow: error:" in rows["pt03"]["error"], rows["pt03"]
    # the two scan.dcm inputs did not collide: each subject's maps come from its own input
    for s in ("pt01", "pt02"):
        with open(os.path.join(out, s, "kinetics", "summary.yaml")) as f:
            assert f"raw/{s}/scan.dcm" in f.read()
    p1, p2 = (os.path.join(out, s, "kinetics", "nifti") for s in ("pt01", "pt02"))
    assert open(os.path.join(p1, "kb.nii.gz"), "rb").read() != open(os.path.join(p2, "kb.nii.gz"), "rb").read()
    before = {s: mtimes(os.path.join(out, s, "kinetics", "nifti")) for s in ("pt01", "pt02")}

    # resubmitting: only the failed subject is in the array, nothing done is recomputed
    array2, collect2, text = submit(manifest, out)
    assert wait_job(collect2, timeout=600)["JobState"] == "COMPLETED"
    assert {s: mtimes(os.path.join(out, s, "kinetics", "nifti")) for s in ("pt01", "pt02")} == before
    dry = subprocess.run([VF, "cohort", "submit", manifest, "-o", out, "--dry-run"], capture_output=True, text=True)
    assert "--array=2%" in dry.stdout, dry.stdout  # only pt03 (row 2) is still to do

    # changing pt02's options redoes pt02 only
    write_manifest(manifest, "--z 1")
    array3, collect3, text = submit(manifest, out)
    assert wait_job(collect3, timeout=600)["JobState"] == "COMPLETED"
    assert mtimes(os.path.join(out, "pt01", "kinetics", "nifti")) == before["pt01"]
    assert mtimes(os.path.join(out, "pt02", "kinetics", "nifti")) != before["pt02"]
    rows = read_rows(out)
    assert rows["pt02"]["status"] == "done" and int(rows["pt02"]["voxels_selected"]) == 12 * 10
    st = subprocess.run([VF, "cohort", "status", manifest, "-o", out], capture_output=True, text=True)
    assert "3 subjects: done 2 running 0 failed 1 stale 0 pending 0" in st.stdout, st.stdout
