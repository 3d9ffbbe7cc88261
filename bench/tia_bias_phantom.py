#!/usr/bin/env python3
"""Bias of `voxflow tia` on the physiological phantom (issue 16; docs/tia_models.md "Bias on
physiological kinetics"): `voxflow phantom --tia --kinetics physiological` at 4 (4, 24, 48, 168 h)
and 5 (1, 4, 24, 72, 168 h) time points, noiseless and with 5 % noise, fitted voxel by voxel
(mask = the label map, no smoothing, no bootstrap) with the design's choice and with each
selection; prints a markdown table of the voxel TIA error against tia_truth.nii.gz (median signed,
median |error|, 95th percentile |error|) over all body voxels and the median signed error per organ.
    python3 bench/tia_bias_phantom.py [--voxflow build/voxflow] [--size 64]"""
import argparse
import csv
import os
import subprocess
import tempfile

import nibabel as nib
import numpy as np

VARIANTS = [("design (default)", []),
            ("aic [gamma, monoexp, biexp]", ["models.selection=aic", "models.candidates=[gamma,monoexp,biexp]"]),
            ("aicc [gamma, monoexp, biexp]", ["models.selection=aicc", "models.candidates=[gamma,monoexp,biexp]"]),
            ("[biexp]", ["models.selection=aicc", "models.candidates=[biexp]"])]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxflow", default="build/voxflow")
    ap.add_argument("--size", type=int, default=64)
    a = ap.parse_args()
    vf = os.path.abspath(a.voxflow)
    with tempfile.TemporaryDirectory(prefix="vf_tia_bias_") as w:
        print(f"physiological phantom {a.size}^3 ({512 / a.size:g} mm), voxel mode, mask = labels, no smoothing, "
              "no bootstrap; error = (TIA - tia_truth) / tia_truth over the voxels with label > 0\n")
        organ_names = None
        rows = []
        for times in ("4,24,48,168", "1,4,24,72,168"):
            for noise in ("0", "0.05"):
                ph = os.path.join(w, f"ph_{times}_{noise}")
                subprocess.run([vf, "phantom", "--tia", "--kinetics", "physiological", "--size", str(a.size),
                                "--times-h", times, "--noise", noise, "-o", ph], check=True, capture_output=True)
                labels = np.asarray(nib.load(os.path.join(ph, "labels.nii.gz")).dataobj)
                truth = np.asarray(nib.load(os.path.join(ph, "tia_truth.nii.gz")).dataobj).astype(np.float64)
                with open(os.path.join(ph, "phantom_organs.csv")) as f:
                    organ_names = {int(r["label"]): r["name"] for r in csv.DictReader(f)}
                for name, sets in VARIANTS:
                    out = os.path.join(ph, "out_" + str(abs(hash(name))))
                    cmd = [vf, "tia", "--config", os.path.join(ph, "tia.yaml"), "-o", out, "--no-progress",
                           "--bootstrap", "0", "--set", "denoise.enabled=false", "--set", "mask.mode=file",
                           "--set", "mask.path=" + os.path.join(ph, "labels.nii.gz")]
                    for kv in sets:
                        cmd += ["--set", kv]
                    subprocess.run(cmd, check=True, capture_output=True)
                    tia = np.asarray(nib.load(os.path.join(out, "tia.nii.gz")).dataobj).astype(np.float64)
                    sel = labels > 0
                    err = (tia[sel] - truth[sel]) / truth[sel]
                    failed = int(np.isnan(err).sum())
                    e = err[np.isfinite(err)]
                    per = []
                    for lab in range(1, 9):
                        m = labels[sel] == lab
                        ee = err[m]
                        ee = ee[np.isfinite(ee)]
                        per.append(f"{100 * np.median(ee):+.1f}" if ee.size else "")
                    rows.append((times.replace(",", ", "), f"{float(noise) * 100:g} %", name,
                                 f"{100 * np.median(e):+.2f} %", f"{100 * np.median(np.abs(e)):.2f} %",
                                 f"{100 * np.percentile(np.abs(e), 95):.2f} %", str(failed), *per))
        head = ["times (h)", "noise", "models", "median signed", "median abs", "p95 abs", "not fitted"] + \
               [organ_names[lab] + " (median %)" for lab in range(1, 9)]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
