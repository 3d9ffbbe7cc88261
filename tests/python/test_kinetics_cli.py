"""End-to-end runs of `voxflow phantom` and `voxflow kinetics`, read back with independent
readers (numpy, nibabel, h5py, pydicom, yaml), under 1, 2 and 3 MPI ranks."""
import os
import signal
import subprocess
import tempfile
import time

import h5py
import nibabel as nib
import numpy as np
import pydicom
import pytest
import yaml

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", "mpirun")
MAPS9 = ["kb", "kd", "knt", "A0", "A1", "A2", "t0", "tmax", "r_squared"]


def run(args, np_=None, **kw):
    cmd = ([MPIRUN, "-np", str(np_), VF] if np_ else [VF]) + [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def check_ok(r):
    assert r.returncode == 0, r.stderr + r.stdout


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory(prefix="vf_kin_") as d:
        yield d


@pytest.fixture(scope="module")
def small_phantom(work):
    out = os.path.join(work, "ph")
    check_ok(run(["phantom", "-o", out, "--nx", 24, "--ny", 20, "--nz", 5, "--nt", 40]))
    return out


@pytest.fixture(scope="module")
def small_runs(work, small_phantom):
    dcm = os.path.join(small_phantom, "phantom.dcm")
    outs = {}
    for n in (1, 2, 3):
        o = os.path.join(work, f"k{n}")
        check_ok(run(["kinetics", "--dicom", dcm, "--pixel-level-maps", "-o", o, "--no-progress"], np_=n))
        outs[n] = o
    return outs


def dicom_affine_ras(path):
    """RAS affine of a multi-frame file from its tags (voxel (i=column, j=row, k=slice))."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    iop = np.array([float(v) for v in ds.ImageOrientationPatient])
    ipp = np.array([float(v) for v in ds.ImagePositionPatient])
    dy, dx = (float(v) for v in ds.PixelSpacing)
    dz = float(getattr(ds, "SpacingBetweenSlices", 0) or ds.SliceThickness)
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    a = np.eye(4)
    a[:3, 0] = row * dx
    a[:3, 1] = col * dy
    a[:3, 2] = normal * dz
    a[:3, 3] = ipp
    return np.diag([-1, -1, 1, 1]) @ a


def test_phantom_files(small_phantom):
    ds = pydicom.dcmread(os.path.join(small_phantom, "phantom.dcm"))
    assert int(ds.NumberOfFrames) == 5 * 40
    assert (ds.Rows, ds.Columns) == (20, 24)
    kb = nib.load(os.path.join(small_phantom, "truth", "kb_true.nii.gz"))
    assert kb.shape == (24, 20, 5)
    assert np.allclose(kb.affine, dicom_affine_ras(os.path.join(small_phantom, "phantom.dcm")), atol=1e-4)
    assert np.array_equal(np.load(os.path.join(small_phantom, "truth", "kb_true.npy")), kb.get_fdata())


def test_npy_maps_identical_across_ranks(small_runs):
    for name in MAPS9:
        a = np.load(os.path.join(small_runs[1], "pixel_maps", f"{name}_map.npy"))
        assert a.shape == (24, 20, 5) and a.dtype == np.float64
        for n in (2, 3):
            b = np.load(os.path.join(small_runs[n], "pixel_maps", f"{name}_map.npy"))
            assert np.array_equal(a, b, equal_nan=True), (name, n)


def test_nifti_maps_affine_and_values(small_runs, small_phantom):
    aff = dicom_affine_ras(os.path.join(small_phantom, "phantom.dcm"))
    for name in MAPS9 + ["se_kb", "half_life_kd", "enhancement_pct"]:
        img = nib.load(os.path.join(small_runs[2], "nifti", f"{name}.nii.gz"))
        assert img.shape == (24, 20, 5)
        assert np.allclose(img.affine, aff, atol=1e-4), name
        if name in MAPS9:
            npy = np.load(os.path.join(small_runs[2], "pixel_maps", f"{name}_map.npy"))
            assert np.array_equal(np.asarray(img.dataobj, dtype=np.float64), npy, equal_nan=True), name
    st = nib.load(os.path.join(small_runs[2], "nifti", "status.nii.gz"))
    assert st.get_data_dtype() == np.uint8
    status = np.asarray(st.dataobj)
    kb = np.load(os.path.join(small_runs[2], "pixel_maps", "kb_map.npy"))
    assert np.all(np.isfinite(kb[(status == 1) | (status == 4)]))
    assert np.all(np.isnan(kb[(status == 2) | (status == 3)]))


def test_fit_recovers_truth(small_runs, small_phantom):
    region = np.asarray(nib.load(os.path.join(small_phantom, "truth", "region.nii.gz")).dataobj)
    for name, tol in (("kb", 0.25), ("kd", 0.25), ("A0", 0.05)):
        truth = np.load(os.path.join(small_phantom, "truth", f"{name}_true.npy"))
        est = np.load(os.path.join(small_runs[1], "pixel_maps", f"{name}_map.npy"))
        sel = region >= 1
        rel = np.abs(est[sel] - truth[sel]) / truth[sel]
        assert np.nanmedian(rel) < tol, (name, np.nanmedian(rel))
    r2 = np.load(os.path.join(small_runs[1], "pixel_maps", "r_squared_map.npy"))
    assert np.nanmedian(r2[region == 2]) > 0.9


def test_hdf5_and_summary(small_runs):
    with h5py.File(os.path.join(small_runs[2], "kinetics_maps.h5"), "r") as f:
        kb = f["maps/kb"][...]
        assert kb.shape == (5, 20, 24) and kb.dtype == np.float32
        npy = np.load(os.path.join(small_runs[2], "pixel_maps", "kb_map.npy"))
        assert np.array_equal(kb.transpose(2, 1, 0).astype(np.float64), npy, equal_nan=True)
        assert f["maps/kb"].attrs["units"] in (b"1/min", "1/min")
        assert np.asarray(f.attrs["affine"]).shape == (4, 4)
        assert "kinetics" in str(f.attrs["command_line"])
    with open(os.path.join(small_runs[2], "summary.yaml")) as fh:
        s = yaml.safe_load(fh)
    assert s["state"] == "complete"
    assert s["voxels"]["total"] == 24 * 20 * 5
    assert sum(s["status_counts"].values()) == 24 * 20 * 5
    assert s["parallel"]["mpi_ranks"] == 2
    assert s["time_axis"]["frames_fitted"] == 40
    assert s["voxels"]["voxels_per_second"] > 0
    assert os.path.getsize(os.path.join(small_runs[2], "pixel_maps", "pixel_maps_visualization.png")) > 1000
    rows = open(os.path.join(small_runs[2], "slice_statistics.csv")).read().splitlines()
    assert rows[0] == "slice,map,n,mean,std,min,max"
    assert len(rows) == 1 + 5 * 24  # 5 slices x 24 maps (status excluded)
    files = sorted(os.listdir(os.path.join(small_runs[2], "dicom", "kb")))
    assert len(files) == 5
    ds = pydicom.dcmread(os.path.join(small_runs[2], "dicom", "kb", files[0]))
    vals = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert np.nanmax(np.abs(vals)) > 0


def test_z_option_and_window(work, small_phantom):
    dcm = os.path.join(small_phantom, "phantom.dcm")
    o = os.path.join(work, "z2")
    check_ok(run(["kinetics", "--dicom", dcm, "--z", 2, "-o", o, "--no-progress", "--no-dicom-export"], np_=2))
    kb = np.load(os.path.join(o, "pixel_maps", "kb_map.npy"))
    assert np.isnan(kb[:, :, [0, 1, 3, 4]]).all() and np.isfinite(kb[:, :, 2]).mean() > 0.9
    # sliding window: 1 rank and 3 ranks agree (windows cross slab boundaries)
    w = {}
    for n in (1, 3):
        w[n] = os.path.join(work, f"w{n}")
        check_ok(run(["kinetics", "--dicom", dcm, "--window", 3, "-o", w[n], "--no-progress", "--no-dicom-export"], np_=n))
    a = np.load(os.path.join(w[1], "pixel_maps", "kb_map.npy"))
    b = np.load(os.path.join(w[3], "pixel_maps", "kb_map.npy"))
    assert np.array_equal(a, b, equal_nan=True)


def assert_bad_input(r, out, words):
    assert r.returncode == 2, r.stderr
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert any("error" in l for l in lines), r.stderr
    assert any(all(w.lower() in l.lower() for w in words) for l in lines), (words, r.stderr)
    if os.path.isdir(out):
        assert os.listdir(out) == [], os.listdir(out)


def test_bad_inputs(work, small_phantom):
    o = os.path.join(work, "bad")
    assert_bad_input(run(["kinetics", "--dicom", os.path.join(work, "missing.dcm"), "-o", o]), o, ["missing.dcm"])
    assert_bad_input(run(["kinetics", "--dicom", os.path.join(work, "missing.dcm"), "-o", o], np_=2), o, ["missing.dcm"])
    # 5 slices x 40 frames = 200 frames: not divisible by 7 slices
    dcm = os.path.join(small_phantom, "phantom.dcm")
    # a file whose tags do not tell the slice count is needed for --slices; the phantom's do, so
    # write one without them through pydicom
    ds = pydicom.dcmread(dcm)
    for kw in ("NumberOfSlices", "NumberOfTemporalPositions", "PerFrameFunctionalGroupsSequence"):
        if kw in ds:
            delattr(ds, kw)
    notags = os.path.join(work, "notags.dcm")
    ds.save_as(notags)
    assert_bad_input(run(["kinetics", "--dicom", notags, "--slices", 7, "-o", o], np_=2), o, ["7"])
    times = os.path.join(work, "times_wrong.txt")
    with open(times, "w") as fh:
        fh.write("\n".join(str(70 * k) for k in range(39)))
    assert_bad_input(run(["kinetics", "--dicom", dcm, "--times", times, "-o", o], np_=2), o, ["39", "40"])
    short = os.path.join(work, "short")
    check_ok(run(["phantom", "-o", short, "--nx", 6, "--ny", 5, "--nz", 2, "--nt", 7]))
    assert_bad_input(run(["kinetics", "--dicom", os.path.join(short, "phantom.dcm"), "-o", o]), o, ["8"])
    assert_bad_input(run(["kinetics", "--dicom", dcm, "--injection-index", 35, "-o", o]), o, ["8"])
    empty = os.path.join(work, "empty.dcm")
    open(empty, "w").close()
    assert_bad_input(run(["kinetics", "--dicom", empty, "-o", o], np_=2), o, ["empty"])
    assert_bad_input(run(["kinetics", "--dicom", dcm, "--frobnicate", "-o", o]), o, ["frobnicate"])


def test_cancel_and_resume_bit_identical(work):
    ph = os.path.join(work, "big")
    # the signalled runs below are paced so that they outlast the signal (see there)
    check_ok(run(["phantom", "-o", ph, "--nx", 160, "--ny", 160, "--nz", 10, "--nt", 60]))
    dcm = os.path.join(ph, "phantom.dcm")
    ref = os.path.join(work, "ref")
    check_ok(run(["kinetics", "--dicom", dcm, "-o", ref, "--no-progress", "--no-dicom-export"], np_=2))
    # Ctrl+C on a single process: checkpoint and partial maps, exit 130. SIGUSR1 (forwarded by
    # mpirun at once) and SIGTERM (what mpirun sends the ranks on Ctrl+C; mpirun then exits with its
    # own code): the checkpoint only, exit 75 "checkpointed, not finished"
    for n, sig in ((1, signal.SIGINT), (2, signal.SIGINT), (2, signal.SIGUSR1)):
        o = os.path.join(work, f"cancel{n}_{int(sig)}")
        # paced (VOXFLOW_TEST_ITEM_DELAY_MS, a testing aid: 0.05 ms of sleep per voxel after each
        # chunk, timing only, the sleep ends at the signal): the run outlasts the signal however fast
        # the fit is (Open MPI's mpirun waits odls_base_sigkill_timeout before it passes SIGTERM on,
        # and an unpaced 2 x 2-thread run of this phantom ended first)
        cmd = ([MPIRUN, "-np", str(n), "-x", "VOXFLOW_TEST_ITEM_DELAY_MS"] if n > 1 else []) + [
            VF, "kinetics", "--dicom", dcm, "-o", o, "--no-dicom-export", "--checkpoint-interval", "0"]
        # a loaded CI machine may need more than vf-mpirun's 2 s between mpirun's SIGTERM and its
        # SIGKILL to write the checkpoint; not much more: mpirun also waits that long before it
        # sends the SIGTERM
        env = dict(os.environ, OMPI_MCA_odls_base_sigkill_timeout="3", VOXFLOW_TEST_ITEM_DELAY_MS="0.05")
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        # wait until the fit has started (the "voxflow kinetics: ..." line), then a bit more
        t0 = time.time()
        line = ""
        while "voxflow kinetics:" not in line and time.time() - t0 < 60:
            line = p.stderr.readline()
        time.sleep(0.5)
        p.send_signal(sig)
        _, err = p.communicate(timeout=120)
        partial = n == 1
        if partial:
            assert "cancelled by SIGINT" in err, err
            assert p.returncode == 130, err
        else:
            assert "stopped by SIG" in err and "checkpoint written in" in err, err
            if sig == signal.SIGUSR1:
                assert p.returncode == 75, err
            else:
                assert p.returncode in (1, 75, 130), err  # mpirun's own code after it was interrupted
        assert "--resume" in err
        assert os.path.exists(os.path.join(o, "checkpoint.h5"))
        assert not os.path.exists(os.path.join(o, "manifest.json"))
        if partial:
            with open(os.path.join(o, "summary.yaml")) as fh:
                s = yaml.safe_load(fh)
            assert s["state"] == "cancelled"
            assert 0 < s["voxels"]["fitted_this_run"] < s["voxels"]["total"]
            assert s["status_counts"]["not_processed"] > 0
        else:  # nothing but the checkpoint
            assert sorted(os.listdir(o)) == ["checkpoint.h5"], os.listdir(o)
        # a checkpoint from other options is refused, and left as it was
        r = run(["kinetics", "--dicom", dcm, "-o", o, "--no-dicom-export", "--resume", "--injection-index", 1])
        assert r.returncode == 2 and "other options" in r.stderr, r.stderr
        assert os.path.exists(os.path.join(o, "checkpoint.h5"))
        # resume on the other number of ranks
        m = 3 - n
        r = run(["kinetics", "--dicom", dcm, "-o", o, "--no-dicom-export", "--resume", "--no-progress"], np_=m)
        check_ok(r)
        for name in MAPS9:
            a = np.load(os.path.join(ref, "pixel_maps", f"{name}_map.npy"))
            b = np.load(os.path.join(o, "pixel_maps", f"{name}_map.npy"))
            assert np.array_equal(a, b, equal_nan=True), name
        a = np.asarray(nib.load(os.path.join(ref, "nifti", "se_kd.nii.gz")).dataobj)
        b = np.asarray(nib.load(os.path.join(o, "nifti", "se_kd.nii.gz")).dataobj)
        assert np.array_equal(a, b, equal_nan=True)
        assert not os.path.exists(os.path.join(o, "checkpoint.h5"))
        assert os.path.exists(os.path.join(o, "manifest.json"))


def test_nifti_input_mask_times_and_injection(work, small_phantom, small_runs):
    """The same series as a 4D NIfTI (written by nibabel) with --times, a mask and an
    injection index."""
    dcm = os.path.join(small_phantom, "phantom.dcm")
    ds = pydicom.dcmread(dcm)
    frames = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    nz, nt = 5, 40
    vol = frames.reshape(nt, nz, 20, 24).transpose(3, 2, 1, 0).astype(np.float32)  # [x, y, z, t]
    aff = dicom_affine_ras(dcm)
    series = os.path.join(work, "series.nii.gz")
    nib.save(nib.Nifti1Image(vol, aff), series)
    times = os.path.join(work, "times.txt")
    with open(times, "w") as fh:
        fh.write("# seconds\n" + "\n".join(str(70.0 * k) for k in range(nt)) + "\n")
    region = nib.load(os.path.join(small_phantom, "truth", "region.nii.gz"))
    mask = os.path.join(work, "mask.nii.gz")
    nib.save(nib.Nifti1Image((np.asarray(region.dataobj) >= 1).astype(np.uint8), region.affine), mask)
    o = os.path.join(work, "nifti_in")
    check_ok(run(["kinetics", "--nifti", series, "--times", times, "--mask", mask, "-o", o, "--no-progress",
                  "--no-dicom-export"], np_=2))
    kb = np.load(os.path.join(o, "pixel_maps", "kb_map.npy"))
    inside = np.asarray(region.dataobj) >= 1
    assert np.isnan(kb[~inside]).all()
    status = np.asarray(nib.load(os.path.join(o, "nifti", "status.nii.gz")).dataobj)
    assert (status[~inside] == 0).all() and np.isin(status[inside], [1, 2, 4]).all()
    # the NIfTI header is kept: same affine as the input series
    assert np.allclose(nib.load(os.path.join(o, "nifti", "kb.nii.gz")).affine, aff, atol=1e-5)
    # the same voxels fitted from the DICOM agree (times differ only by the tags' rounding)
    kb_dcm = np.load(os.path.join(small_runs[1], "pixel_maps", "kb_map.npy"))
    close = np.isclose(kb[inside], kb_dcm[inside], rtol=1e-4)
    assert close.mean() > 0.98, close.mean()
    with open(os.path.join(o, "summary.yaml")) as fh:
        s = yaml.safe_load(fh)
    assert s["time_axis"]["source"].startswith("--times")
    assert s["status_counts"]["outside_mask"] == int((~inside).sum())
    o2 = os.path.join(work, "inj")
    check_ok(run(["kinetics", "--nifti", series, "--frame-interval", 70, "--injection-index", 4, "-o", o2,
                  "--no-progress", "--no-dicom-export", "--z", 1]))
    with open(os.path.join(o2, "summary.yaml")) as fh:
        s = yaml.safe_load(fh)
    assert s["time_axis"]["injection_index"] == 4 and s["time_axis"]["frames_fitted"] == nt - 4
    assert s["time_axis"]["t_min"][0] == pytest.approx(4 * 70 / 60)
    t0 = np.load(os.path.join(o2, "pixel_maps", "t0_map.npy"))[:, :, 1]
    assert np.nanmin(t0) >= 4 * 70 / 60 * (1 - 1e-6)  # float32 map


def test_kill9_then_resume_from_periodic_checkpoint(work):
    ph = os.path.join(work, "big")
    if not os.path.exists(os.path.join(ph, "phantom.dcm")):
        check_ok(run(["phantom", "-o", ph, "--nx", 160, "--ny", 160, "--nz", 8, "--nt", 60]))
    dcm = os.path.join(ph, "phantom.dcm")
    o = os.path.join(work, "kill9")
    p = subprocess.Popen([VF, "kinetics", "--dicom", dcm, "-o", o, "--no-dicom-export", "--checkpoint-interval", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ck = os.path.join(o, "checkpoint.h5")
    t0 = time.time()
    while not os.path.exists(ck) and time.time() - t0 < 60:
        time.sleep(0.05)
    time.sleep(1.2)
    p.kill()
    p.communicate()
    assert p.returncode == -signal.SIGKILL
    assert os.path.exists(ck)
    assert not any(f.endswith(".npy") for f in os.listdir(os.path.join(o))) and not os.path.exists(
        os.path.join(o, "summary.yaml"))
    check_ok(run(["kinetics", "--dicom", dcm, "-o", o, "--no-dicom-export", "--resume", "--no-progress"], np_=2))
    with open(os.path.join(o, "summary.yaml")) as fh:
        s = yaml.safe_load(fh)
    assert s["voxels"]["resumed_from_checkpoint"] > 0
    ref = os.path.join(work, "ref")
    for name in MAPS9:
        a = np.load(os.path.join(ref, "pixel_maps", f"{name}_map.npy"))
        b = np.load(os.path.join(o, "pixel_maps", f"{name}_map.npy"))
        assert np.array_equal(a, b, equal_nan=True), name


def test_mask_on_another_grid_is_refused(work, small_phantom):
    """A mask with the series' dims but a flipped axis or a shifted origin is not on its grid:
    one line naming the difference, exit 2, nothing written, on 1 and 2 ranks."""
    dcm = os.path.join(small_phantom, "phantom.dcm")
    region = nib.load(os.path.join(small_phantom, "truth", "region.nii.gz"))
    data = (np.asarray(region.dataobj) >= 1).astype(np.uint8)
    flipped = region.affine.copy()
    flipped[:3, 1] *= -1                      # y axis reversed
    flipped[:3, 3] -= flipped[:3, 1] * (data.shape[1] - 1)
    shifted = region.affine.copy()
    shifted[:3, 3] += [0.0, 0.0, 2.5]         # origin 2.5 mm further along z
    cases = {"flipped": (flipped, ["axis y", "flipped"]), "shifted": (shifted, ["origin", "shifted", "2.5"])}
    for name, (aff, words) in cases.items():
        mask = os.path.join(work, f"mask_{name}.nii.gz")
        nib.save(nib.Nifti1Image(data, aff), mask)
        for n in (1, 2):
            o = os.path.join(work, f"mask_{name}_{n}")
            r = run(["kinetics", "--dicom", dcm, "--mask", mask, "-o", o, "--no-progress"], np_=n)
            assert_bad_input(r, o, ["mask", "not on the grid"] + words)
            assert len([l for l in r.stderr.splitlines() if "error" in l]) == 1, r.stderr
            assert not os.path.exists(o)
    # the same mask on the series' own grid is accepted
    good = os.path.join(work, "mask_good.nii.gz")
    nib.save(nib.Nifti1Image(data, region.affine), good)
    check_ok(run(["kinetics", "--dicom", dcm, "--mask", good, "-o", os.path.join(work, "mask_good"), "--no-progress",
                  "--no-dicom-export", "--z", 2], np_=2))


def test_config_file_and_set_give_the_same_run(work, small_phantom, small_runs):
    """`--config` with the command line's keys, and `--set`, give the maps of the command line;
    the summary echoes the effective options; unknown keys and wrong types are one line naming the
    file and the key."""
    dcm = os.path.join(small_phantom, "phantom.dcm")
    cfg = os.path.join(work, "kin.yaml")
    with open(cfg, "w") as f:
        yaml.safe_dump({"dicom": os.path.relpath(dcm, work), "output": "kin_cfg", "progress": False,
                        "dicom_export": True, "checkpoint_interval": 30}, f)
    check_ok(run(["kinetics", "--config", cfg, "--set", "dicom_export=false"], np_=2))
    o = os.path.join(work, "kin_cfg")  # relative paths of the file are taken from its folder
    for m in MAPS9:
        a = np.load(os.path.join(o, "pixel_maps", f"{m}_map.npy"))
        b = np.load(os.path.join(small_runs[1], "pixel_maps", f"{m}_map.npy"))
        assert np.array_equal(a, b, equal_nan=True), m
    assert not os.path.exists(os.path.join(o, "dicom"))  # --set overrode the file
    with open(os.path.join(o, "summary.yaml")) as fh:
        s = yaml.safe_load(fh)
    c = s["configuration"]
    assert c["dicom"] == dcm and c["dicom_export"] is False and c["checkpoint_interval"] == 30
    assert s["command"] == "kinetics" and set(s["timing_s"]) >= {"read", "fit", "write", "total"}
    with h5py.File(os.path.join(o, "kinetics_maps.h5")) as h:
        assert yaml.safe_load(h.attrs["configuration"])["checkpoint_interval"] == 30
    # command-line options override the file
    check_ok(run(["kinetics", "--config", cfg, "-o", os.path.join(work, "kin_cfg2"), "--z", 1, "--no-dicom-export"]))
    with open(os.path.join(work, "kin_cfg2", "summary.yaml")) as fh:
        s = yaml.safe_load(fh)
    assert s["configuration"]["z"] == 1 and s["voxels"]["selected"] == 24 * 20
    bad = os.path.join(work, "kin_bad.yaml")
    for text, words in (("dicom: x.dcm\noutput: o\nwindoww: 3\n", ["kin_bad.yaml", "windoww", "not a known"]),
                        ("dicom: x.dcm\noutput: o\nwindow: three\n", ["kin_bad.yaml", "window", "integer"])):
        with open(bad, "w") as f:
            f.write(text)
        assert_bad_input(run(["kinetics", "--config", bad], np_=2), os.path.join(work, "o"), words)
    assert_bad_input(run(["kinetics", "--dicom", dcm, "-o", os.path.join(work, "o"), "--set", "z=abc"]),
                     os.path.join(work, "o"), ["command line", "z"])
