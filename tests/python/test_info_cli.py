"""`voxflow info` on real third-party files (pydicom's and nibabel's test data) and bad input."""
import os
import subprocess
import tempfile

import nibabel as nib
import numpy as np
import pydicom
import pytest

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", "mpirun")
PYDICOM_DATA = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
NIB_DATA = os.path.join(os.path.dirname(nib.__file__), "tests", "data")


def info(path, np_=None):
    cmd = ([MPIRUN, "-np", str(np_), VF] if np_ else [VF]) + ["info", path]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def field(out, name):
    for line in out.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{name} missing in:\n{out}")


@pytest.mark.parametrize("np_", [None, 2])
def test_ct_small(np_):
    r = info(os.path.join(PYDICOM_DATA, "CT_small.dcm"), np_)
    assert r.returncode == 0, r.stderr
    assert field(r.stdout, "dimensions") == "128 x 128 x 1"
    ds = pydicom.dcmread(os.path.join(PYDICOM_DATA, "CT_small.dcm"))
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    lo, hi = (float(v) for v in field(r.stdout, "value range").split(".."))
    assert lo == pytest.approx(hu.min()) and hi == pytest.approx(hu.max())
    sp = [float(v) for v in field(r.stdout, "spacing_mm").split()]
    assert sp[:2] == pytest.approx([float(ds.PixelSpacing[1]), float(ds.PixelSpacing[0])])


@pytest.mark.parametrize("name", ["functional.nii", "example4d.nii.gz", "anatomical.nii", "example_nifti2.nii.gz"])
def test_nifti(name):
    path = os.path.join(NIB_DATA, name)
    r = info(path, 2)
    assert r.returncode == 0, r.stderr
    img = nib.load(path)
    shape = img.shape + (1,) * (4 - len(img.shape))
    assert field(r.stdout, "dimensions") == " x ".join(str(s) for s in shape[:3])
    assert int(field(r.stdout, "time points")) == shape[3]
    rows = r.stdout.split("affine (voxel -> RAS mm):\n")[1].splitlines()[:4]
    aff = np.array([[float(v) for v in row.strip().strip("[]").split()] for row in rows])
    assert np.allclose(aff, img.affine, atol=1e-4)
    data = img.get_fdata()
    lo, hi = (float(v) for v in field(r.stdout, "value range").split(".."))
    assert lo == pytest.approx(np.min(data), rel=1e-5, abs=1e-5)
    assert hi == pytest.approx(np.max(data), rel=1e-5, abs=1e-5)


def test_bad_files_exit_2():
    with tempfile.TemporaryDirectory() as d:
        empty = os.path.join(d, "empty.dcm")
        open(empty, "w").close()
        text = os.path.join(d, "notes.dcm")
        with open(text, "w") as fh:
            fh.write("this is not a DICOM file\n" * 20)
        for path in (os.path.join(PYDICOM_DATA, "MR_truncated.dcm"), empty, text, os.path.join(d, "missing.nii")):
            for np_ in (None, 2):
                r = info(path, np_)
                assert r.returncode == 2, (path, r.returncode, r.stderr)
                lines = [l for l in r.stderr.splitlines() if l.startswith("voxflow: error:")]
                assert lines and os.path.basename(path) in lines[0], r.stderr


@pytest.mark.parametrize("cmd", ["info", "kinetics", "phantom"])
def test_help_is_voxflows_own(cmd):
    r = subprocess.run([VF, cmd, "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"voxflow {cmd}:") and "usage: voxflow " + cmd in r.stdout
    assert "Kokkos" not in r.stdout + r.stderr


def test_unknown_command_and_option_exit_2():
    r = subprocess.run([VF, "frobnicate"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
    r = subprocess.run([MPIRUN, "-np", "2", VF, "info", "--bogus"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert sum("voxflow: error:" in l for l in r.stderr.splitlines()) == 1, r.stderr  # one line, not one per rank
