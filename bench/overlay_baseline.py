"""Baseline for bench_overlay: the same overlay drawn the way a Python user (or the original Rust
tool's pipeline, re-expressed) would: numpy normalisation, matplotlib's colormap lookup, numpy
alpha blending, numpy montage, PIL PNG encoding. Prints 'name milliseconds' lines (median of reps).
    /usr/bin/python3 bench/overlay_baseline.py [REPS]
"""
import io
import sys
import time

import matplotlib
import numpy as np
from PIL import Image


def synthetic(n, k=0.0):
    y, x = np.mgrid[0:n, 0:n]
    u, v = (x + 0.5) / n - 0.5, (y + 0.5) / n - 0.5
    grey = (600.0 * (u * u + v * v < 0.16) + 100.0 * np.sin(8 * u + k) * np.cos(6 * v)).astype(np.float32)
    heat = np.exp(-((u - 0.1 + 0.01 * k) ** 2 + (v + 0.1) ** 2) / 0.02).astype(np.float32)
    return grey, heat


def draw(grey, heat, cmap, opacity=0.6):
    lo, hi = np.nanmin(grey), np.nanmax(grey)
    g = np.rint(255.0 * np.clip((grey - lo) / (hi - lo), 0, 1))
    base = np.stack([g, g, g], axis=-1)
    p5, p95 = np.percentile(heat, [5, 95])
    t = np.clip((heat - p5) / (p95 - p5), 0, 1)
    col = cmap(t, bytes=True)[..., :3].astype(np.float64)
    out = np.rint(opacity * col + (1 - opacity) * base).astype(np.uint8)
    return np.dstack([out, np.full(out.shape[:2], 255, np.uint8)])


def montage(tiles, cols, gap=4):
    h, w = tiles[0].shape[:2]
    rows = (len(tiles) + cols - 1) // cols
    out = np.zeros((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, 4), np.uint8)
    out[..., 3] = 255
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = t
    return out


def png(img):
    buf = io.BytesIO()
    Image.fromarray(img, "RGBA").save(buf, format="PNG")
    return buf.getvalue()


def timed(f, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(ts))


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    cmap = matplotlib.colormaps["viridis"]
    grey, heat = synthetic(512)
    vol = [synthetic(128, k) for k in range(9)]
    print("overlay_512_ms", timed(lambda: draw(grey, heat, cmap), reps))
    print("overlay_512_png_ms", timed(lambda: png(draw(grey, heat, cmap)), reps))
    print("montage_3x3_ms", timed(lambda: montage([draw(g, h, cmap) for g, h in vol], 3), reps))


if __name__ == "__main__":
    main()
