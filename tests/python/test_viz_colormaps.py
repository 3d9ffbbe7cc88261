"""voxflow's colormaps against matplotlib's, and PNGs written by voxflow read back with PIL.

Runs the test_viz executable with VOXFLOW_VIZ_EXPORT_DIR set (its VizExport test writes a table of
colormap_lookup values and a few PNGs there), then checks them with matplotlib, numpy and PIL.
"""
import os
import subprocess
import tempfile

import numpy as np
import pytest
from PIL import Image

import matplotlib

PROBES = [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.fixture(scope="module")
def export_dir():
    binary_dir = os.environ.get("VOXFLOW_BINARY_DIR")
    assert binary_dir, "VOXFLOW_BINARY_DIR is not set (run through ctest)"
    exe = os.path.join(binary_dir, "tests", "test_viz")
    assert os.path.isfile(exe), f"{exe} not built"
    with tempfile.TemporaryDirectory(prefix="vf-viz-py-") as tmp:
        env = dict(os.environ, VOXFLOW_VIZ_EXPORT_DIR=tmp)
        run = subprocess.run([exe, "--gtest_filter=VizExport.*"], env=env, capture_output=True,
                             text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "1 test" in run.stdout and "PASSED" in run.stdout, run.stdout
        yield tmp


@pytest.fixture(scope="module")
def table(export_dir):
    rows = {}
    with open(os.path.join(export_dir, "colormap_table.txt")) as f:
        for line in f:
            name, x, r, g, b, a = line.split()
            rows.setdefault(name, []).append((float(x), (int(r), int(g), int(b), int(a))))
    return rows


def test_table_complete(table):
    assert sorted(table) == ["hot", "jet", "plasma", "red", "viridis"]
    for rows in table.values():
        assert len(rows) == 5 + 256


@pytest.mark.parametrize("name", ["hot", "jet", "viridis", "plasma"])
def test_matches_matplotlib(table, name):
    cmap = matplotlib.colormaps[name]
    got = np.array([rgba for _, rgba in table[name]], dtype=float)
    xs = np.array([x for x, _ in table[name]])
    assert np.allclose(xs[:5], PROBES)
    want = np.array(cmap(xs)) * 255.0  # floats; voxflow rounds them to bytes
    assert np.max(np.abs(got - want)) <= 0.5 + 1e-9, (name, np.max(np.abs(got - want)))
    # and within one step of matplotlib's own bytes (which truncate)
    want_bytes = np.array(cmap(xs, bytes=True), dtype=int)
    assert np.max(np.abs(got - want_bytes)) <= 1


def test_red_is_black_to_red_ramp(table):
    for x, (r, g, b, a) in table["red"]:
        assert (g, b, a) == (0, 0, 255)
        assert r == min(int(x * 256), 255), x
    assert table["red"][0][1] == (0, 0, 0, 255)
    assert table["red"][4][1] == (255, 0, 0, 255)


def test_pattern_png_reads_back_with_pil(export_dir):
    with Image.open(os.path.join(export_dir, "pattern.png")) as im:
        assert im.format == "PNG"
        assert im.mode == "RGBA"
        assert im.size == (7, 5)
        px = np.asarray(im)
    for y in range(5):
        for x in range(7):
            want = (x * 37 % 256, y * 53 % 256, (x + y) * 11 % 256, 255 - (x * 7 + y * 3) % 200)
            assert tuple(int(v) for v in px[y, x]) == want, (x, y)


def test_panel_png_reads_back_with_pil(export_dir):
    with open(os.path.join(export_dir, "panels.txt")) as f:
        w, h, x0, y0, x1, y1 = (int(v) for v in f.read().split())
    with Image.open(os.path.join(export_dir, "panels.png")) as im:
        assert im.mode == "RGBA"
        assert im.size == (w, h)
        px = np.asarray(im)
    assert (px[y0:y1, x0:x1] == [128, 128, 128, 255]).all()  # the NaN pixel, mid-grey
    assert (px[..., 3] == 255).all()                          # opaque figure
    assert (px[0, 0] == [255, 255, 255, 255]).all()           # white background
    title_band = px[:40, :, :3]
    assert (title_band.max(axis=2) < 100).sum() > 50          # dark text in the title band
