"""Failure semantics and output folders (issue 13; docs/design.md "Failure semantics" and "A folder
never mixes two runs"):
- VOXFLOW_FAULT=<rank>:<stage> on rank 1 of 2 and of 3, under an mpirun that does not kill the
  other ranks when one exits non-zero (like srun without --kill-on-bad-exit): every rank is gone
  within 10 s, exit code 1 (an internal fault), one error line, nothing under a final name;
- two runs into one folder leave no file of the first that the second's manifest does not list."""
import hashlib
import json
import os
import subprocess
import tempfile
import time

import pytest

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", "mpirun")
STAGES = ["read", "balance", "fit", "checkpoint", "write"]


def run(args, np_=None, env=None, timeout=600):
    cmd = ([MPIRUN, "-np", str(np_), VF] if np_ else [VF])
    cmd += [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def check_ok(r):
    assert r.returncode == 0, r.stderr + r.stdout


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory(prefix="vf_faults_") as d:
        yield d


@pytest.fixture(scope="module")
def phantom(work):
    out = os.path.join(work, "ph")
    check_ok(run(["phantom", "-o", out, "--nx", 32, "--ny", 24, "--nz", 6, "--nt", 30]))
    return os.path.join(out, "phantom.dcm")


def files_under(d):
    out = []
    for root, _, names in os.walk(d):
        out += [os.path.relpath(os.path.join(root, n), d) for n in names]
    return sorted(out)


def run_ranks(args, np_, env, rc_dir, timeout=60):
    """mpirun that does not end the other ranks when one exits non-zero (and then exits 0 itself);
    each rank's own exit code lands in rc_dir/rc.<rank> when the rank returned from main."""
    os.makedirs(rc_dir, exist_ok=True)
    script = 'VF="$1"; shift; "$VF" "$@"; rc=$?; echo $rc > "%s/rc.$OMPI_COMM_WORLD_RANK"; exit $rc' % rc_dir
    cmd = [MPIRUN, "-np", str(np_), "--mca", "orte_abort_on_non_zero_status", "0", "/bin/sh", "-c", script, "sh", VF]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **env))


def input_error_on_every_rank(cmd, np_, rc_dir, path):
    """Runs cmd on np_ ranks under a launcher that does not end the others; asserts that every rank
    exited 2 within 10 s and that one error line, naming `path`, was printed. Returns that line."""
    t0 = time.time()
    r = run_ranks(cmd, np_, {}, rc_dir)
    assert time.time() - t0 < 10, r.stderr
    codes = sorted(int(open(os.path.join(rc_dir, f)).read()) for f in os.listdir(rc_dir))
    assert codes == [2] * np_, (codes, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.startswith("voxflow: error")]
    assert len(lines) == 1 and path in lines[0], r.stderr
    return lines[0]


@pytest.mark.parametrize("np_", [2, 3])
@pytest.mark.parametrize("stage", STAGES)
def test_fault_on_rank_1_ends_every_rank(work, phantom, stage, np_):
    o = os.path.join(work, f"fault_{stage}_{np_}")
    args = ["kinetics", "--dicom", phantom, "-o", o, "--no-progress"]
    if stage == "checkpoint":  # a checkpoint after every chunk, so that the stage is reached
        args += ["--checkpoint-interval", "1e-9"]
    rc_dir = os.path.join(work, f"rc_{stage}_{np_}")
    t0 = time.time()
    r = run_ranks(args, np_, {"VOXFLOW_FAULT": f"1:{stage}"}, rc_dir)
    elapsed = time.time() - t0
    assert elapsed < 10, f"{stage} np {np_}: {elapsed:.1f} s\n{r.stderr}"
    codes = sorted(int(open(os.path.join(rc_dir, f)).read()) for f in os.listdir(rc_dir))
    if r.returncode == 0:  # the failure was agreed on: every rank returned exit code 1 itself
        assert codes == [1] * np_, (codes, r.stderr)
    else:  # the failing rank ended the job with MPI_Abort(1): mpirun reports that code
        assert r.returncode == 1 and len(codes) < np_, (r.returncode, codes, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.startswith("voxflow: error")]
    assert len(lines) == 1, r.stderr
    assert f"injected fault at stage '{stage}' on rank 1" in lines[0]
    # nothing under a final name (temporaries of the killed run may stay; they carry ".tmp-")
    left = [f for f in files_under(o) if ".tmp-" not in f] if os.path.isdir(o) else []
    assert left == [], left


def test_fault_switch_is_inert_when_unset_and_checked_when_malformed(work, phantom):
    o = os.path.join(work, "bad_switch")
    r = run(["kinetics", "--dicom", phantom, "-o", o, "--no-progress"], np_=2, env={"VOXFLOW_FAULT": "1:nowhere"},
            timeout=60)
    assert r.returncode == 2, r.stderr
    assert len([l for l in r.stderr.splitlines() if l.startswith("voxflow: error")]) == 1, r.stderr
    # a fault on a rank that does not exist changes nothing
    check_ok(run(["kinetics", "--dicom", phantom, "-o", o, "--no-progress", "--no-dicom-export"], np_=2,
                 env={"VOXFLOW_FAULT": "7:fit"}))


def manifest(d, name="manifest.json"):
    with open(os.path.join(d, name)) as fh:
        m = json.load(fh)
    for f in m["files"]:
        with open(os.path.join(d, f["path"]), "rb") as fh:
            data = fh.read()
        assert len(data) == f["bytes"], f["path"]
        assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
    return m


def test_two_kinetics_runs_into_one_folder(work, phantom):
    o = os.path.join(work, "twice")
    check_ok(run(["kinetics", "--dicom", phantom, "-o", o, "--no-progress"], np_=2))
    first = manifest(o)
    assert any(f["path"].startswith("dicom/") for f in first["files"])
    assert sorted(f["path"] for f in first["files"]) == [f for f in files_under(o) if f != "manifest.json"]
    # a stale provenance.json (the run writes its own) and a file of the user's own
    with open(os.path.join(o, "provenance.json"), "w") as fh:
        fh.write("{}\n")
    with open(os.path.join(o, "notes.txt"), "w") as fh:
        fh.write("mine\n")
    check_ok(run(["kinetics", "--dicom", phantom, "-o", o, "--no-progress", "--no-dicom-export"]))
    second = manifest(o)
    assert second["run_id"] != first["run_id"]
    listed = {f["path"] for f in second["files"]}
    others = {f["path"] for f in second["other_files"]}
    assert not any(p.startswith("dicom") for p in files_under(o)), files_under(o)  # the first run's series went
    assert "provenance.json" in listed and "notes.txt" in others
    assert set(files_under(o)) == listed | others | {"manifest.json"}


def test_a_file_added_during_a_run_is_not_the_runs(work, phantom):
    """A file another program puts into the output folder while a run is going is not the run's:
    its manifest lists it under other_files, and the next run into the folder leaves it alone."""
    o = os.path.join(work, "added_during")
    args = [VF, "kinetics", "--dicom", phantom, "-o", o, "--no-progress", "--no-dicom-export"]
    # paced (4,608 voxels x 0.5 ms): the fit takes ~2 s, well after the folder's snapshot
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, VOXFLOW_TEST_ITEM_DELAY_MS="0.5"))
    deadline = time.time() + 60
    while not os.path.isdir(o) and time.time() < deadline and p.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)  # the snapshot is taken right after the folder is made
    with open(os.path.join(o, "added.txt"), "w") as fh:
        fh.write("not voxflow's\n")
    assert p.poll() is None, "the run ended before the file was added: the test proves nothing"
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err + out
    first = manifest(o)
    assert "added.txt" not in {f["path"] for f in first["files"]}
    assert "added.txt" in {f["path"] for f in first["other_files"]}
    check_ok(run(["kinetics", "--dicom", phantom, "-o", o, "--no-progress", "--no-dicom-export"]))
    assert os.path.exists(os.path.join(o, "added.txt"))
    assert "added.txt" in {f["path"] for f in manifest(o)["other_files"]}


def test_failed_run_leaves_no_manifest(work, phantom):
    """A run that failed leaves no manifest.json behind, even when the folder held a finished run
    before (whose files it removed): the folder does not claim a finished run."""
    o = os.path.join(work, "failed_second")
    check_ok(run(["kinetics", "--dicom", phantom, "-o", o, "--no-progress", "--no-dicom-export"]))
    assert os.path.exists(os.path.join(o, "manifest.json"))
    r = run(["kinetics", "--dicom", phantom, "-o", o, "--no-progress"], np_=2, env={"VOXFLOW_FAULT": "0:write"},
            timeout=60)
    assert r.returncode == 1, r.stderr
    assert not os.path.exists(os.path.join(o, "manifest.json"))
    assert [f for f in files_under(o) if ".tmp-" not in f] == []


def test_two_tia_runs_into_one_folder_second_without_tpeak(work):
    ph = os.path.join(work, "tia_ph")
    check_ok(run(["phantom", "--tia", "-o", ph, "--size", 16]))
    o = os.path.join(work, "tia_twice")
    base = ["tia", "--config", os.path.join(ph, "tia.yaml"), "-o", o, "--no-progress", "--bootstrap", "0"]
    check_ok(run(base, np_=2))
    assert os.path.exists(os.path.join(o, "tpeak.nii.gz"))
    manifest(o)
    check_ok(run(base + ["--set", "io.write_tpeak=false"], np_=2))
    m = manifest(o)
    assert not os.path.exists(os.path.join(o, "tpeak.nii.gz"))
    assert set(files_under(o)) == {f["path"] for f in m["files"]} | {f["path"] for f in m["other_files"]} | {
        "manifest.json"}
    assert m["other_files"] == []
    # a prefixed run shares the folder: it has its own manifest and leaves the other run's files
    check_ok(run(base + ["--set", "io.prefix=b"], np_=2))
    mb = manifest(o, "b_manifest.json")
    assert all(f["path"].startswith("b_") for f in mb["files"])
    assert os.path.exists(os.path.join(o, "manifest.json")) and os.path.exists(os.path.join(o, "tia.nii.gz"))


# ---- a one-stream .nii.gz (nibabel) read by rank 0 and streamed to the others ------------------

@pytest.fixture(scope="module")
def foreign_series(work, phantom):
    """The phantom as a nibabel-written 4D .nii.gz (one gzip stream: streamed by rank 0), plus a
    truncated copy and one whose deflate data is corrupt in the middle (its header intact)."""
    import gzip
    import nibabel as nib
    import numpy as np
    import pydicom
    ds = pydicom.dcmread(phantom)
    vol = ds.pixel_array.astype(np.float32).reshape(30, 6, 24, 32).transpose(3, 2, 1, 0)
    good = os.path.join(work, "series.nii.gz")
    nib.save(nib.Nifti1Image(np.ascontiguousarray(vol), np.eye(4)), good)
    data = open(good, "rb").read()
    assert gzip.decompress(data)  # one valid stream
    cut = os.path.join(work, "series_cut.nii.gz")
    open(cut, "wb").write(data[: len(data) * 2 // 3])
    bad = bytearray(data)
    for k in range(len(bad) // 2, len(bad) // 2 + 64):
        bad[k] ^= 0x5A
    corrupt = os.path.join(work, "series_corrupt.nii.gz")
    open(corrupt, "wb").write(bytes(bad))
    return good, cut, corrupt


@pytest.mark.parametrize("np_", [1, 2, 3])
def test_streamed_nifti_gives_the_same_maps_on_any_rank_count(work, foreign_series, np_):
    good = foreign_series[0]
    o = os.path.join(work, f"stream_ok_{np_}")
    check_ok(run(["kinetics", "--nifti", good, "--frame-interval", 70, "-o", o, "--no-progress", "--no-dicom-export"],
                 np_=np_))
    import h5py
    import numpy as np
    ref = os.path.join(work, "stream_ok_1")
    if np_ > 1 and os.path.isdir(ref):
        with h5py.File(os.path.join(ref, "kinetics_maps.h5")) as a, h5py.File(os.path.join(o, "kinetics_maps.h5")) as b:
            for k in a["maps"]:
                assert np.array_equal(a["maps"][k][()], b["maps"][k][()], equal_nan=True), k
    # and voxflow info reads the same value range on every rank count
    r = run(["info", good], np_=np_)
    check_ok(r)


@pytest.mark.parametrize("np_", [1, 2, 3])
@pytest.mark.parametrize("which", ["cut", "corrupt"])
def test_broken_stream_exits_2_on_every_rank(work, foreign_series, which, np_):
    path = foreign_series[1] if which == "cut" else foreign_series[2]
    for cmd in (["kinetics", "--nifti", path, "--frame-interval", 70, "-o", os.path.join(work, f"broken_{which}_{np_}"),
                 "--no-progress"], ["info", path]):
        input_error_on_every_rank(cmd, np_, os.path.join(work, f"rc_broken_{which}_{np_}_{cmd[0]}"), path)
        if cmd[0] == "kinetics":
            assert not os.path.exists(os.path.join(cmd[6], "summary.yaml"))
            assert not os.path.exists(os.path.join(cmd[6], "manifest.json"))


# ---- a DICOM series folder: scanned once, by rank 0, and the plan broadcast ---------------------

@pytest.fixture(scope="module")
def dicom_folders(work, phantom):
    """The phantom as a folder of 180 single-frame files (tests/python/dicom_series_folder.py), plus
    a copy holding one file of another series and a copy with one file cut after its preamble."""
    import shutil
    import pydicom
    from dicom_series_folder import split_multiframe
    good = os.path.join(work, "series_dir")
    assert split_multiframe(phantom, good) == (6, 30)
    names = sorted(os.listdir(good))
    mixed = os.path.join(work, "series_dir_mixed")
    shutil.copytree(good, mixed)
    ds = pydicom.dcmread(os.path.join(mixed, names[7]))
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    ds.save_as(os.path.join(mixed, names[7]))
    corrupt = os.path.join(work, "series_dir_corrupt")
    shutil.copytree(good, corrupt)
    with open(os.path.join(corrupt, names[100]), "r+b") as fh:
        fh.truncate(400)  # "DICM" at 128 is kept: a DICOM file that cannot be read, not a stray file
    return good, mixed, corrupt


@pytest.mark.parametrize("np_", [1, 2, 3])
def test_dicom_folder_gives_the_maps_of_the_multiframe_file_on_any_rank_count(work, phantom, dicom_folders, np_):
    """Kinetics on the folder (its plan made by rank 0 and broadcast, each rank loading the files
    of its slab) equals kinetics on the multi-frame file on 1 rank, bit for bit (same pixels; the
    same time axis through --frame-interval), on 1, 2 and 3 ranks; `voxflow info` reads it too."""
    import h5py
    import numpy as np
    ref = os.path.join(work, "multiframe_ref")
    if not os.path.isdir(ref):
        check_ok(run(["kinetics", "--dicom", phantom, "--frame-interval", 70, "-o", ref, "--no-progress",
                      "--no-dicom-export"]))
    o = os.path.join(work, f"series_dir_maps_{np_}")
    check_ok(run(["kinetics", "--dicom", dicom_folders[0], "--frame-interval", 70, "-o", o, "--no-progress",
                  "--no-dicom-export"], np_=np_))
    with h5py.File(os.path.join(ref, "kinetics_maps.h5")) as a, h5py.File(os.path.join(o, "kinetics_maps.h5")) as b:
        assert sorted(a["maps"]) == sorted(b["maps"])
        for k in a["maps"]:
            assert np.array_equal(a["maps"][k][()], b["maps"][k][()], equal_nan=True), k
    r = run(["info", dicom_folders[0]], np_=np_)
    check_ok(r)
    assert "DICOM series" in r.stdout and "32 x 24 x 6" in r.stdout, r.stdout


@pytest.mark.parametrize("np_", [1, 2, 3])
@pytest.mark.parametrize("which", ["mixed", "corrupt"])
def test_bad_dicom_folder_exits_2_on_every_rank(work, dicom_folders, which, np_):
    """A folder of two series or with an unreadable file: rank 0 finds it while scanning; every rank
    exits 2 within 10 s (no rank waits for a plan that never comes), one error line naming the
    folder, nothing under a final output name."""
    path = dicom_folders[1] if which == "mixed" else dicom_folders[2]
    for cmd in (["kinetics", "--dicom", path, "-o", os.path.join(work, f"bad_dir_{which}_{np_}"), "--no-progress"],
                ["info", path]):
        line = input_error_on_every_rank(cmd, np_, os.path.join(work, f"rc_bad_dir_{which}_{np_}_{cmd[0]}"), path)
        assert ("series" if which == "mixed" else "not a readable DICOM file") in line, line
        if cmd[0] == "kinetics":
            o = cmd[4]
            assert not os.path.isdir(o) or [f for f in files_under(o) if ".tmp-" not in f] == [], files_under(o)
