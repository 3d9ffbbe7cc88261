"""`voxflow tia` (C++, MPI) against the numpy reference bench/tia_numpy_reference.py, voxel by voxel,
on a small synthetic 4-time-point study written with nibabel (several curve kinds + noise, images in
shuffled time order, times in hours, negative and zero voxels): voxel mode and region mode, with
and without denoise, on 1 and 2 ranks, plus one run with the non-default model options.

Agreement required (TIA spec, shared by both implementations):
  status_id and model_id equal on >= 99.9 % of the voxels inside either mask;
  where both are ok with the same model: tia, tpeak within 1e-4 relative, r2 within 1e-4 * max(|r2|, 1),
  sigma_tia within 1e-3 relative (same counter-based RNG; plus 1e-6 * tia absolute for the
  rounding-level sigma of exactly determined fits) on >= 99.9 % of those voxels;
  1 and 2 ranks give the same maps (1e-6 relative).
Never skipped: a missing binary or a `voxflow tia --help` that fails is a failure."""
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("VOXFLOW_SOURCE_DIR", os.path.normpath(os.path.join(HERE, "..", "..")))
sys.path.insert(0, os.path.join(SRC, "bench"))
import tia_numpy_reference as R  # noqa: E402

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", os.path.join(SRC, "scripts", "vf-mpirun"))
MAPS = ["tia", "r2", "sigma_tia", "tpeak", "model_id", "status_id"]
FRACTION = 0.999


def test_tia_help_works():
    """The binary exists and `voxflow tia --help` exits 0 with its usage (else everything below fails)."""
    r = subprocess.run([VF, "tia", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "voxflow tia" in r.stdout and "--config" in r.stdout

CASES = {
    # name: (config file, --set overrides)
    "voxel_denoise": ("voxel", []),
    "voxel_raw": ("voxel", ["denoise.enabled=false"]),
    "region_denoise": ("region", []),
    "region_raw": ("region", ["denoise.enabled=false"]),
    "voxel_options": ("voxel", ["models.falling_integral=fitted_from_zero", "models.include_t0=false",
                                "models.rising_mode=peak_at_last", "bootstrap.reclassify=false",
                                "noise_floor.mode=absolute", "noise_floor.absolute_bq_per_ml=15.0",
                                "physics.enforce_lambda_phys=false", "bootstrap.seed=12345"]),
}


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory(prefix="vf_tia_ref_") as d:
        paths = R.write_synthetic_inputs(os.path.join(d, "syn"), shape=(30, 26, 14), noise=0.08, seed=4)
        yield d, paths


def load_maps(outdir, prefix=""):
    out = {}
    for m in MAPS:
        img = nib.load(os.path.join(outdir, f"{prefix}{m}.nii.gz"))
        out[m] = np.asarray(img.dataobj)
        out["_affine"] = img.affine
    return out


def run_voxflow(cfg, outdir, np_, sets):
    cmd = [MPIRUN, "-np", str(np_), VF, "tia", "--config", cfg, "-o", outdir]
    for s in sets:
        cmd += ["--set", s]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout}\n{r.stderr}"
    return load_maps(outdir)


@pytest.fixture(scope="module")
def reference(work):
    d, paths = work
    cache = {}

    def get(case):
        if case not in cache:
            kind, sets = CASES[case]
            cfgp = paths["voxel_config"] if kind == "voxel" else paths["region_config"]
            out = os.path.join(d, "ref_" + case)
            assert R.main(["--config", cfgp, "-o", out] + sum([["--set", s] for s in sets], [])) == 0
            cache[case] = load_maps(out)
        return cache[case]
    return get


@pytest.fixture(scope="module")
def cxx(work):
    d, paths = work
    cache = {}

    def get(case, np_):
        if (case, np_) not in cache:
            kind, sets = CASES[case]
            cfgp = paths["voxel_config"] if kind == "voxel" else paths["region_config"]
            cache[(case, np_)] = run_voxflow(cfgp, os.path.join(d, f"vf_{case}_{np_}"), np_, sets)
        return cache[(case, np_)]
    return get


def close(a, b, rtol, atol=0.0):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    return both_nan | (np.abs(a - b) <= rtol * np.abs(b) + atol)


def describe(mask, vf, ref, name, n=5):
    idx = np.argwhere(mask)[:n]
    rows = [f"  voxel {tuple(int(v) for v in i)}: voxflow {vf[name][tuple(i)]!r} numpy {ref[name][tuple(i)]!r} "
            f"(status {vf['status_id'][tuple(i)]}/{ref['status_id'][tuple(i)]}, "
            f"model {vf['model_id'][tuple(i)]}/{ref['model_id'][tuple(i)]})" for i in idx]
    return "\n".join(rows)


def compare(vf, ref, affine):
    assert np.allclose(vf["_affine"], affine, atol=1e-4)
    for m in ("tia", "r2", "sigma_tia", "tpeak"):
        assert vf[m].dtype == np.float32, m
    assert vf["status_id"].dtype == np.uint8 and vf["model_id"].dtype == np.uint8
    region = (vf["status_id"] != 0) | (ref["status_id"] != 0)
    n = int(region.sum())
    assert n > 1000
    same_status = (vf["status_id"] == ref["status_id"]) & region
    same_model = (vf["model_id"] == ref["model_id"]) & region
    assert same_status.sum() >= FRACTION * n, (
        f"status_id differs on {n - same_status.sum()} of {n} voxels\n" + describe(region & ~same_status, vf, ref, "tia"))
    assert same_model.sum() >= FRACTION * n, (
        f"model_id differs on {n - same_model.sum()} of {n} voxels\n" + describe(region & ~same_model, vf, ref, "tia"))
    ok = (vf["status_id"] == 1) & (ref["status_id"] == 1) & same_model
    nok = int(ok.sum())
    assert nok > 0.9 * n
    # outside "ok" both must hold NaN in the numeric maps
    for m in ("tia", "r2", "sigma_tia", "tpeak"):
        notok = region & (vf["status_id"] != 1)
        assert np.all(np.isnan(vf[m][notok])), f"{m}: non-NaN where status != 1"
    tia_ref = ref["tia"].astype(np.float64)
    checks = {
        "tia": close(vf["tia"], ref["tia"], 1e-4),
        "tpeak": close(vf["tpeak"], ref["tpeak"], 1e-4),
        "r2": close(vf["r2"], ref["r2"], 0.0, 1e-4 * np.maximum(np.abs(ref["r2"].astype(np.float64)), 1.0)),
        "sigma_tia": close(vf["sigma_tia"], ref["sigma_tia"], 1e-3, 1e-6 * np.abs(tia_ref)),
    }
    for m, good in checks.items():
        bad = ok & ~good
        assert bad.sum() <= (1 - FRACTION) * nok, (
            f"{m} differs beyond tolerance on {int(bad.sum())} of {nok} ok voxels\n" + describe(bad, vf, ref, m))


@pytest.mark.parametrize("np_", [1, 2])
@pytest.mark.parametrize("case", ["voxel_denoise", "voxel_raw", "region_denoise", "region_raw"])
def test_voxflow_matches_numpy_reference(case, np_, work, reference, cxx):
    d, paths = work
    affine = nib.load(os.path.join(paths["dir"], "act_1.nii.gz")).affine
    compare(cxx(case, np_), reference(case), affine)


def test_voxflow_matches_numpy_reference_non_default_options(work, reference, cxx):
    d, paths = work
    affine = nib.load(os.path.join(paths["dir"], "act_1.nii.gz")).affine
    compare(cxx("voxel_options", 2), reference("voxel_options"), affine)


@pytest.mark.parametrize("case", ["voxel_denoise", "region_denoise"])
def test_one_and_two_ranks_agree(case, cxx):
    a, b = cxx(case, 1), cxx(case, 2)
    assert np.array_equal(a["status_id"], b["status_id"])
    assert np.array_equal(a["model_id"], b["model_id"])
    for m in ("tia", "r2", "sigma_tia", "tpeak"):
        assert np.all(close(b[m], a[m], 1e-6)), m


def test_region_voxels_scale_by_amplitude(work, cxx):
    """region mode: inside a configured label, tia / amplitude at t_ref is one constant (the region
    TIA per unit reference activity), checked on the C++ maps with the reference's t_ref."""
    d, paths = work
    vf = cxx("region_raw", 2)
    lab = np.asarray(nib.load(paths["labels"]).dataobj)
    cfg, raw, base = R.load_config(paths["region_config"], ["denoise.enabled=false"])
    times = np.array(cfg["inputs"]["times"]) * 3600.0
    order = np.argsort(times)
    imgs = [np.asarray(nib.load(os.path.join(paths["dir"], cfg["inputs"]["images"][k])).dataobj, dtype=np.float64)
            for k in order]
    for label in (1, 2, 3):
        sel = (lab == label) & (vf["status_id"] == 1)
        assert sel.sum() > 20
        ratios = [vf["tia"][sel] / np.maximum(im[sel], 1e-30) for im in imgs]
        # one of the time points is t_ref: there the ratio is constant over the region
        spreads = [np.ptp(r) / np.median(r) for r in ratios]
        assert min(spreads) < 1e-5, (label, spreads)
