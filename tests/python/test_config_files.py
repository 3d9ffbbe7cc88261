"""Every command takes its options from a YAML file (`--config`) with the command line's keys and
from `--set key=value`, strictly: the command line wins over --set, which wins over the file; an
unknown key or a value of the wrong type is one line naming the file (or "command line") and the
key, exit 2, nothing written. (kinetics and tia: test_kinetics_cli.py, test_tia_cli.py.)"""
import os
import subprocess
import tempfile

import nibabel as nib
import numpy as np
import pytest

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", "mpirun")


def run(args, np_=None, cwd=None):
    cmd = ([MPIRUN, "-np", str(np_), VF] if np_ else [VF]) + [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=cwd)


def one_error_line(r, *words):
    assert r.returncode == 2, r.stderr
    lines = [l for l in r.stderr.splitlines() if "error" in l]
    assert len(lines) == 1, r.stderr
    assert all(w in lines[0] for w in words), (words, r.stderr)


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory(prefix="vf_cfg_") as d:
        yield d


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def test_overlay_from_a_file_with_overrides(work):
    d = os.path.join(work, "ov")
    os.makedirs(d)
    cfg = write(os.path.join(d, "overlay.yaml"), "demo: true\noutput: demo.png\ncolormap: viridis\nopacity: 0.4\n")
    r = run(["overlay", "--config", cfg], np_=2)
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(os.path.join(d, "demo.png")) > 1000  # relative to the file's folder
    # --set wins over the file, the command line over both: the same picture as the plain options
    out_set = os.path.join(work, "set.png")
    out_cli = os.path.join(work, "cli.png")
    assert run(["overlay", "--config", cfg, "--set", "opacity=0.8", "-o", out_set]).returncode == 0
    assert run(["overlay", "--demo", "--colormap", "viridis", "--opacity", "0.8", "-o", out_cli]).returncode == 0
    assert open(out_set, "rb").read() == open(out_cli, "rb").read()
    assert run(["overlay", "--config", cfg, "--set", "opacity=0.1", "--opacity", "0.8", "-o", out_set]).returncode == 0
    assert open(out_set, "rb").read() == open(out_cli, "rb").read()
    bad = write(os.path.join(d, "bad.yaml"), "demo: true\noutput: x.png\nopacty: 0.4\n")
    one_error_line(run(["overlay", "--config", bad], np_=2), "bad.yaml", "opacty", "not a known setting")
    bad = write(os.path.join(d, "bad2.yaml"), "demo: true\noutput: x.png\nopacity: lots\n")
    one_error_line(run(["overlay", "--config", bad]), "bad2.yaml", "opacity", "lots")
    one_error_line(run(["overlay", "--config", cfg, "--set", "colorbar=maybe"]), "command line", "colorbar", "true or false")
    assert not os.path.exists(os.path.join(d, "x.png"))


def test_phantom_and_info_from_a_file(work):
    cfg = write(os.path.join(work, "phantom.yaml"), "output: ph\nnx: 10\nny: 8\nnz: 3\nnt: 12\n")
    r = run(["phantom", "--config", cfg, "--set", "nt=14"])
    assert r.returncode == 0, r.stderr
    img = nib.load(os.path.join(work, "ph", "truth", "kb_true.nii.gz"))
    assert img.shape == (10, 8, 3)
    info = write(os.path.join(work, "info.yaml"), "input: ph/phantom.dcm\nno_range: true\n")
    r = run(["info", "--config", info])
    assert r.returncode == 0, r.stderr
    assert "10 x 8 x 3" in r.stdout and "time points: 14" in r.stdout and "value range" not in r.stdout
    one_error_line(run(["phantom", "--config", cfg, "--set", "nx=ten"]), "command line", "nx")


def test_tia_roi_takes_the_tia_configuration(work):
    d = os.path.join(work, "tia")
    r = run(["phantom", "--tia", "--size", 16, "--noise", 0, "-o", d])
    assert r.returncode == 0, r.stderr
    cfg = os.path.join(d, "tia.yaml")
    r = run(["tia", "--config", cfg, "--set", "bootstrap.replicates=3", "--no-progress"], np_=2)
    assert r.returncode == 0, r.stderr
    # maps folder, prefix and time points come from the configuration
    r = run(["tia-roi", "--config", cfg, "--labels", os.path.join(d, "labels.nii.gz"), "-o", os.path.join(work, "roi")], np_=2)
    assert r.returncode == 0, r.stderr
    rows = open(os.path.join(work, "roi", "roi_summary.csv")).read().splitlines()
    lab = np.asarray(nib.load(os.path.join(d, "labels.nii.gz")).dataobj)
    assert len(rows) == 1 + len([l for l in np.unique(lab) if l > 0])
    assert os.path.exists(os.path.join(work, "roi", "roi_tacs.csv"))
    # --set changes the configuration it reads: another prefix -> no such maps, one line
    one_error_line(run(["tia-roi", "--config", cfg, "--set", "io.prefix=other", "--labels",
                        os.path.join(d, "labels.nii.gz"), "-o", os.path.join(work, "roi2")]), "other_tia.nii.gz")
    one_error_line(run(["tia-roi", "--config", cfg, "--set", "io.bogus=1", "--labels", os.path.join(d, "labels.nii.gz")]),
                   "io.bogus")
