"""`voxflow vessel-phantom` + `voxflow vessel` end to end (issue 11, part 1), checked with nibabel,
numpy and a plain XML parser: outputs and their columns, the centerline against the phantom's
truth (within two voxels along >= 95 % of its length, median <= 1.5 voxels, from click to click),
the same result on 1 and 2 ranks, and the error cases (exit 2, one line, nothing written)."""
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import nibabel as nib
import numpy as np
import pytest

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", "mpirun")
SIZE = "96,96,64"
SPACING = 0.4


def run(args, np_=None, timeout=300):
    cmd = ([MPIRUN, "-np", str(np_), VF] if np_ else [VF]) + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def phantom():
    with tempfile.TemporaryDirectory(prefix="vf-vessel-") as d:
        r = run(["vessel-phantom", "-o", d + "/ph", "--size", SIZE], np_=2)
        assert r.returncode == 0, r.stderr
        clicks = {}
        for line in open(d + "/ph/clicks.txt"):
            k, v = line.split(":", 1)
            clicks[k] = v.strip()
        yield d, clicks


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
        data = np.loadtxt(f, delimiter=",", ndmin=2)
    return header, data


def dist_to_polyline(p, c):
    a, b = c[:-1], c[1:]
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-300), 0, 1)
    return np.min(np.linalg.norm(a + t[:, None] * ab - p, axis=1))


def vessel(d, clicks, out, np_, extra=()):
    s = ",".join(clicks["start_mm"].split())
    e = ",".join(clicks["end_mm"].split())
    return run(["vessel", "-i", d + "/ph/cta.nii.gz", "--start", s, "--end", e, "-o", out, *extra], np_=np_)


@pytest.mark.parametrize("np_", [1, 2])
def test_centerline_on_phantom(phantom, np_):
    d, clicks = phantom
    out = f"{d}/out{np_}"
    r = vessel(d, clicks, out, np_)
    assert r.returncode == 0, r.stderr
    for name in ["centerline.csv", "centerline.vtp", "centerline_mip.png", "vesselness.nii.gz", "arrival_time.nii.gz",
                 "summary.yaml"]:
        assert os.path.isfile(os.path.join(out, name)), name
    assert not [f for f in os.listdir(out) if ".tmp-" in f]
    header, c = read_csv(out + "/centerline.csv")
    assert header == ["x_mm", "y_mm", "z_mm", "arc_length_mm", "radius_mm"]
    _, truth = read_csv(d + "/ph/truth_centerline.csv")
    dist_vox = np.array([dist_to_polyline(p, truth[:, :3]) for p in c[:, :3]]) / SPACING
    assert np.mean(dist_vox <= 2.0) >= 0.95, dist_vox
    assert np.median(dist_vox) <= 1.5
    start = np.array([float(v) for v in clicks["start_mm"].split()])
    end = np.array([float(v) for v in clicks["end_mm"].split()])
    assert np.linalg.norm(c[0, :3] - start) < SPACING and np.linalg.norm(c[-1, :3] - end) < SPACING
    steps = np.diff(c[:, 3])
    assert np.allclose(steps[:-1], 0.5) and 0 < steps[-1] <= 0.5 + 1e-9
    assert np.all(np.isfinite(c[:, 4])) and np.all(c[:, 4] > 0)
    # maps on the input grid, with its affine
    cta = nib.load(d + "/ph/cta.nii.gz")
    v = nib.load(out + "/vesselness.nii.gz")
    t = nib.load(out + "/arrival_time.nii.gz")
    assert v.shape == cta.shape == t.shape
    assert np.allclose(v.affine, cta.affine, atol=1e-4)
    vv = np.asarray(v.dataobj)
    # lazy vesselness: computed in the blocks the front reached, NaN elsewhere
    assert np.nanmin(vv) >= 0 and np.nanmax(vv) < 1 and np.nanmax(vv) > 0.1
    assert np.isnan(vv).any() and np.isfinite(vv).any()
    tt = np.asarray(t.dataobj)
    sv = [int(x) for x in clicks["start_voxel"].split()]
    assert tt[tuple(sv)] == 0 and np.isnan(tt).any()  # early stop: far voxels not reached
    # the VTK polydata: the same points and arrays
    root = ET.parse(out + "/centerline.vtp").getroot()
    piece = root.find("PolyData/Piece")
    assert int(piece.get("NumberOfPoints")) == len(c)
    pts = np.array(piece.find("Points/DataArray").text.split(), float).reshape(-1, 3)
    assert np.allclose(pts, c[:, :3], atol=1e-5)
    names = [a.get("Name") for a in piece.findall("PointData/DataArray")]
    assert names == ["arc_length_mm", "radius_mm"]
    summary = open(out + "/summary.yaml").read()
    assert f"ranks: {np_}" in summary and "voxels_marched" in summary and "rounds" in summary


def test_same_on_one_and_two_ranks(phantom):
    d, _ = phantom
    for n in (1, 2):
        if not os.path.isfile(f"{d}/out{n}/centerline.csv"):
            pytest.fail("test_centerline_on_phantom must run first")
    a = read_csv(f"{d}/out1/centerline.csv")[1]
    b = read_csv(f"{d}/out2/centerline.csv")[1]
    assert a.shape == b.shape and np.allclose(a, b, atol=1e-5)


def test_dicom_series_folder_input(phantom):
    """The phantom's CTA as a folder of single-frame DICOM files (pydicom; one file per slice,
    shuffled names): scanned by rank 0 alone and the plan broadcast (io/dicom_plan_broadcast.hpp).
    The centerline and measurements equal the NIfTI run's (to the float32 rounding of the NIfTI
    affine) and are the same on 1 and 2 ranks."""
    import pydicom
    from dicom_series_folder import nifti_to_series
    d, clicks = phantom
    series = d + "/cta_dicom"
    tpl = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "MR_small.dcm")
    assert nifti_to_series(d + "/ph/cta.nii.gz", series, tpl) == int(SIZE.split(",")[2])
    s = ",".join(clicks["start_mm"].split())
    e = ",".join(clicks["end_mm"].split())
    got = {}
    for n in (1, 2):
        out = f"{d}/dicom_out{n}"
        r = run(["vessel", "-i", series, "--start", s, "--end", e, "-o", out], np_=n)
        assert r.returncode == 0, r.stderr
        got[n] = {f: read_csv(f"{out}/{f}")[1] for f in ("centerline.csv", "measurements.csv")}
    ref = f"{d}/nifti_ref"
    r = vessel(d, clicks, ref, None)
    assert r.returncode == 0, r.stderr
    for f in ("centerline.csv", "measurements.csv"):
        assert np.array_equal(got[1][f], got[2][f], equal_nan=True), f
        want = read_csv(f"{ref}/{f}")[1]
        assert want.shape == got[1][f].shape and np.allclose(want, got[1][f], atol=1e-4, equal_nan=True), f


@pytest.mark.parametrize(
    "case",
    ["start_outside", "end_outside", "identical", "malformed", "unreachable", "not3d"],
)
def test_errors_exit_2_and_write_nothing(phantom, case):
    d, clicks = phantom
    out = f"{d}/err_{case}"
    s = ",".join(clicks["start_mm"].split())
    e = ",".join(clicks["end_mm"].split())
    inp = d + "/ph/cta.nii.gz"
    extra = []
    if case == "start_outside":
        s = "1000,1000,1000"
    elif case == "end_outside":
        e = "-1000,0,0"
    elif case == "identical":
        e = s
    elif case == "malformed":
        s = "1,2"
    elif case == "unreachable":
        # a mask that holds only the start voxel's half of the volume along x
        cta = nib.load(inp)
        m = np.zeros(cta.shape, np.float32)
        sv = [int(x) for x in clicks["start_voxel"].split()]
        m[: sv[0] + 10] = 1
        nib.save(nib.Nifti1Image(m, cta.affine), d + "/mask_half.nii.gz")
        extra = ["--mask", d + "/mask_half.nii.gz"]
    elif case == "not3d":
        cta = nib.load(inp)
        a = np.asarray(cta.dataobj)[..., None].repeat(2, axis=3)
        nib.save(nib.Nifti1Image(a, cta.affine), d + "/cta4d.nii.gz")
        inp = d + "/cta4d.nii.gz"
    r = run(["vessel", "-i", inp, "--start", s, "--end", e, "-o", out, *extra], np_=2)
    assert r.returncode == 2, (case, r.returncode, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.startswith("voxflow")]
    assert len(lines) == 1, r.stderr
    assert not os.path.exists(out) or not os.listdir(out)


def test_anisotropic_input_is_resampled(phantom):
    """Every second plane of the phantom (0.4 x 0.4 x 0.8 mm): `--spacing-mm auto` resamples to the
    seed's 0.5 mm (trilinear, on slabs) and the centerline still follows the truth."""
    d, clicks = phantom
    cta = nib.load(d + "/ph/cta.nii.gz")
    a = np.asarray(cta.dataobj)[:, :, ::2]
    aff = cta.affine.copy()
    aff[:3, 2] *= 2.0
    nib.save(nib.Nifti1Image(a.astype(np.float32), aff), d + "/cta_aniso.nii.gz")
    out = d + "/out_aniso"
    s = ",".join(clicks["start_mm"].split())
    e = ",".join(clicks["end_mm"].split())
    r = run(["vessel", "-i", d + "/cta_aniso.nii.gz", "--start", s, "--end", e, "-o", out], np_=2)
    assert r.returncode == 0, r.stderr
    # the maps come back to the input grid (trilinear from the 0.5 mm working grid)
    for name in ("vesselness.nii.gz", "arrival_time.nii.gz"):
        v = nib.load(out + "/" + name)
        assert v.shape == a.shape, name
        assert np.allclose(v.affine, aff, atol=1e-4), name
    summary = open(out + "/summary.yaml").read()
    assert "resampled_to_mm: 0.5" in summary and "spacing_mm: [0.5, 0.5, 0.5]" in summary
    _, c = read_csv(out + "/centerline.csv")
    _, truth = read_csv(d + "/ph/truth_centerline.csv")
    dist_vox = np.array([dist_to_polyline(p, truth[:, :3]) for p in c[:, :3]]) / 0.5
    print(f"anisotropic input: within 2 voxels (0.5 mm) {100 * np.mean(dist_vox <= 2):.1f} %, "
          f"median {np.median(dist_vox):.2f} voxels")
    assert np.mean(dist_vox <= 2.0) >= 0.95
    assert np.median(dist_vox) <= 1.5


def test_phantom_vessel_is_the_same_phantom(phantom):
    """`voxflow phantom --vessel` writes the same CTA as `voxflow vessel-phantom`."""
    d, _ = phantom
    r = run(["phantom", "--vessel", "-o", d + "/ph2", "--size", SIZE])
    assert r.returncode == 0, r.stderr
    a = nib.load(d + "/ph/cta.nii.gz")
    b = nib.load(d + "/ph2/cta.nii.gz")
    assert np.array_equal(np.asarray(a.dataobj), np.asarray(b.dataobj))
    assert np.allclose(a.affine, b.affine)
    clicks = [[l for l in open(f).read().splitlines() if l.startswith(("start", "end"))]
              for f in (d + "/ph/clicks.txt", d + "/ph2/clicks.txt")]
    assert clicks[0] == clicks[1] and len(clicks[0]) >= 2


def test_lazy_vesselness_equals_full(phantom):
    """`--vesselness full` (Frangi on the whole volume first) gives the centerline of the default
    lazy mode (Frangi only in the blocks the front reaches), which computes a fraction of the volume."""
    d, clicks = phantom
    if not os.path.isfile(f"{d}/out2/centerline.csv"):
        pytest.fail("test_centerline_on_phantom must run first")
    out = d + "/out_full"
    r = vessel(d, clicks, out, 2, ["--vesselness", "full"])
    assert r.returncode == 0, r.stderr
    a = read_csv(f"{d}/out2/centerline.csv")[1]
    b = read_csv(f"{out}/centerline.csv")[1]
    assert a.shape == b.shape and np.allclose(a, b, atol=1e-6)
    ta = np.asarray(nib.load(f"{d}/out2/arrival_time.nii.gz").dataobj)
    tb = np.asarray(nib.load(f"{out}/arrival_time.nii.gz").dataobj)
    assert np.array_equal(np.isnan(ta), np.isnan(tb))
    assert np.allclose(ta[~np.isnan(ta)], tb[~np.isnan(tb)], rtol=1e-6)
    va = np.asarray(nib.load(f"{d}/out2/vesselness.nii.gz").dataobj)
    vb = np.asarray(nib.load(f"{out}/vesselness.nii.gz").dataobj)
    assert not np.isnan(vb).any()
    done = ~np.isnan(va)
    assert np.array_equal(va[done], vb[done])  # the same values, bit for bit, where computed
    lazy = open(f"{d}/out2/summary.yaml").read()
    full = open(f"{out}/summary.yaml").read()
    frac = float(lazy.split("fraction_computed:")[1].split()[0])
    assert "mode: lazy" in lazy and "mode: full" in full and 0 < frac < 0.8, frac
    assert abs(frac - done.mean()) < 1e-6


def test_mip_picture_and_maps_switch(phantom):
    """centerline_mip.png is a real PNG with the centerline drawn in red over a grey MIP; `--maps off`
    writes no map; `--maps on` forces them."""
    from PIL import Image
    d, clicks = phantom
    if not os.path.isfile(f"{d}/out1/centerline_mip.png"):
        pytest.fail("test_centerline_on_phantom must run first")
    im = np.asarray(Image.open(f"{d}/out1/centerline_mip.png").convert("RGB")).astype(int)
    assert im.shape[0] >= 384 and im.shape[1] >= 384
    red = (im[..., 0] > 180) & (im[..., 1] < 80) & (im[..., 2] < 80)
    grey = (im[..., 0] == im[..., 1]) & (im[..., 1] == im[..., 2]) & (im[..., 0] > 30) & (im[..., 0] < 250)
    assert red.sum() > 200 and grey.sum() > 0.3 * im.shape[0] * im.shape[1]
    out = d + "/out_nomaps"
    r = vessel(d, clicks, out, 1, ["--maps", "off"])
    assert r.returncode == 0, r.stderr
    names = os.listdir(out)
    assert "centerline.csv" in names and "centerline_mip.png" in names
    assert "vesselness.nii.gz" not in names and "arrival_time.nii.gz" not in names
    assert "maps_written: false" in open(out + "/summary.yaml").read()
    r = vessel(d, clicks, d + "/out_badmaps", 1, ["--maps", "maybe"])
    assert r.returncode == 2 and not os.path.exists(d + "/out_badmaps")


def test_huge_pages_switch(phantom):
    """voxflow asks glibc's malloc for transparent huge pages (it re-executes itself once with
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1) where the kernel's THP mode is `madvise` and glibc is
    >= 2.35, and VOXFLOW_HUGE_PAGES=0 turns it off; the user's own GLIBC_TUNABLES are kept. The
    results do not depend on it."""
    import platform
    d, clicks = phantom
    mode = open("/sys/kernel/mm/transparent_hugepage/enabled").read()
    lib, ver = platform.libc_ver()
    expect_on = "[madvise]" in mode and lib == "glibc" and tuple(map(int, ver.split(".")[:2])) >= (2, 35)
    outs = {}
    for name, env in [("on", {}), ("off", {"VOXFLOW_HUGE_PAGES": "0"}),
                      ("user", {"GLIBC_TUNABLES": "glibc.malloc.check=0"})]:
        out = f"{d}/out_hp_{name}"
        s = ",".join(clicks["start_mm"].split())
        e = ",".join(clicks["end_mm"].split())
        r = subprocess.run([VF, "vessel", "-i", d + "/ph/cta.nii.gz", "--start", s, "--end", e, "-o", out],
                           capture_output=True, text=True, timeout=300, env={**os.environ, **env})
        assert r.returncode == 0, r.stderr
        outs[name] = out
        summary = open(out + "/summary.yaml").read()
        on = name != "off" and expect_on
        assert f"huge_pages: {'true' if on else 'false'}" in summary, (name, summary)
    ref = open(outs["off"] + "/centerline.csv").read()
    assert open(outs["on"] + "/centerline.csv").read() == ref
    assert open(outs["user"] + "/centerline.csv").read() == ref


@pytest.mark.parametrize("np_", [2, 3])
@pytest.mark.parametrize("stage", ["read", "fit", "write"])
def test_fault_on_rank_1_ends_every_rank(phantom, stage, np_):
    """VOXFLOW_FAULT=1:<stage> (docs/design.md "Failure semantics") under an mpirun that does not
    end the other ranks itself (like srun without --kill-on-bad-exit): every rank ends within 10 s
    with exit 1 (agreed, or MPI_Abort(1) when the failure struck inside the collective march), one
    error line, nothing under a final name."""
    import time
    d, clicks = phantom
    out = f"{d}/fault_{stage}_{np_}"
    rc_dir = f"{d}/fault_rc_{stage}_{np_}"
    os.makedirs(rc_dir, exist_ok=True)
    script = 'VF="$1"; shift; "$VF" "$@"; rc=$?; echo $rc > "%s/rc.$OMPI_COMM_WORLD_RANK"; exit $rc' % rc_dir
    s = ",".join(clicks["start_mm"].split())
    e = ",".join(clicks["end_mm"].split())
    cmd = [MPIRUN, "-np", str(np_), "--mca", "orte_abort_on_non_zero_status", "0", "/bin/sh", "-c", script, "sh",
           VF, "vessel", "-i", d + "/ph/cta.nii.gz", "--start", s, "--end", e, "-o", out]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, VOXFLOW_FAULT=f"1:{stage}"))
    elapsed = time.time() - t0
    assert elapsed < 10, f"{stage} np {np_}: {elapsed:.1f} s\n{r.stderr}"
    codes = sorted(int(open(os.path.join(rc_dir, f)).read()) for f in os.listdir(rc_dir))
    if r.returncode == 0:  # agreed: every rank returned exit code 1 itself
        assert codes == [1] * np_, (codes, r.stderr)
    else:  # MPI_Abort(1) from the failing rank: mpirun reports that code
        assert r.returncode == 1 and len(codes) < np_, (r.returncode, codes, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.startswith("voxflow: error")]
    assert len(lines) == 1 and f"injected fault at stage '{stage}' on rank 1" in lines[0], r.stderr
    left = [] if not os.path.isdir(out) else [f for f in os.listdir(out) if ".tmp-" not in f]
    assert left == [], left


def test_two_runs_into_one_folder(phantom):
    """A second run into the same folder without the walls removes the first run's wall outputs:
    the folder then holds exactly the files its manifest.json lists (and the manifest)."""
    import json
    d, clicks = phantom
    out = d + "/twice"
    assert vessel(d, clicks, out, 2).returncode == 0
    first = set(os.listdir(out))
    assert {"lumen.stl", "measurements.csv", "manifest.json"} <= first
    r = vessel(d, clicks, out, 1, ["--no-walls", "--maps", "off"])
    assert r.returncode == 0, r.stderr
    names = set(os.listdir(out))
    m = json.load(open(out + "/manifest.json"))
    listed = {f["path"] if isinstance(f, dict) else f for f in m["files"]}
    assert names - {"manifest.json"} == listed, (names, listed)
    assert "lumen.stl" not in names and "vesselness.nii.gz" not in names and "centerline.csv" in names
