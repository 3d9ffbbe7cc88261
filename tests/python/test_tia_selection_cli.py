"""Issue 16 end to end: `voxflow phantom --tia --kinetics physiological` (bi-exponential organs,
truth checked against scipy.integrate.quad of the documented curve), `voxflow tia` with
models.selection aic / aicc and models.candidates (maps identical on 1 and 2 ranks, bootstrap
sigma reproducible from its seed, model_id / tia_summary.yaml naming and counting the chosen
models, [biexp] exact on noiseless organ interiors), region mode and tia-roi with the new
models, the design default bit-identical to the main-branch binary (golden hashes of its maps),
and bad values of the new keys (one line, exit 2)."""
import csv
import hashlib
import math
import os
import subprocess
import tempfile

import nibabel as nib
import numpy as np
import pytest
import yaml
from scipy import integrate

VF = os.environ.get("VOXFLOW_BIN", "voxflow")
MPIRUN = os.environ.get("VOXFLOW_MPIRUN", "mpirun")
SIZE = 32
MAPS = ["tia", "r2", "sigma_tia", "tpeak", "model_id", "status_id", "curve_class"]
NAMES = {0: "none", 1: "gamma", 2: "exp", 3: "hybrid", 4: "monoexp", 5: "biexp", 6: "biexp_washout", 7: "triexp"}

# sha256 of the raw array bytes of each map of `voxflow tia --config tia.yaml --bootstrap 10`
# (design default) on `voxflow phantom --tia --size 32` (seed 0, 5 % noise), written by the
# main-branch binary before issue 16 (commit 3c072da, Release build, Debian's Kokkos / glibc);
# the same maps with the issue-16 binary prove the design default bit-identical.
GOLDEN_DESIGN = {
    "tia": "1be8a0c5277a3f6b16bc906b72eb24d341115f96984e1ecb80ad18631b6e1a03",
    "r2": "da661f9aae4fdb793e09821a5d12e4471c34b4e24e91d0f453d73775624d8daa",
    "sigma_tia": "4a0f9fa8392f1d49c0c9d0f97bd7bc0e0d64056a05f1627716719c94090f7814",
    "tpeak": "c3d25e4a9da66a3ba773939120ef46523d6d416cdb6fdf933f44ddfd935e6470",
    "model_id": "63bcac3714140e1095a490a931c7293bb31f5a991d69745a1df5e09847f2f8db",
    "status_id": "17173c13e527e85421e8ace390f8a8a0cc8868f44ae7d2a345a879b68e6437a9",
    "curve_class": "ed323d946a34e6fcc6bca0ced11863f4c6e22804eb5bc8f5994e50024209ede1",
}


def run(args, np_=None):
    cmd = ([MPIRUN, "-np", str(np_), VF] if np_ else [VF]) + [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def check_ok(r):
    assert r.returncode == 0, r.stderr + r.stdout


def load(out, name):
    return np.asarray(nib.load(os.path.join(out, name + ".nii.gz")).dataobj)


def organs(d):
    with open(os.path.join(d, "phantom_organs.csv")) as f:
        return {int(r["label"]): r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory(prefix="vf_tia_sel_") as d:
        yield d


@pytest.fixture(scope="module")
def physio(work):
    out = {}
    for name, noise in (("clean", "0"), ("noisy", "0.05")):
        d = os.path.join(work, name)
        check_ok(run(["phantom", "--tia", "--kinetics", "physiological", "--size", SIZE, "--noise", noise,
                      "--times-h", "1,4,24,72,168", "-o", d]))
        out[name] = d
    return out


def interior(labels, r=1):
    """Voxels whose (2r+1)^3 neighbourhood has one label (no smoothing mixes organs there)."""
    ok = np.ones(labels.shape, bool)
    for dx in range(-r, r + 1):
        for dy in range(-r, r + 1):
            for dz in range(-r, r + 1):
                ok &= np.roll(labels, (dx, dy, dz), axis=(0, 1, 2)) == labels
    return ok


def test_physiological_phantom_truth_is_the_biexponential_integral(physio):
    d = physio["clean"]
    rows = organs(d)
    lam_phys = math.log(2) / 574300.8
    times = [h * 3600.0 for h in (1, 4, 24, 72, 168)]
    for lab, row in rows.items():
        if lab == 0:
            continue
        assert row["model"] == "biexp" and row["kinetics"] == "biexponential_uptake_washout"
        c, lw, lu = float(row["biexp_c_bq_per_ml"]), float(row["lambda_per_s"]), float(row["lambda_uptake_per_s"])
        assert lu > lw >= lam_phys
        f = lambda t: c * (math.exp(-lw * t) - math.exp(-lu * t))
        fh = lambda h: f(h * 3600.0)  # integrate in hours (quad's scale), then to seconds
        quad = 3600.0 * (integrate.quad(fh, 0, 50, limit=200)[0] + integrate.quad(fh, 50, np.inf, limit=200)[0])
        assert float(row["tia_density_bq_s_per_ml"]) == pytest.approx(quad, rel=1e-6), row["name"]
        samples = [float(x) for x in row["samples_bq_per_ml"].split(";")]
        np.testing.assert_allclose(samples, [f(t) for t in times], rtol=1e-12)
        assert max(samples) <= float(row["a_peak_bq_per_ml"]) * (1 + 1e-12)
    labels = load(d, "labels")
    truth = load(d, "tia_truth")
    v_ml = (512.0 / SIZE) ** 3 / 1000.0
    for lab, row in rows.items():
        if lab and (labels == lab).any():
            np.testing.assert_allclose(truth[labels == lab], float(row["tia_density_bq_s_per_ml"]) * v_ml, rtol=1e-6)
    tp1 = load(d, "activity_tp1")
    sel = labels == 2
    np.testing.assert_allclose(tp1[sel], float(rows[2]["samples_bq_per_ml"].split(";")[0]), rtol=1e-6)


def test_biexp_candidate_exact_on_noiseless_interiors_and_design_biased(physio, work):
    d = physio["clean"]
    labels, truth = load(d, "labels"), load(d, "tia_truth")
    common = ["--set", "denoise.enabled=false", "--set", "mask.mode=file", "--set",
              "mask.path=" + os.path.join(d, "labels.nii.gz"),
              "--bootstrap", "0", "--no-progress"]
    o_b = os.path.join(work, "clean_biexp")
    check_ok(run(["tia", "--config", os.path.join(d, "tia.yaml"), "-o", o_b, "--set", "models.selection=aicc",
                  "--set", "models.candidates=[biexp]"] + common))
    o_d = os.path.join(work, "clean_design")
    check_ok(run(["tia", "--config", os.path.join(d, "tia.yaml"), "-o", o_d] + common))
    sel = labels > 0
    err_b = (load(o_b, "tia")[sel] - truth[sel]) / truth[sel]
    err_d = (load(o_d, "tia")[sel] - truth[sel]) / truth[sel]
    assert (load(o_b, "status_id")[sel] == 1).all()
    assert np.isin(load(o_b, "model_id")[sel], [5, 6]).all()
    assert np.abs(err_b).max() < 1e-5  # float32 images: 1e-7 relative per sample
    assert np.median(np.abs(err_d)) > 0.01  # the design's families do not integrate these curves


@pytest.fixture(scope="module")
def aicc_runs(physio, work):
    d = physio["noisy"]
    outs = {}
    for name, np_, seed in (("np1", 1, 3), ("np2", 2, 3), ("seed4", 1, 4)):
        o = os.path.join(work, "aicc_" + name)
        check_ok(run(["tia", "--config", os.path.join(d, "tia.yaml"), "-o", o, "--set", "models.selection=aicc",
                      "--set", "models.candidates=[gamma,monoexp,biexp]", "--set", "mask.mode=file",
                      "--set", "mask.path=" + os.path.join(d, "labels.nii.gz"), "--set", f"bootstrap.seed={seed}",
                      "--bootstrap", "20",
                      "--no-progress"], np_=np_))
        outs[name] = o
    return outs


def test_selection_maps_identical_on_one_and_two_ranks(aicc_runs):
    for m in MAPS:
        a, b = load(aicc_runs["np1"], m), load(aicc_runs["np2"], m)
        assert np.array_equal(a, b, equal_nan=True), m


def test_selection_bootstrap_sigma_reproducible_from_seed(aicc_runs):
    s3, s4 = load(aicc_runs["np1"], "sigma_tia"), load(aicc_runs["np2"], "sigma_tia")  # seed 3 twice
    assert np.array_equal(s3, s4, equal_nan=True)
    other = load(aicc_runs["seed4"], "sigma_tia")
    ok = np.isfinite(s3) & np.isfinite(other)
    assert ok.sum() > 100 and (s3[ok] != other[ok]).mean() > 0.5
    assert np.array_equal(load(aicc_runs["seed4"], "tia"), load(aicc_runs["np1"], "tia"), equal_nan=True)


def test_selection_model_id_and_summary_name_and_count_models(aicc_runs):
    o = aicc_runs["np1"]
    model = load(o, "model_id")
    status = load(o, "status_id")
    assert set(np.unique(model[status == 1])) <= {1, 4, 5, 6}
    assert (model[status == 1] == 5).sum() > 0  # 5 points: AICc supports the 3-parameter models
    with open(os.path.join(o, "tia_summary.yaml")) as f:
        s = yaml.safe_load(f)
    assert s["model_legend"] == NAMES
    for i, name in NAMES.items():
        assert s["model_counts"][name] == int((model == i).sum()), name
    text = yaml.safe_dump(s)
    assert "aicc" in text and "monoexp" in text


def test_region_mode_and_tia_roi_with_the_new_models(physio, work):
    d = physio["clean"]
    cfg = yaml.safe_load(open(os.path.join(d, "tia_regions.yaml")))
    cfg["denoise"] = {"enabled": False}
    cfg["bootstrap"] = {"replicates": 10}
    cfg["regions"]["classes"] = {str(lab): {"class": "hump", "allowed_models": ["biexp", "monoexp"],
                                            "default_model": "biexp"} for lab in range(1, 9)}
    cfg["io"] = {"output_dir": os.path.join(work, "region_out")}
    p = os.path.join(d, "regions_biexp.yaml")
    with open(p, "w") as f:
        yaml.safe_dump(cfg, f)
    check_ok(run(["tia", "--config", p, "--no-progress"]))
    o = os.path.join(work, "region_out")
    labels, truth = load(d, "labels"), load(d, "tia_truth")
    sel = labels > 0
    assert (load(o, "model_id")[sel] == 5).all()
    np.testing.assert_allclose(load(o, "tia")[sel], truth[sel], rtol=1e-5)
    with open(os.path.join(o, "tia_summary.yaml")) as f:
        s = yaml.safe_load(f)
    assert all(r["model"] == "biexp" for r in s["regions"] if r["voxels"] > 0)
    roi = os.path.join(work, "roi")
    check_ok(run(["tia-roi", "--maps", o, "--labels", os.path.join(d, "labels.nii.gz"), "--config", p, "-o", roi]))
    rows = list(csv.DictReader(open(os.path.join(roi, "roi_summary.csv"))))
    tia = load(o, "tia")
    for r in rows:
        lab = int(r["label"])
        assert float(r["mean_tia_bq_s"]) == pytest.approx(tia[labels == lab].astype(np.float64).mean(), rel=1e-6)


def test_design_default_bit_identical(work):
    d = os.path.join(work, "design_phantom")
    check_ok(run(["phantom", "--tia", "--size", SIZE, "-o", d]))
    o = os.path.join(work, "design_out")
    check_ok(run(["tia", "--config", os.path.join(d, "tia.yaml"), "-o", o, "--bootstrap", "10", "--no-progress"]))
    got = {m: hashlib.sha256(np.ascontiguousarray(load(o, m)).tobytes()).hexdigest() for m in MAPS}
    assert got == GOLDEN_DESIGN


@pytest.mark.parametrize("kv,msg", [("models.selection=bic", "models.selection"),
                                    ("models.candidates=[gamma,exp]", "models.candidates"),
                                    ("models.candidates=[]", "models.candidates"),
                                    ("models.candidates=[biexp,biexp]", "models.candidates")])
def test_bad_selection_values_one_line_exit_2(physio, work, kv, msg):
    o = os.path.join(work, "bad")
    r = run(["tia", "--config", os.path.join(physio["clean"], "tia.yaml"), "-o", o, "--set", kv])
    assert r.returncode == 2
    assert msg in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not os.path.exists(os.path.join(o, "tia.nii.gz"))


def test_phantom_kinetics_needs_tia_and_a_known_value(work):
    r = run(["phantom", "--kinetics", "physiological", "-o", os.path.join(work, "x")])
    assert r.returncode == 2 and "--kinetics" in r.stderr
    r = run(["phantom", "--tia", "--kinetics", "linear", "-o", os.path.join(work, "y")])
    assert r.returncode == 2 and "kinetics" in r.stderr


def test_command_line_options_equal_the_keys(physio, work):
    d = physio["noisy"]
    base = ["tia", "--config", os.path.join(d, "tia.yaml"), "--bootstrap", "5", "--no-progress"]
    o1, o2 = os.path.join(work, "cli_opts"), os.path.join(work, "cli_set")
    check_ok(run(base + ["-o", o1, "--selection", "aic", "--candidates", "monoexp,biexp"]))
    check_ok(run(base + ["-o", o2, "--set", "models.selection=aic", "--set", "models.candidates=[monoexp,biexp]"]))
    for m in MAPS:
        assert np.array_equal(load(o1, m), load(o2, m), equal_nan=True), m
    assert set(np.unique(load(o1, "model_id"))) <= {0, 4, 5, 6}
