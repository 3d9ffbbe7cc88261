"""`voxflow overlay` end to end: real DICOM files (pydicom's test data) and NIfTI volumes (nibabel's),
heatmaps in every format, bad input. PNGs are read back with PIL; expected pixels come from
pydicom / nibabel / matplotlib / numpy, never from voxflow itself."""
import os
import struct
import subprocess
import tempfile

import h5py
import matplotlib
import nibabel as nib
import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.pixel_data_handlers.util import apply_modality_lut

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", "mpirun")
DCM = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
NIB = os.path.join(os.path.dirname(nib.__file__), "tests", "data")
CMAPS = ["red", "hot", "jet", "viridis", "plasma"]


@pytest.fixture
def tmp():
    with tempfile.TemporaryDirectory(prefix="vf-overlay-") as d:
        yield d


def overlay(*args, np_=None):
    cmd = ([MPIRUN, "-np", str(np_), VF] if np_ else [VF]) + ["overlay"] + [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def run_png(tmp, *args, name="out.png"):
    out = os.path.join(tmp, name)
    r = overlay(*args, "-o", out)
    assert r.returncode == 0, r.stderr
    assert os.path.isfile(out)
    img = Image.open(out)
    assert img.mode == "RGBA"
    return np.asarray(img).astype(int), r


def dicom_linear_window(x, c, w):
    """DICOM PS3.3 C.11.2.1.2.1 linear VOI function onto 0..255."""
    return np.clip(((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0, 0, 255)


def cmap_first(name):
    if name == "red":
        return np.array([0, 0, 0])
    return np.array(matplotlib.colormaps[name](0.0, bytes=True)[:3], dtype=int)


# ---- DICOM display pipeline -------------------------------------------------------------------

def test_ct_small_min_max_window_matches_pydicom(tmp):
    # CT_small: 16-bit signed, rescale intercept -1024, no window in the file -> min-max window
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "CT_small.dcm"))
    ds = pydicom.dcmread(os.path.join(DCM, "CT_small.dcm"))
    hu = apply_modality_lut(ds.pixel_array, ds).astype(float)
    assert img.shape == (ds.Rows, ds.Columns, 4)
    want = (hu - hu.min()) / (hu.max() - hu.min()) * 255.0
    assert np.abs(img[..., 0] - want).max() <= 1.0
    assert (img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all()
    assert (img[..., 3] == 255).all()
    assert img[..., 0].min() == 0 and img[..., 0].max() == 255


def test_mr_small_file_window_matches_pydicom(tmp):
    ds = pydicom.dcmread(os.path.join(DCM, "MR_small.dcm"))
    assert float(ds.WindowCenter) == 600 and float(ds.WindowWidth) == 1600
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), "--heatmap", _zeros_json(tmp, 64, 64),
                     "--opacity", "0")
    want = dicom_linear_window(apply_modality_lut(ds.pixel_array, ds).astype(float), 600.0, 1600.0)
    assert np.abs(img[..., 0] - want).max() <= 1.0


def test_window_override(tmp):
    ds = pydicom.dcmread(os.path.join(DCM, "MR_small.dcm"))
    a = ds.pixel_array.astype(float)
    c, w = float(a.max() + a.min()) / 2.0, float(a.max() - a.min()) / 2.0
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), "--window", f"{c},{w}")
    want = dicom_linear_window(a, c, w)
    assert np.abs(img[..., 0] - want).max() <= 1.0
    assert (want < 1).any() and (want > 254).any()  # the window really clips both ends


def test_compressed_lossless_equals_uncompressed(tmp):
    ref, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), name="a.png")
    for name in ["MR_small_jpeg_ls_lossless.dcm", "MR_small_RLE.dcm", "MR_small_bigendian.dcm"]:
        got, _ = run_png(tmp, "-i", os.path.join(DCM, name), name=name + ".png")
        assert (got == ref).all(), name


def test_jpeg_extended_12bit(tmp):
    # JPEG Extended (process 2/4), 12 bits stored, 256 columns x 1024 rows
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "JPGExtended.dcm"))
    assert img.shape == (1024, 256, 4)
    assert img[..., 0].min() == 0 and img[..., 0].max() == 255  # min-max window


def test_rgb_secondary_capture(tmp):
    ds = pydicom.dcmread(os.path.join(DCM, "SC_rgb_rle.dcm"))  # RLE, decoded by pydicom itself
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "SC_rgb_rle.dcm"))
    assert img.shape == (100, 100, 4)
    assert (img[..., :3] == ds.pixel_array.astype(int)).all()
    # the JPEG baseline (lossy, YBR) version of the same picture is close to it
    jpg, _ = run_png(tmp, "-i", os.path.join(DCM, "SC_rgb_jpeg_dcmtk.dcm"), name="j.png")
    assert jpg.shape == (100, 100, 4)
    assert np.abs(jpg[..., :3] - img[..., :3]).mean() < 4.0


def test_multi_frame(tmp):
    ds = pydicom.dcmread(os.path.join(DCM, "SC_rgb_rle_2frame.dcm"))
    arr = ds.pixel_array
    for f in (0, 1):
        img, _ = run_png(tmp, "-i", os.path.join(DCM, "SC_rgb_rle_2frame.dcm"), "--frame", f, name=f"f{f}.png")
        assert (img[..., :3] == arr[f].astype(int)).all()
    assert not (arr[0] == arr[1]).all()
    # both frames side by side
    mont, _ = run_png(tmp, "-i", os.path.join(DCM, "SC_rgb_rle_2frame.dcm"), "--montage", "0,1", name="m.png")
    assert mont.shape == (100, 204, 4)
    assert (mont[:, 104:, :3] == arr[1].astype(int)).all()
    assert (mont[:, 100:104, :3] == 0).all()


def _write_variant(tmp, name, mutate):
    ds = pydicom.dcmread(os.path.join(DCM, "MR_small.dcm"))
    mutate(ds)
    path = os.path.join(tmp, name)
    ds.save_as(path)
    return path


def test_monochrome1_is_inverted(tmp):
    def mono1(ds):
        ds.PhotometricInterpretation = "MONOCHROME1"
    ref, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), name="ref.png")
    inv, _ = run_png(tmp, "-i", _write_variant(tmp, "mono1.dcm", mono1), name="inv.png")
    assert np.abs((255 - inv[..., 0]) - ref[..., 0]).max() <= 1


def test_8bit_unsigned_without_window(tmp):
    def to8(ds):
        a = (ds.pixel_array.astype(np.int32) // 8).clip(0, 255).astype(np.uint8)
        ds.BitsAllocated = ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        ds.PixelData = a.tobytes()
        del ds.WindowCenter
        del ds.WindowWidth
        if "SmallestImagePixelValue" in ds:
            del ds.SmallestImagePixelValue
        if "LargestImagePixelValue" in ds:
            del ds.LargestImagePixelValue
    path = _write_variant(tmp, "u8.dcm", to8)
    a = pydicom.dcmread(path).pixel_array.astype(float)
    img, _ = run_png(tmp, "-i", path)
    want = (a - a.min()) / (a.max() - a.min()) * 255.0
    assert np.abs(img[..., 0] - want).max() <= 1.0


# ---- heatmaps ---------------------------------------------------------------------------------

def _zeros_json(tmp, rows, cols):
    path = os.path.join(tmp, f"zeros_{rows}x{cols}.json")
    with open(path, "w") as f:
        f.write('{"data": [' + ",".join("[" + ",".join(["0"] * cols) + "]" for _ in range(rows)) + "]}")
    return path


@pytest.mark.parametrize("cmap", CMAPS)
def test_zeros_at_opacity_1_give_first_colour(tmp, cmap):
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "CT_small.dcm"), "--heatmap", _zeros_json(tmp, 128, 128),
                     "--opacity", "1", "--colormap", cmap)
    assert img.shape == (128, 128, 4)
    assert np.abs(img[..., :3] - cmap_first(cmap)).max() <= 1
    assert (img[..., 3] == 255).all()


@pytest.mark.parametrize("cmap", CMAPS)
def test_colormap_probes_through_the_cli(tmp, cmap):
    # 5 vertical bands holding 0, 0.25, 0.5, 0.75, 1 with --range 0,1 at opacity 1
    probes = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    m = np.repeat(probes[None, :], 64, axis=0).repeat(13, axis=1)[:, :64].astype(np.float32)
    p = os.path.join(tmp, "probes.npy")
    np.save(p, m)
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), "--heatmap", p, "--range", "0,1",
                     "--opacity", "1", "--colormap", cmap)
    got = img[32, [6, 19, 32, 45, 58], :3]
    if cmap == "red":  # black-to-red ramp: entry min(floor(256 x), 255) = (i, 0, 0)
        want = np.array([[0, 0, 0], [64, 0, 0], [128, 0, 0], [192, 0, 0], [255, 0, 0]])
    else:
        want = np.array(matplotlib.colormaps[cmap](probes, bytes=True))[:, :3].astype(int)
    assert np.abs(got - want).max() <= 1, (got, want)


def test_opacity_blend_exact(tmp):
    # value 1 with --range 0,1 -> the colormap's last colour; opacity 0.25 blends it with the grey
    base, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), name="base.png")
    ones = os.path.join(tmp, "ones.csv")
    np.savetxt(ones, np.ones((64, 64)), delimiter=",")
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), "--heatmap", ones, "--range", "0,1",
                     "--opacity", "0.25", "--colormap", "hot")
    top = np.array(matplotlib.colormaps["hot"](1.0, bytes=True)[:3], dtype=float)  # white
    want = 0.25 * top[None, None, :] + 0.75 * base[..., :3]
    assert np.abs(img[..., :3] - want).max() <= 1.0


def _sample_map():
    # values with exact float32 representations, NaN-free, not square (rows 6, cols 8)
    rng = np.random.default_rng(5)
    return (rng.integers(0, 1000, size=(6, 8)) / 8.0).astype(np.float32)


def _write_all_formats(tmp, m):
    rows, cols = m.shape
    paths = {}
    paths["npy"] = os.path.join(tmp, "m.npy")
    np.save(paths["npy"], m)
    paths["npy_f8_fortran"] = os.path.join(tmp, "m_f.npy")
    np.save(paths["npy_f8_fortran"], np.asfortranarray(m.astype(np.float64)))
    paths["npy_big_endian"] = os.path.join(tmp, "m_be.npy")
    np.save(paths["npy_big_endian"], m.astype(">f4"))
    paths["json"] = os.path.join(tmp, "m.json")
    with open(paths["json"], "w") as f:
        f.write('{"data": [' + ",".join("[" + ",".join(repr(float(v)) for v in row) + "]" for row in m) + "]}")
    paths["csv"] = os.path.join(tmp, "m.csv")
    np.savetxt(paths["csv"], m, delimiter=",", fmt="%.6f")
    paths["bin"] = os.path.join(tmp, "m.bin")
    with open(paths["bin"], "wb") as f:
        f.write(struct.pack("<II", rows, cols) + m.astype("<f4").tobytes())
    # NIfTI and voxflow HDF5: x = column, y = row, one plane
    paths["nii"] = os.path.join(tmp, "m.nii.gz")
    nib.save(nib.Nifti1Image(m.T[:, :, None].copy(), np.eye(4)), paths["nii"])
    h5 = os.path.join(tmp, "m.h5")
    with h5py.File(h5, "w") as f:
        f.attrs["dims"] = np.array([cols, rows, 1], dtype=np.int64)
        f.attrs["spacing_mm"] = np.ones(3)
        f.create_dataset("maps/attn", data=m[None, :, :])
    paths["h5"] = h5 + ":maps/attn"
    return paths


@pytest.mark.parametrize("norm", ["minmax", "percentile", "zscore"])
def test_every_format_gives_the_same_png(tmp, norm):
    m = _sample_map()
    paths = _write_all_formats(tmp, m)
    pngs = {}
    for k, p in paths.items():
        img, r = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), "--heatmap", p, "--normalization", norm,
                         "--colormap", "jet", "--opacity", "0.7", name=k + ".png")
        pngs[k] = img
        # 8 x 6 map on a 64 x 64 image: one warning line
        warn = [l for l in r.stderr.splitlines() if "warning" in l]
        assert len(warn) == 1 and "8 x 6" in warn[0] and "64 x 64" in warn[0], r.stderr
    ref = pngs["npy"]
    for k, img in pngs.items():
        assert (img == ref).all(), k


def test_normalisations_against_numpy(tmp):
    # a 64 x 64 map on MR_small (no resampling), opacity 1: each pixel is cmap(normalised value)
    rng = np.random.default_rng(2)
    m = rng.normal(10.0, 2.0, size=(64, 64)).astype(np.float32)
    p = os.path.join(tmp, "n.npy")
    np.save(p, m)
    cm = matplotlib.colormaps["viridis"]
    x = m.astype(float)
    ranges = {"minmax": (x.min(), x.max()), "percentile": tuple(np.percentile(x, [5, 95])),
              "zscore": (x.mean() - 3 * x.std(), x.mean() + 3 * x.std())}
    for norm, (lo, hi) in ranges.items():
        img, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), "--heatmap", p, "--opacity", "1",
                         "--normalization", norm, name=norm + ".png")
        t = np.clip((x - lo) / (hi - lo), 0, 1)
        want = np.array(cm(t, bytes=True))[..., :3].astype(int)
        # a value within float32 rounding of a table boundary may pick the neighbour entry
        diff = np.abs(img[..., :3] - want).max(axis=2)
        assert (diff <= 1).mean() > 0.995, norm
        assert diff.max() <= 8, norm


def test_threshold_and_nan_transparent(tmp):
    base, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), name="base.png")
    m = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (64, 1))
    m[:8, :] = np.nan
    p = os.path.join(tmp, "t.npy")
    np.save(p, m)
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), "--heatmap", p, "--opacity", "1",
                     "--threshold", "0.5", "--colormap", "plasma")
    below = m < 0.5
    assert (img[below] == base[below]).all()
    assert (img[:8] == base[:8]).all()  # NaN rows
    above = np.zeros_like(below)
    above[8:] = m[8:] >= 0.5
    cm = matplotlib.colormaps["plasma"]
    want = np.array(cm(m[above].astype(float), bytes=True))[:, :3].astype(int)
    assert np.abs(img[above][:, :3] - want).max() <= 1


def test_resize_nearest_repeats_pixels(tmp):
    m = np.arange(16, dtype=np.float32).reshape(4, 4)
    p = os.path.join(tmp, "s.npy")
    np.save(p, m)
    img, r = run_png(tmp, "-i", os.path.join(DCM, "MR_small.dcm"), "--heatmap", p, "--opacity", "1",
                     "--resize", "nearest")
    assert "nearest" in r.stderr
    blocks = img[..., :3].reshape(4, 16, 4, 16, 3)
    assert (blocks == blocks[:, :1, :, :1, :]).all()  # every 16 x 16 block is one colour
    cm = matplotlib.colormaps["viridis"]
    want = np.array(cm(m / 15.0, bytes=True))[..., :3].astype(int)
    assert np.abs(blocks[:, 0, :, 0, :] - want).max() <= 1


def test_colorbar_widens_and_shows_the_colours(tmp):
    plain, _ = run_png(tmp, "-i", os.path.join(DCM, "CT_small.dcm"), "--heatmap", _zeros_json(tmp, 128, 128),
                       "--opacity", "0", name="plain.png")
    img, _ = run_png(tmp, "-i", os.path.join(DCM, "CT_small.dcm"), "--heatmap", _zeros_json(tmp, 128, 128),
                     "--opacity", "0", "--colorbar", "--units", "kBq/ml", "--range", "0,10", "--colormap", "plasma")
    assert img.shape[0] == 128 and img.shape[1] > 128 + 100
    assert (img[:, :128] == plain).all()
    strip = img[:, 128:, :3].reshape(-1, 3)
    cm = matplotlib.colormaps["plasma"]
    # the bar samples the colormap every 256 / 116 entries: every probe is within a step of a row
    for x in (0.0, 0.25, 0.5, 0.75, 1.0):
        c = np.array(cm(x, bytes=True)[:3], dtype=int)
        assert (np.abs(strip - c).max(axis=1) <= 12).any(), x
    # the bar (documented layout): rows 6..121 (margin max(6, 128 / 20)), 12 px right of the image;
    # bar row r shows cmap(1 - (r + 0.5) / 116): hi at the top
    col = img[6:122, 128 + 12 + 9, :3]
    want = np.array(cm(1.0 - (np.arange(116) + 0.5) / 116.0, bytes=True))[:, :3].astype(int)
    assert np.abs(col - want).max() <= 1
    # text (labels, units): dark, not-bar pixels right of the bar
    assert (img[:, 128 + 40:, :3].sum(axis=2) < 150).sum() > 30


def test_demo_only_when_asked(tmp):
    img, _ = run_png(tmp, "--demo")
    assert img.shape == (256, 256, 4)
    r = overlay("-i", os.path.join(tmp, "missing.dcm"), "-o", os.path.join(tmp, "x.png"))
    assert r.returncode == 2 and "missing.dcm" in r.stderr
    assert not os.path.exists(os.path.join(tmp, "x.png"))


# ---- volumes ----------------------------------------------------------------------------------

def _anat():
    img = nib.load(os.path.join(NIB, "anatomical.nii"))  # 33 x 41 x 25, LAS
    return img, np.asarray(img.dataobj).astype(float)


def _grey(v, lo, hi):
    return np.clip(np.floor((v - lo) / (hi - lo) * 255.0 + 0.5), 0, 255)


def test_nifti_axial_slice_orientation(tmp):
    img, d = _anat()
    lo, hi = d.min(), d.max()
    out, _ = run_png(tmp, "-i", os.path.join(NIB, "anatomical.nii"), "--slice", "10")
    # LAS: x runs to the patient's left (shown left to right, radiological), y anterior (flipped:
    # anterior at the top)
    want = _grey(np.flipud(d[:, :, 10].T), lo, hi)
    assert out.shape == (41, 33, 4)
    assert (out[..., 0] == want).all()
    # default: middle slice 12
    mid, _ = run_png(tmp, "-i", os.path.join(NIB, "anatomical.nii"), name="mid.png")
    assert (mid[..., 0] == _grey(np.flipud(d[:, :, 12].T), lo, hi)).all()


def test_nifti_coronal_and_sagittal(tmp):
    img, d = _anat()
    lo, hi = d.min(), d.max()
    cor, _ = run_png(tmp, "-i", os.path.join(NIB, "anatomical.nii"), "--axis", "coronal", "--slice", "20",
                     name="c.png")
    assert cor.shape == (25, 33, 4)
    assert (cor[..., 0] == _grey(np.flipud(d[:, 20, :].T), lo, hi)).all()  # superior at the top
    sag, _ = run_png(tmp, "-i", os.path.join(NIB, "anatomical.nii"), "--axis", "sagittal", "--slice", "16",
                     name="s.png")
    assert sag.shape == (25, 41, 4)
    # anterior on the left, superior at the top
    assert (sag[..., 0] == _grey(np.flipud(np.fliplr(d[16, :, :].T)), lo, hi)).all()


def test_nifti_montage_with_volume_heatmap(tmp):
    img, d = _anat()
    heat = os.path.join(tmp, "heat.nii.gz")
    nib.save(nib.Nifti1Image(d.astype(np.float32), img.affine), heat)
    out, _ = run_png(tmp, "-i", os.path.join(NIB, "anatomical.nii"), "--montage", "9", "--heatmap", heat,
                     "--opacity", "1", "--colormap", "hot")
    assert out.shape == (3 * 41 + 2 * 4, 3 * 33 + 2 * 4, 4)
    ks = [int(np.floor((i + 0.5) * 25 / 9)) for i in range(9)]
    cm = matplotlib.colormaps["hot"]
    for i, k in enumerate(ks):
        r, c = divmod(i, 3)
        tile = out[r * 45:r * 45 + 41, c * 37:c * 37 + 33, :3]
        t = (np.flipud(d[:, :, k].T) - d.min()) / (d.max() - d.min())
        want = np.array(cm(t, bytes=True))[..., :3].astype(int)
        assert np.abs(tile - want).max() <= 1, k
    # a 2-D map cannot cover a montage
    p = os.path.join(tmp, "flat.npy")
    np.save(p, np.zeros((41, 33), np.float32))
    r = overlay("-i", os.path.join(NIB, "anatomical.nii"), "--montage", "4", "--heatmap", p, "-o",
                os.path.join(tmp, "bad.png"))
    assert r.returncode == 2 and not os.path.exists(os.path.join(tmp, "bad.png"))


def test_4d_nifti_frame(tmp):
    d = np.asarray(nib.load(os.path.join(NIB, "functional.nii")).dataobj).astype(float)  # 17x21x3x20
    out, _ = run_png(tmp, "-i", os.path.join(NIB, "functional.nii"), "--frame", "7", "--slice", "1")
    v = d[..., 7]
    assert (out[..., 0] == _grey(np.flipud(v[:, :, 1].T), v.min(), v.max())).all()


# ---- bad input: one line, exit 2, nothing written ----------------------------------------------

def _bad_cases(tmp):
    ct = os.path.join(DCM, "CT_small.dcm")
    w = lambda name, data, mode="w": (open(os.path.join(tmp, name), mode).write(data), os.path.join(tmp, name))[1]
    bad_json = w("bad.json", '{"data": [[1, 2], [3, 4]')
    ragged = w("ragged.csv", "1,2,3\n4,5\n")
    binf = w("short.bin", struct.pack("<II", 4, 4) + b"\0" * 60, "wb")
    cplx = os.path.join(tmp, "c.npy")
    np.save(cplx, np.zeros((4, 4), np.complex64))
    ok = os.path.join(tmp, "ok.npy")
    np.save(ok, np.zeros((4, 4), np.float32))
    nii = os.path.join(NIB, "anatomical.nii")
    return {
        "malformed json": ["-i", ct, "--heatmap", bad_json],
        "ragged csv": ["-i", ct, "--heatmap", ragged],
        "binary size": ["-i", ct, "--heatmap", binf],
        "npy dtype": ["-i", ct, "--heatmap", cplx],
        "opacity": ["-i", ct, "--heatmap", ok, "--opacity", "1.5"],
        "colormap": ["-i", ct, "--heatmap", ok, "--colormap", "rainbow"],
        "missing input": ["-i", os.path.join(tmp, "nope.dcm"), "--heatmap", ok],
        "missing heatmap": ["-i", ct, "--heatmap", os.path.join(tmp, "nope.json")],
        "slice range": ["-i", nii, "--slice", "25"],
        "frame range": ["-i", ct, "--frame", "1"],
        "axis": ["-i", nii, "--axis", "oblique"],
        "window": ["-i", ct, "--window", "40"],
        "h5 dataset": ["-i", ct, "--heatmap", os.path.join(tmp, "nope.h5") + ":x"],
    }


@pytest.mark.parametrize("np_", [None, 2])
def test_bad_input_one_line_exit_2_nothing_written(tmp, np_):
    for what, args in _bad_cases(tmp).items():
        out = os.path.join(tmp, "out.png")
        r = overlay(*args, "-o", out, np_=np_)
        assert r.returncode == 2, (what, r.returncode, r.stderr)
        # under mpirun, mpirun adds its own report of the non-zero exit: count voxflow's lines
        lines = [l for l in r.stderr.splitlines() if l.strip() and (np_ is None or l.startswith("voxflow"))]
        assert len(lines) == 1 and lines[0].startswith("voxflow: error:"), (what, r.stderr)
        assert not os.path.exists(out), what
        assert not [f for f in os.listdir(tmp) if ".tmp-" in f], what


def test_two_ranks_write_one_identical_png(tmp):
    one, _ = run_png(tmp, "-i", os.path.join(DCM, "CT_small.dcm"), "--opacity", "0.5",
                     name="one.png")
    out = os.path.join(tmp, "two.png")
    r = overlay("-i", os.path.join(DCM, "CT_small.dcm"), "--opacity", "0.5", "-o", out, np_=2)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("wrote") == 1
    assert (np.asarray(Image.open(out)).astype(int) == one).all()
