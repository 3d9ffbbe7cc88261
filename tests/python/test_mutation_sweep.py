"""Mutated inputs through the command line (issue 13): real files (nibabel NIfTI, pydicom's test
DICOM files, heatmaps written by numpy / json / csv, a TIA YAML configuration) with bytes flipped,
cut, inserted, or header fields set to extremes, given to `voxflow info`, `overlay`, `kinetics` and
`tia` under a 4 GiB address-space limit. Every run must end with exit 0 or 2 (never 1, never a
signal, never a hang); an exit 2 is one error line and leaves nothing under the output name.
Deterministic (seeded); about 100 runs by default (CI), VOXFLOW_SWEEP_SCALE=4 for about 400."""
import json
import os
import random
import resource
import struct
import subprocess
import tempfile

import nibabel as nib
import numpy as np
import pytest
from pydicom.data import get_testdata_file

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
LIMIT = 4 << 30
SCALE = int(os.environ.get("VOXFLOW_SWEEP_SCALE", "1"))


def limited():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def mutations(data, rng, n, header=0):
    """n mutated copies of data: bit flips, a cut, random bytes inserted, a run of 0xff / 0x00,
    the header (first `header` bytes) hit harder when given."""
    out = []
    for k in range(n):
        b = bytearray(data)
        kind = k % 5
        span = header if header and k % 2 == 0 else len(b)
        if kind == 0:
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(span)
                b[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            b = b[:rng.randrange(len(b))]
        elif kind == 2:
            i = rng.randrange(len(b))
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == 3:
            i = rng.randrange(span)
            b[i:i + rng.randint(1, 8)] = (b"\xff" if rng.random() < 0.5 else b"\x00") * 8
        else:
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(span)
                b[i] = rng.randrange(256)
        out.append(bytes(b))
    return out


def check(args, out_path, what):
    r = subprocess.run([VF] + [str(a) for a in args], capture_output=True, text=True, errors="replace", timeout=30,
                       preexec_fn=limited)
    assert r.returncode in (0, 2), f"{what}: exit {r.returncode}\n{r.stderr[-2000:]}"
    if r.returncode == 2:
        lines = [l for l in r.stderr.splitlines() if l.startswith("voxflow: error")]
        assert len(lines) == 1, f"{what}: {r.stderr[-2000:]}"
        if out_path:
            assert not os.path.exists(out_path) or (os.path.isdir(out_path) and not [
                f for f in os.listdir(out_path) if not f.startswith(".")]), f"{what}: {out_path} written"
    return r.returncode


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory(prefix="vf_sweep_") as d:
        yield d


def test_info_on_mutated_nifti_and_dicom(work):
    rng = random.Random(13)
    vol = np.arange(8 * 6 * 4, dtype=np.float32).reshape(8, 6, 4)
    bases = []
    for name in ("a.nii", "a.nii.gz"):
        p = os.path.join(work, name)
        nib.save(nib.Nifti1Image(vol, np.diag([2.0, 2.0, 3.0, 1.0])), p)
        bases.append((name, p, 352 if name.endswith(".nii") else 0))
    for name in ("CT_small.dcm", "MR_small.dcm"):
        bases.append((name, get_testdata_file(name), 1024))
    ok = 0
    for name, p, header in bases:
        with open(p, "rb") as fh:
            data = fh.read()
        if name.endswith(".gz"):  # mutate the inflated stream too: the header behind the gzip layer
            import gzip
            raw = gzip.decompress(data)
            muts = mutations(data, rng, 5 * SCALE) + [gzip.compress(m) for m in mutations(raw, rng, 5 * SCALE, 352)]
        else:
            muts = mutations(data, rng, 10 * SCALE, header)
        for k, m in enumerate(muts):
            q = os.path.join(work, f"m{k}_{name}")
            with open(q, "wb") as fh:
                fh.write(m)
            ok += check(["info", q], None, f"info {name} mutation {k}") == 0
            os.remove(q)
    assert ok > 0  # some mutations leave a readable file


def test_extreme_nifti_headers_are_refused_before_allocating(work):
    """Headers that claim 10^12 voxels or more (plain and gzip, NIfTI-1 and -2 sizes): exit 2."""
    vol = np.zeros((4, 4, 4), dtype=np.float32)
    for ext in ("nii", "nii.gz"):
        p = os.path.join(work, f"big.{ext}")
        nib.save(nib.Nifti1Image(vol, np.eye(4)), p)
        import gzip
        with open(p, "rb") as fh:
            data = fh.read()
        raw = bytearray(gzip.decompress(data) if ext.endswith("gz") else data)
        struct.pack_into("<8h", raw, 40, 3, 10000, 10000, 10000, 1, 1, 1, 1)  # dim[0..7]: 10^12 voxels
        with open(p, "wb") as fh:
            fh.write(gzip.compress(bytes(raw)) if ext.endswith("gz") else bytes(raw))
        assert check(["info", p], None, f"10^12 voxels .{ext}") == 2
        o = os.path.join(work, f"big_{ext}_out")
        assert check(["kinetics", "--nifti", p, "--frame-interval", 60, "-o", o, "--no-progress"], o,
                     "kinetics 10^12") == 2


def test_overlay_on_mutated_heatmaps(work):
    rng = random.Random(7)
    m = np.round(np.random.default_rng(1).normal(size=(6, 5)), 3)
    files = {
        "h.json": json.dumps({"data": m.tolist()}).encode(),
        "h.csv": "\n".join(",".join(str(v) for v in row) for row in m).encode() + b"\n",
        "h.bin": struct.pack("<II", 6, 5) + m.astype("<f4").tobytes(),
    }
    import io
    b = io.BytesIO()
    np.save(b, m.astype("<f4"))
    files["h.npy"] = b.getvalue()
    image = get_testdata_file("CT_small.dcm")
    for name, data in files.items():
        for k, mu in enumerate(mutations(data, rng, 8 * SCALE, 16 if name.endswith(("bin", "npy")) else 0)):
            q = os.path.join(work, f"m{k}_{name}")
            with open(q, "wb") as fh:
                fh.write(mu)
            out = os.path.join(work, f"ov_{k}_{name}.png")
            check(["overlay", "-i", image, "--heatmap", q, "-o", out], out, f"overlay {name} mutation {k}")
            for f in (q, out):
                if os.path.exists(f):
                    os.remove(f)


def test_kinetics_and_tia_on_mutated_inputs(work):
    rng = random.Random(3)
    series = os.path.join(work, "s.nii.gz")
    t = np.arange(12, dtype=np.float32)
    vol = (100 + 50 * (1 - np.exp(-0.3 * t)))[None, None, None, :] * np.ones((4, 3, 2, 1), np.float32)
    nib.save(nib.Nifti1Image(vol.astype(np.float32), np.eye(4)), series)
    with open(series, "rb") as fh:
        data = fh.read()
    import gzip
    raw = gzip.decompress(data)
    for k, mu in enumerate(mutations(raw, rng, 10 * SCALE, 352)):
        q = os.path.join(work, f"m{k}_s.nii")
        with open(q, "wb") as fh:
            fh.write(mu)
        o = os.path.join(work, f"kin_{k}")
        check(["kinetics", "--nifti", q, "--frame-interval", 60, "-o", o, "--no-progress", "--no-dicom-export"], o,
              f"kinetics mutation {k}")
    tps = []
    for i, th in enumerate((4, 24, 48)):
        p = os.path.join(work, f"tp{i}.nii.gz")
        nib.save(nib.Nifti1Image((1000 * np.exp(-0.01 * th) * np.ones((4, 4, 3))).astype(np.float32), np.eye(4)), p)
        tps.append(p)
    cfg = ("inputs:\n  images: [%s]\n  times: [14400, 86400, 172800]\nphysics:\n  half_life_seconds: 574300.8\n"
           "mask:\n  mode: none\nio:\n  write_tpeak: false\n" % ", ".join(tps)).encode()
    for k, mu in enumerate(mutations(cfg, rng, 12 * SCALE)):
        q = os.path.join(work, f"m{k}.yaml")
        with open(q, "wb") as fh:
            fh.write(mu)
        o = os.path.join(work, f"tia_{k}")
        check(["tia", "--config", q, "-o", o, "--no-progress", "--bootstrap", "0"], o, f"tia yaml mutation {k}")
