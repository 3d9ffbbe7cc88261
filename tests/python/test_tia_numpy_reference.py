"""Self-checks of bench/tia_numpy_reference.py (the numpy reference of `voxflow tia`) against
hand-computed cases, one group per section of the TIA spec, so that the reference can be trusted
when the C++ is compared with it (tests/python/test_tia_vs_reference.py)."""
import math
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
import pytest
import yaml
from scipy.special import gamma as gamma_fn

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("VOXFLOW_SOURCE_DIR", os.path.normpath(os.path.join(HERE, "..", "..")))
sys.path.insert(0, os.path.join(SRC, "bench"))
import tia_numpy_reference as R  # noqa: E402

HL = 574300.8                      # Lu-177 half-life, s
LAM = math.log(2.0) / HL
T = np.array([4.0, 24.0, 48.0, 168.0]) * 3600.0


def opt(**kw):
    base = dict(lambda_phys=LAM, floor_mode="off")
    base.update(kw)
    return R.FitOptions(**base)


def fit1(a, t=T, **kw):
    r = R.fit_voxels(np.asarray(a, dtype=np.float64)[None, :], t, opt(**kw))
    return {k: (v[0] if v.ndim == 1 else v[0]) for k, v in r.items()}


# ---------------------------------------------------------------- §6 counter-based RNG
def py_splitmix(x):
    M = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def test_splitmix64_known_values():
    # first output of the splitmix64 generator seeded with 0 (Vigna's reference implementation)
    assert int(R.splitmix64(np.uint64(0))) == 0xE220A8397B1DCDAF
    xs = np.array([0, 1, 2**63, 2**64 - 1, 123456789], dtype=np.uint64)
    assert [int(v) for v in R.splitmix64(xs)] == [py_splitmix(int(v)) for v in xs]


def test_key_matches_python_integers():
    for seed, vox, b, i in [(0, 0, 0, 0), (7, 12345, 99, 3), (2**64 - 1, 2**63 + 5, 1, 15)]:
        want = py_splitmix(py_splitmix(py_splitmix(seed) ^ vox) ^ ((b << 8) | i))
        assert int(R.boot_key(seed, np.uint64(vox), b, i)) == want


# ---------------------------------------------------------------- §7 Otsu and masked Gaussian
def brute_otsu(v, nbins=256):
    counts, edges = np.histogram(v, bins=nbins, range=(v.min(), v.max()))
    c = (edges[:-1] + edges[1:]) / 2
    best, thr = -1.0, None
    for k in range(nbins - 1):           # class 1 = bins 0..k
        w1, w2 = counts[:k + 1].sum(), counts[k + 1:].sum()
        if w1 == 0 or w2 == 0:
            continue
        m1 = (counts[:k + 1] * c[:k + 1]).sum() / w1
        m2 = (counts[k + 1:] * c[k + 1:]).sum() / w2
        var = w1 * w2 * (m1 - m2) ** 2
        if var > best:
            best, thr = var, c[k]
    return thr


def test_otsu_bimodal_and_brute_force():
    rng = np.random.default_rng(3)
    v = np.concatenate([rng.normal(10, 2, 5000), rng.normal(100, 10, 2000)])
    thr = R.otsu_threshold(v)
    assert 15 < thr < 80
    # empty bins between the modes make a plateau of equal variances: any threshold on it gives
    # the same mask
    assert np.array_equal(v > thr, v > brute_otsu(v))
    w = np.concatenate([rng.normal(10, 8, 5000), rng.normal(40, 10, 3000)])   # unique maximum
    assert R.otsu_threshold(w) == pytest.approx(brute_otsu(w), rel=1e-12)
    assert R.otsu_threshold(np.full(10, 3.5)) == 3.5
    S = np.array([0.0, 0.0, 0.0, 0.0, 100.0, 102.0, 104.0])
    assert R.otsu_threshold(S) == pytest.approx(104.0 / 512)          # centre of the first bin
    # min_fraction_of_max removes voxels above Otsu but below the fraction of the maximum
    assert R.otsu_mask(S, 0.02).tolist() == [False] * 4 + [True] * 3
    assert R.otsu_mask(S, 0.97).tolist() == [False] * 5 + [True] * 2


def test_masked_gaussian_no_bleeding_and_scipy_identity():
    from scipy.ndimage import gaussian_filter
    vol = np.full((9, 8, 7), 1000.0)
    mask = np.zeros(vol.shape, dtype=bool)
    mask[2:7, 2:6, 1:6] = True
    vol[mask] = 5.0
    sm = R.masked_gaussian(vol, mask, np.array([1.0, 0.8, 0.5]))
    assert np.allclose(sm[mask], 5.0, rtol=1e-12)          # constant inside stays constant
    assert np.array_equal(sm[~mask], vol[~mask])            # outside keeps its value
    rng = np.random.default_rng(0)
    vol2 = rng.random(vol.shape)
    sig = np.array([1.0, 0.8, 0.5])
    sm2 = R.masked_gaussian(vol2, mask, sig)
    num = gaussian_filter(vol2 * mask, sig, mode="reflect", truncate=4.0)
    den = gaussian_filter(mask.astype(float), sig, mode="reflect", truncate=4.0)
    assert np.allclose(sm2[mask], (num / den)[mask], rtol=1e-13)


# ---------------------------------------------------------------- §1 valid points, statuses 2 and 4
def test_noise_floor_and_status_codes():
    a = np.array([[0.5, 10.0, 20.0, 5.0],      # relative floor 1% -> all valid
                  [0.0, 0.0, 0.0, 0.0],        # all below -> 4
                  [0.0, 7.0, 0.0, 0.0],        # one valid -> 2
                  [0.05, 10.0, 0.05, 0.09]])   # 1% of 10 = 0.1: only one valid -> 2
    o = opt(floor_mode="relative", floor_rel=0.01)
    v = R.valid_points(a, o)
    assert v.tolist() == [[True] * 4, [False] * 4, [False, True, False, False], [False, True, False, False]]
    r = R.fit_voxels(a, T, o)
    assert r["status"].tolist()[1:] == [4, 2, 2]
    assert r["model"].tolist()[1:] == [0, 0, 0]
    assert np.all(np.isnan(r["tia"][1:])) and np.all(np.isnan(r["r2"][1:]))
    # absolute floor in Bq (already converted)
    oa = opt(floor_mode="absolute", floor_abs_bq=6.0)
    assert R.valid_points(a[:1], oa).tolist() == [[False, True, True, False]]


def test_negative_clamp_in_pipeline(tmp_path):
    """a negative density becomes 0 (then invalid) before the floor: hand-computed hybrid TIA."""
    aff = np.diag([2.0, 2.0, 2.0, 1.0])              # V = 8 mm^3 = 0.008 ml
    vals = [-50.0, 100.0, 200.0, 300.0]            # density Bq/ml at 4 time points (rising)
    names = []
    for k, v in enumerate(vals):
        nib.save(nib.Nifti1Image(np.full((2, 2, 2), v, dtype=np.float32), aff), tmp_path / f"a{k}.nii.gz")
        names.append(f"a{k}.nii.gz")
    cfg = {"inputs": {"images": names, "times": [1.0, 2.0, 3.0, 4.0]}, "time": {"unit": "hours"},
           "physics": {"half_life_seconds": HL}, "mask": {"mode": "none"}, "denoise": {"enabled": False},
           "bootstrap": {"enabled": False}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert R.main(["--config", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "o")]) == 0
    st = nib.load(tmp_path / "o" / "status_id.nii.gz")
    assert np.all(np.asarray(st.dataobj) == 1)
    tia = np.asarray(nib.load(tmp_path / "o" / "tia.nii.gz").dataobj)
    a = np.array(vals[1:]) * 0.008
    t = np.array([2.0, 3.0, 4.0]) * 3600
    want = 0.5 * a[0] * t[0] + 0.5 * (a[0] + a[1]) * 3600 + 0.5 * (a[1] + a[2]) * 3600 + a[2] / LAM
    assert np.allclose(tia, want, rtol=1e-6)
    assert np.all(np.asarray(nib.load(tmp_path / "o" / "model_id.nii.gz").dataobj) == 3)


# ---------------------------------------------------------------- §2 classification
@pytest.mark.parametrize("curve,cls", [
    ([10.0, 8.0, 5.0, 2.0], R.CLASS_FALLING),
    ([1.0, 3.0, 6.0, 9.0], R.CLASS_RISING),
    ([2.0, 9.0, 6.0, 1.0], R.CLASS_HUMP),
    ([5.0, 5.05, 5.0, 5.02], R.CLASS_AMBIGUOUS),       # all steps within eps = 0.02 * 5.05
    ([10.0, 9.9, 9.95, 9.92], R.CLASS_AMBIGUOUS),      # peak first but no step below -eps
    ([9.0, 10.0, 2.0, 1.0], R.CLASS_HUMP),
    ([9.9, 10.0, 2.0, 1.0], R.CLASS_AMBIGUOUS),        # interior peak, first point within eps
    ([1.0, 5.0, 10.0, 10.0], R.CLASS_AMBIGUOUS),       # first maximum is interior, last within eps
    ([1.0, 5.0, 9.0, 10.0], R.CLASS_RISING),
    ([10.0, 12.0], R.CLASS_RISING),
    ([12.0, 10.0], R.CLASS_FALLING),
])
def test_classification(curve, cls):
    a = np.array([curve])
    assert R.classify(a, np.ones_like(a, dtype=bool), 0.02).tolist() == [cls]


def test_classification_over_valid_points_only():
    a = np.array([[0.0, 9.0, 0.0, 3.0]])     # valid: t1, t3 -> falling
    v = a > 0
    assert R.classify(a, v, 0.02).tolist() == [R.CLASS_FALLING]
    a = np.array([[2.0, 9.0, 0.0, 3.0]])     # valid 0, 1, 3: interior peak -> hump
    assert R.classify(a, a > 0, 0.02).tolist() == [R.CLASS_HUMP]


# ---------------------------------------------------------------- §4 gamma variate
def gamma_curve(K, al, be, t=T):
    return K * t ** al * np.exp(-be * t)


@pytest.mark.parametrize("al,be", [(1.5, 2e-5), (0.7, 1.1e-5), (3.0, 4e-5)])
def test_gamma_exact_recovery(al, be):
    K = 500.0 / (86400.0 ** al)
    a = gamma_curve(K, al, be)
    r = fit1(a)
    assert r["status"] == 1 and r["model"] == R.MODEL_GAMMA and r["cls"] == R.CLASS_HUMP
    assert r["tpeak"] == pytest.approx(al / be, rel=1e-9)
    assert r["tia"] == pytest.approx(K * gamma_fn(al + 1) / be ** (al + 1), rel=1e-9)
    assert r["r2"] == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(r["pred"], a, rtol=1e-9)


def test_gamma_beta_clamped_to_lambda_phys_and_2x2_refit():
    t = np.array([10.0, 300.0, 900.0, 2500.0]) * 3600
    al, be = 1.2, 0.3 * LAM                     # slower than physical decay: non-physical
    K = 1e3 / (3600.0 ** al)
    a = gamma_curve(K, al, be, t) * np.array([1.0, 1.02, 0.97, 1.01])
    r = fit1(a, t)
    assert r["cls"] == R.CLASS_HUMP and r["model"] == R.MODEL_GAMMA
    # independent 2x2 WLS: ln a + lam t = lnK + alpha ln t, weights a
    sw = np.sqrt(a)
    X = np.stack([np.ones(4), np.log(t)], axis=1) * sw[:, None]
    (lnK, alpha), *_ = np.linalg.lstsq(X, (np.log(a) + LAM * t) * sw, rcond=None)
    assert r["tpeak"] == pytest.approx(alpha / LAM, rel=1e-9)
    assert r["tia"] == pytest.approx(math.exp(lnK) * gamma_fn(alpha + 1) / LAM ** (alpha + 1), rel=1e-9)
    # without enforcement the free fit keeps beta < lambda_phys
    r2 = fit1(a, t, enforce=False)
    assert r2["tpeak"] == pytest.approx(al / be, rel=0.05) and r2["tpeak"] > r["tpeak"] * 1.03


def test_gamma_weighted_least_squares_by_hand():
    a = gamma_curve(2e-3, 1.3, 2.5e-5) * np.array([1.05, 0.96, 1.03, 0.9])
    r = fit1(a)
    sw = np.sqrt(a)
    X = np.stack([np.ones(4), np.log(T), -T], axis=1) * sw[:, None]
    (lnK, alpha, beta), *_ = np.linalg.lstsq(X, np.log(a) * sw, rcond=None)
    assert beta > LAM
    assert r["tpeak"] == pytest.approx(alpha / beta, rel=1e-8)
    assert r["tia"] == pytest.approx(math.exp(lnK) * gamma_fn(alpha + 1) / beta ** (alpha + 1), rel=1e-8)
    pred = np.exp(lnK + alpha * np.log(T) - beta * T)
    r2 = 1 - ((a - pred) ** 2).sum() / ((a - a.mean()) ** 2).sum()
    assert r["r2"] == pytest.approx(r2, rel=1e-8)


def test_gamma_refine_lowers_unweighted_sse():
    a = gamma_curve(2e-3, 1.3, 2.5e-5) * np.array([1.3, 0.9, 1.1, 0.7])
    r0 = fit1(a)
    r1 = fit1(a, refine=True)
    sse = lambda p: ((a - p) ** 2).sum()
    assert r1["model"] == R.MODEL_GAMMA
    assert sse(r1["pred"]) < sse(r0["pred"])
    # exact data: refinement keeps the exact solution
    exact = gamma_curve(2e-3, 1.3, 2.5e-5)
    assert fit1(exact, refine=True)["tia"] == pytest.approx(fit1(exact)["tia"], rel=1e-9)


def test_gamma_failure_falls_back_to_hybrid():
    # a hump whose linearised fit gives alpha <= 0: the hybrid takes over, status 1
    a = np.array([88.94878343, 93.4043516, 48.58353588, 35.77951967])
    t = T
    o = opt()
    g_ok, *_ = R.fit_gamma(a[None], np.ones((1, 4), bool), t, o)
    cls = R.classify(a[None], np.ones((1, 4), bool), 0.02)
    assert cls.tolist() == [R.CLASS_HUMP] and g_ok.tolist() == [False]
    r = fit1(a, t)
    assert r["status"] == 1 and r["model"] == R.MODEL_HYBRID
    want = 0.5 * a[0] * t[0] + (0.5 * (a[1:] + a[:-1]) * np.diff(t)).sum() + a[-1] / LAM
    assert r["tia"] == pytest.approx(want, rel=1e-12)


# ---------------------------------------------------------------- §4 exponential tail
def test_exp_tail_design_and_fitted_from_zero():
    k = 4 * LAM
    A0 = 1000.0
    a = A0 * np.exp(-k * T)
    r = fit1(a)
    assert r["cls"] == R.CLASS_FALLING and r["model"] == R.MODEL_EXP and r["status"] == 1
    assert r["tia"] == pytest.approx(0.5 * a[0] * T[0] + a[0] / k, rel=1e-9)
    assert r["tpeak"] == T[0]
    # design prediction: A_pk exp(-lam (t - t_pk)) after the peak -> exact here, R^2 = 1
    assert np.allclose(r["pred"], a, rtol=1e-9) and r["r2"] == pytest.approx(1.0, abs=1e-12)
    rz = fit1(a, falling_integral="fitted_from_zero")
    assert rz["tia"] == pytest.approx(A0 / k, rel=1e-9)


def test_exp_tail_clamped_to_lambda_phys():
    k = 0.5 * LAM                                         # slower than physical: clamped
    a = 1000.0 * np.exp(-k * T) * np.array([1.0, 1.01, 0.98, 1.0])
    r = fit1(a)
    assert r["model"] == R.MODEL_EXP
    assert r["tia"] == pytest.approx(0.5 * a[0] * T[0] + a[0] / LAM, rel=1e-12)
    want_pred = np.array([a[0]] + list(a[0] * np.exp(-LAM * (T[1:] - T[0]))))
    assert np.allclose(r["pred"], want_pred, rtol=1e-12)
    rz = fit1(a, falling_integral="fitted_from_zero")
    c = (a * (np.log(a) + LAM * T)).sum() / a.sum()
    assert rz["tia"] == pytest.approx(math.exp(c) / LAM, rel=1e-12)
    assert np.allclose(rz["pred"], np.exp(c - LAM * T), rtol=1e-12)
    # not enforced: a rising-from-peak tail (lambda_fit <= 0) fails -> hybrid fallback
    assert fit1(a, enforce=False)["model"] == R.MODEL_EXP     # lambda_fit > 0 here


def test_exp_tail_weighted_regression_by_hand():
    a = np.array([900.0, 500.0, 350.0, 60.0])
    r = fit1(a)
    sw = np.sqrt(a)
    X = np.stack([np.ones(4), -T], axis=1) * sw[:, None]
    (c, lam), *_ = np.linalg.lstsq(X, np.log(a) * sw, rcond=None)
    assert lam > LAM
    assert r["tia"] == pytest.approx(0.5 * 900 * T[0] + 900 / lam, rel=1e-9)


def test_exp_fails_when_lambda_fit_not_positive_without_enforcement():
    # region-mode style: exp forced on a rising curve (tail = peak only) -> fails
    a = np.array([[1.0, 2.0, 3.0, 4.0]])
    ok, *_ = R.fit_exp(a, np.ones_like(a, bool), T, opt(enforce=False))
    assert ok.tolist() == [False]


# ---------------------------------------------------------------- §4 hybrid
def test_hybrid_trapezoid_plus_tail_by_hand():
    t = np.array([1.0, 2.0, 4.0]) * 3600
    a = np.array([10.0, 20.0, 30.0])
    r = fit1(a, t)
    assert r["cls"] == R.CLASS_RISING and r["model"] == R.MODEL_HYBRID
    want = 0.5 * 10 * 3600 + 0.5 * 30 * 3600 + 0.5 * 50 * 7200 + 30 / LAM
    assert r["tia"] == pytest.approx(want, rel=1e-14)
    assert math.isnan(r["tpeak"])
    # leave-one-out prediction at the interior point: between (1h,10) and (4h,30) at 2h
    p1 = 10 + 20 * (1.0 / 3.0)
    assert r["pred"].tolist() == pytest.approx([10.0, p1, 30.0], rel=1e-14)
    ss_res = (20 - p1) ** 2
    ss_tot = ((a - 20) ** 2).sum()
    assert r["r2"] == pytest.approx(1 - ss_res / ss_tot, rel=1e-12)
    r0 = fit1(a, t, include_t0=False)
    assert r0["tia"] == pytest.approx(want - 0.5 * 10 * 3600, rel=1e-14)
    rl = fit1(a, t, rising_mode="peak_at_last")
    assert rl["tpeak"] == t[-1]


def test_hybrid_prediction_at_invalid_times_and_two_points():
    a = np.array([[0.0, 10.0, 0.0, 40.0, 0.0]])
    t = np.array([1.0, 2.0, 3.0, 5.0, 6.0])
    p = R.hybrid_prediction(a, a > 0, t)
    # constant before the first / after the last valid point, interpolation in between
    assert p.tolist() == [[10.0, 10.0, 20.0, 40.0, 40.0]]
    r = fit1([5.0, 8.0], np.array([3600.0, 7200.0]))
    assert r["status"] == 1 and r["model"] == R.MODEL_HYBRID and math.isnan(r["r2"])
    assert r["tia"] == pytest.approx(0.5 * 5 * 3600 + 0.5 * 13 * 3600 + 8 / LAM, rel=1e-14)


def test_hybrid_nonfinite_is_status_5():
    a = np.array([1e308, 1.5e308, 1.7e308, 1.79e308])
    r = fit1(a)
    assert r["status"] == R.STATUS_NONPHYS and r["model"] == 0 and math.isnan(r["tia"])


# ---------------------------------------------------------------- §5 region mode
def test_region_scaling_by_amplitude():
    shape = gamma_curve(5e-3, 1.4, 2.2e-5)
    amps = np.array([0.5, 1.0, 2.0, 3.5])
    A = amps[:, None] * shape[None, :]
    iref = int(np.argmax(shape))                                 # t_ref: largest sample of the shape
    miss = np.ones(4)
    miss[iref] = 0.0
    A = np.vstack([A, shape * miss * 2.0])                        # missing at t_ref
    o = opt(floor_mode="relative", floor_rel=0.01)
    spec = {"class": R.CLASS_HUMP, "allowed_models": [R.MODEL_GAMMA], "default_model": R.MODEL_GAMMA}
    tac = A[:4].mean(axis=0)
    reg = R.fit_region_tac(tac, T, o, R.region_chain(spec), spec["class"])
    assert reg["status"] == 1 and reg["model"] == R.MODEL_GAMMA
    res = R.region_voxels(A, T, o, reg, voxel_level_r2=True)
    assert res["iref"] == iref == int(np.argmax(reg["pred"]))
    scale = A[:4, iref] / reg["pred"][iref]
    assert np.allclose(res["tia"][:4], scale * reg["tia"], rtol=1e-12)
    assert res["status"].tolist() == [1, 1, 1, 1, 2]
    assert math.isnan(res["tia"][4])
    assert np.allclose(res["r2"][:4], 1.0, atol=1e-9)
    assert np.allclose(res["tpeak"][:4], reg["tpeak"])
    # TIA proportional to the amplitude
    assert np.allclose(res["tia"][:4] / amps, res["tia"][1], rtol=1e-9)
    # region R^2 broadcast when voxel_level_r2 is false
    res2 = R.region_voxels(A, T, o, reg, voxel_level_r2=False)
    assert np.all(res2["r2"][:4] == reg["r2"])


def test_region_chain_fallback_and_status_3():
    o = opt(floor_mode="relative", floor_rel=0.5)                 # only 2 valid points
    tac = np.array([1.0, 10.0, 9.0, 1.0])
    only_gamma = {"class": R.CLASS_HUMP, "allowed_models": [R.MODEL_GAMMA], "default_model": R.MODEL_GAMMA}
    reg = R.fit_region_tac(tac, T, o, R.region_chain(only_gamma), R.CLASS_HUMP)
    assert reg["status"] == R.STATUS_FIT_FAILED
    both = {"class": R.CLASS_HUMP, "allowed_models": [R.MODEL_GAMMA, R.MODEL_HYBRID], "default_model": R.MODEL_GAMMA}
    reg = R.fit_region_tac(tac, T, o, R.region_chain(both), R.CLASS_HUMP)
    assert reg["status"] == 1 and reg["model"] == R.MODEL_HYBRID
    res = R.region_voxels(np.array([tac, 2 * tac, np.zeros(4)]), T, o, reg, False)
    assert res["status"].tolist() == [1, 1, 2]      # no valid point at t_ref: 2 (spec §5), even with none at all
    assert res["tia"][1] == pytest.approx(2 * reg["tia"], rel=1e-12)
    # only gamma allowed and its fit is non-physical (alpha <= 0): status 5, every voxel inherits it
    bad = np.array([88.94878343, 93.4043516, 48.58353588, 35.77951967])
    reg = R.fit_region_tac(bad, T, opt(), R.region_chain(only_gamma), R.CLASS_HUMP)
    assert reg["status"] == R.STATUS_NONPHYS
    assert R.region_voxels(np.array([bad]), T, opt(), reg, False)["status"].tolist() == [5]
    # the default model's failure status is kept when the later ones fail too
    chain = {"class": R.CLASS_HUMP, "allowed_models": [R.MODEL_GAMMA, R.MODEL_EXP], "default_model": R.MODEL_GAMMA}
    rising = np.array([1.0, 2.0, 4.0, 8.0])
    reg = R.fit_region_tac(rising, T, opt(enforce=False), R.region_chain(chain), R.CLASS_HUMP)
    assert reg["status"] in (R.STATUS_FIT_FAILED, R.STATUS_NONPHYS)
    g_ok, _, _, _, g_fail = R.fit_gamma(rising[None], np.ones((1, 4), bool), T, opt(enforce=False))
    assert not g_ok[0] and reg["status"] == g_fail[0]


# ---------------------------------------------------------------- §6 bootstrap
def boot_setup(n=50, seed=11):
    rng = np.random.default_rng(seed)
    base = np.stack([gamma_curve(3e-3, 1.4, 2.2e-5), 1000 * np.exp(-3 * LAM * T), np.array([1.0, 3, 6, 9])])
    a = base[rng.integers(0, 3, n)] * (1 + 0.1 * rng.standard_normal((n, 4)))
    o = opt(floor_mode="relative", floor_rel=0.01)
    r = R.fit_voxels(a, T, o)
    assert np.all(r["status"] == 1)
    ids = rng.choice(10**6, n, replace=False).astype(np.uint64)
    return a, r, o, ids


def test_bootstrap_synthetic_sample_by_hand():
    a, r, o, ids = boot_setup(5)
    v, pred = r["valid"], r["pred"]
    astar = R.bootstrap_synthetic(a, v, pred, R.voxel_keys(9, ids), 3, T)
    for n in range(5):
        vi = np.flatnonzero(v[n])
        res = a[n, vi] - pred[n, vi]
        for i in range(4):
            j = py_splitmix(py_splitmix(py_splitmix(9) ^ int(ids[n])) ^ ((3 << 8) | i)) % len(vi)
            assert astar[n, i] == max(pred[n, i] + res[j], 0.0)


def test_bootstrap_reproducible_by_seed_and_order_independent():
    a, r, o, ids = boot_setup()
    args = (a, r["valid"], r["pred"], r["model"], ids, T, o, 30)
    s1 = R.bootstrap_voxels(*args, seed=5, reclassify=True)
    s2 = R.bootstrap_voxels(*args, seed=5, reclassify=True)
    s3 = R.bootstrap_voxels(*args, seed=6, reclassify=True)
    assert np.array_equal(s1, s2, equal_nan=True)
    assert not np.allclose(s1, s3, equal_nan=True)
    assert np.all(np.isfinite(s1)) and np.all(s1 > 0)
    # rows in another order (other chunking / ranks): the same value per voxel id
    p = np.random.default_rng(1).permutation(len(a))
    sp = R.bootstrap_voxels(a[p], r["valid"][p], r["pred"][p], r["model"][p], ids[p], T, o, 30, 5, True)
    assert np.array_equal(sp, s1[p], equal_nan=True)
    # population std (ddof 0) by hand for one voxel with a non-trivial sigma
    n = int(np.flatnonzero(s1 > 1e-3 * r["tia"])[0])
    vk = R.voxel_keys(5, ids[n:n + 1])
    tias = []
    for b in range(30):
        ast = R.bootstrap_synthetic(a[n:n + 1], r["valid"][n:n + 1], r["pred"][n:n + 1], vk, b, T)
        rr = R.fit_voxels(ast, T, o)
        if rr["status"][0] == 1:
            tias.append(rr["tia"][0])
    assert s1[n] == pytest.approx(np.std(tias), rel=1e-10)
    # without reclassification the baseline model is kept (no fallback): by hand for voxel n
    sf = R.bootstrap_voxels(*args, seed=5, reclassify=False)
    tias = []
    for b in range(30):
        ast = R.bootstrap_synthetic(a[n:n + 1], r["valid"][n:n + 1], r["pred"][n:n + 1], vk, b, T)
        v = R.valid_points(ast, o)
        if v.sum() < 2:
            continue
        fit = {R.MODEL_GAMMA: R.fit_gamma, R.MODEL_EXP: R.fit_exp}.get(int(r["model"][n]))
        res = fit(ast, v, T, o) if fit else R.fit_hybrid(ast, v, T, o, r["cls"][n:n + 1])
        if res[0][0]:
            tias.append(res[1][0])
    assert sf[n] == pytest.approx(np.std(tias), rel=1e-10)


def test_bootstrap_zero_residuals_give_zero_sigma():
    a = np.array([gamma_curve(3e-3, 1.4, 2.2e-5)])
    r = R.fit_voxels(a, T, opt())
    s = R.bootstrap_voxels(a, r["valid"], r["pred"], r["model"], np.array([3], np.uint64), T, opt(), 10, 0, True)
    assert s[0] == pytest.approx(0.0, abs=1e-6 * r["tia"][0])


# ---------------------------------------------------------------- §8 configuration and CLI
def test_config_defaults_errors_and_units(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"inputs": {"images": ["a", "b"], "times": [1, 2]},
                                 "physics": {"half_life_seconds": 100}}))
    cfg, raw, base = R.load_config(str(p))
    assert cfg["bootstrap"]["replicates"] == 50 and cfg["noise_floor"]["relative_fraction"] == 0.01
    assert cfg["denoise"]["sigma_mm"] == 2.0 and cfg["mask"]["mode"] == "otsu"
    assert cfg["performance"]["chunk_size_vox"] == 500000
    cfg, *_ = R.load_config(str(p), ["bootstrap.replicates=7"])
    assert cfg["bootstrap"]["replicates"] == 7
    bad = [({"physics": {"half_life_seconds": 100, "colour": 1}}, "physics.colour"),
           ({"physics": {"half_life_seconds": "x"}}, "physics.half_life_seconds"),
           ({"physics": {"half_life_seconds": -1}}, "half_life_seconds"),
           ({"physics": {"half_life_seconds": 100}, "bootstrap": {"replicates": True}}, "bootstrap.replicates"),
           ({"physics": {"half_life_seconds": 100}, "nonsense": {}}, "nonsense"),
           ({"physics": {"half_life_seconds": 100}, "mask": {"mode": "magic"}}, "mask.mode")]
    for extra, key in bad:
        d = {"inputs": {"images": ["a", "b"], "times": [1, 2]}}
        d.update(extra)
        p.write_text(yaml.safe_dump(d))
        with pytest.raises(R.InputError, match=key.replace(".", r"\.")):
            R.load_config(str(p))
    p.write_text(yaml.safe_dump({"inputs": {"images": ["a", "b"], "times": [1, 2, 3]},
                                 "physics": {"half_life_seconds": 100}}))
    with pytest.raises(R.InputError, match="inputs.times"):
        R.load_config(str(p))


def test_cli_end_to_end_synthetic():
    with tempfile.TemporaryDirectory(prefix="vf_tiaref_") as d:
        paths = R.write_synthetic_inputs(os.path.join(d, "syn"))
        o1, o2 = os.path.join(d, "o1"), os.path.join(d, "o2")
        cmd = [sys.executable, os.path.join(SRC, "bench", "tia_numpy_reference.py"), "--config", paths["voxel_config"]]
        r = subprocess.run(cmd + ["-o", o1], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "peak RSS" in r.stdout and "bootstrap" in r.stdout
        r = subprocess.run(cmd + ["-o", o2, "--chunk", "37", "--set", "io.prefix=p"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        ref = nib.load(os.path.join(paths["dir"], "act_1.nii.gz"))
        for nm, dt in [("tia", np.float32), ("r2", np.float32), ("sigma_tia", np.float32), ("tpeak", np.float32),
                       ("model_id", np.uint8), ("status_id", np.uint8)]:
            a = nib.load(os.path.join(o1, nm + ".nii.gz"))
            b = nib.load(os.path.join(o2, "p_" + nm + ".nii.gz"))
            assert a.shape == ref.shape and np.allclose(a.affine, ref.affine)
            assert a.get_data_dtype() == dt
            assert np.array_equal(np.asarray(a.dataobj), np.asarray(b.dataobj), equal_nan=True), nm
        st = np.asarray(nib.load(os.path.join(o1, "status_id.nii.gz")).dataobj)
        lab = np.asarray(nib.load(paths["labels"]).dataobj)
        assert np.all(st[lab == 0] == 0) and (st[lab > 0] == 1).mean() > 0.95
        tia = np.asarray(nib.load(os.path.join(o1, "tia.nii.gz")).dataobj)
        assert np.all(np.isnan(tia[st != 1])) and np.all(tia[st == 1] > 0)
        s = yaml.safe_load(open(os.path.join(o1, "tia_summary.yaml")))
        assert s["status_counts"]["OK"] == int((st == 1).sum())
        assert set(s["timing_ms"]) >= {"load", "mask", "denoise", "fit", "bootstrap", "save"}
        bad = os.path.join(d, "bad.yaml")
        cfg = yaml.safe_load(open(paths["voxel_config"]))
        cfg["inputs"]["times"] = cfg["inputs"]["times"][:3]
        with open(bad, "w") as f:
            yaml.safe_dump(cfg, f)
        r = subprocess.run([sys.executable, cmd[1], "--config", bad, "-o", os.path.join(d, "o3")],
                           capture_output=True, text=True)
        assert r.returncode == 2 and "inputs.times" in r.stderr and not os.path.exists(os.path.join(d, "o3"))
