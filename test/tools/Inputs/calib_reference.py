#!/usr/bin/env python3
"""Check condense's percentile, entropy and mse ranges against numpy.

Usage: calib_reference.py DIR PERCENTILE RANGES_PERCENTILE RANGES_ENTROPY RANGES_MSE
       calib_reference.py --auto TABLE RANGES

DIR is what make_calib_data.py wrote; the ranges files are `condense
calibrate tiny.onnx --calibration DIR/x.npy` with each method.  The values
of tiny.onnx (%x, %t = Relu(x + b), %m = -3 x) are recomputed here in
float32 from x.npy, and for each:

  percentile  the exact order statistic of the raw values (the t-th of n
              sorted values, t = n (100 - P) / 200 from each end) lies
              within one histogram bin width of condense's bound;
  entropy     the threshold condense chose minimizes TensorRT's KL
              divergence (computed here in numpy, on a histogram of |x|
              built here from the raw values with the bin width rule of
              passes/calibrate.h) to within a relative 1e-9 over all
              candidate thresholds;
  mse         the range's quantize-dequantize squared error on the raw
              values is within 1% of the least over a 64 x 64 grid of
              (lo, hi) candidates (condense optimizes the error under its
              histogram; the raw error may differ by that much).

Every range must also include 0.  With --auto, TABLE is the -v table of
an auto run and RANGES its ranges file: each value's range must be the
range of the method the table names as chosen.  Prints "ok LABEL METHOD
..." per check; exits 1 after printing "FAIL ..." for any that fails.
"""
import math
import os
import sys

import numpy as np

BINS = 2048
failed = False


def read_ranges(path):
    r = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            label, lo, hi = line.split()
            r[label] = (float(lo), float(hi))
    return r


def check(ok, what):
    global failed
    print(("ok " if ok else "FAIL ") + what)
    failed |= not ok


def fits(w, lo, hi):
    return math.floor(hi / w) - math.floor(lo / w) + 1 <= BINS


def final_width(samples):
    """The histogram width after all samples (passes/calibrate.h): the least
    power of two, never shrinking, >= max|x| * 2^-40, at which the nonzero
    values seen so far fit in 2048 cells of the zero-anchored grid."""
    w, lo, hi = 0.0, math.inf, -math.inf
    for s in samples:
        nz = s[s != 0].astype(np.float64)
        if nz.size == 0:
            continue
        lo, hi = min(lo, nz.min()), max(hi, nz.max())
        floor_w = max(abs(lo), abs(hi)) * 2.0 ** -40
        w = max(w, 2.0 ** math.ceil(math.log2(floor_w)))
        while not fits(w, lo, hi):
            w *= 2
    return w


def folded_hist(values, w):
    """Counts of nonzero |x| per cell, merged 2^k-fold to at most 2048."""
    v = values[values != 0].astype(np.float64)
    cells = np.floor(v / w).astype(np.int64)
    folded = np.where(cells < 0, -cells - 1, cells)
    sh = 0
    while (int(folded.max()) >> sh) + 1 > BINS:
        sh += 1
    return np.bincount(folded >> sh).astype(np.float64), w * 2 ** sh


def kl_divergences(b, nq):
    """TensorRT's KL(P || Q) for every candidate edge i in [nq, len(b)]."""
    n = len(b)
    out = {}
    for i in range(nq, n + 1):
        p = b[:i].copy()
        p[-1] += b[i:].sum()
        groups = (np.arange(i) * nq) // i
        nonzero = b[:i] != 0
        gsum = np.bincount(groups, weights=b[:i], minlength=nq)
        gcnt = np.bincount(groups, weights=nonzero.astype(np.float64), minlength=nq)
        q = np.where(nonzero, gsum[groups] / np.maximum(gcnt[groups], 1), 0.0)
        p, q = p / p.sum(), q / q.sum()
        m = p > 0
        out[i] = math.inf if np.any(q[m] == 0) else float(np.sum(p[m] * np.log(p[m] / q[m])))
    return out


def qdq_error(v, lo, hi):
    s = (hi - lo) / 255.0
    if s == 0:
        return float(np.mean(v ** 2))
    z = np.clip(np.round(-128.0 - lo / s), -128, 127)
    q = np.clip(np.round(v / s) + z, -128, 127)
    return float(np.mean(((q - z) * s - v) ** 2))


def check_percentile(label, samples, w, p, r):
    v = np.sort(np.concatenate([s.ravel() for s in samples]).astype(np.float64))
    t = len(v) * (100.0 - p) / 200.0
    k = max(math.ceil(t) - 1, 0)
    lo, hi = min(v[k], 0.0), max(v[len(v) - 1 - k], 0.0)
    check(abs(r[0] - lo) <= w and abs(r[1] - hi) <= w,
          "%s percentile [%.6g, %.6g] vs order statistics [%.6g, %.6g], bin %.3g" % (label, *r, lo, hi, w))


def check_entropy(label, samples, w, r):
    v = np.concatenate([s.ravel() for s in samples])
    b, fw = folded_hist(v, w)
    vmin, vmax = float(v.min()), float(v.max())
    nq = 255 if vmin >= 0 or vmax <= 0 else 128
    top = max(-vmin, vmax)
    if len(b) <= nq:
        check(r == (min(vmin, 0), max(vmax, 0)), "%s entropy: fewer bins than levels, no clipping" % label)
        return
    kl = kl_divergences(b, nq)
    # the threshold T condense chose: the clipped bound, or no clipping (i = len(b))
    t = max(-r[0], r[1]) if max(-r[0], r[1]) < top else None
    i = len(b) if t is None else int(round(t / fw))
    best = min(kl.values())
    exact = t is None or abs(i * fw - t) <= 1e-6 * t
    check(exact and i in kl and kl[i] <= best * (1 + 1e-9) + 1e-15,
          "%s entropy threshold %s (bin %d of %d, %d levels): KL %.6g, least %.6g"
          % (label, "none" if t is None else "%.6g" % t, i, len(b), nq, kl.get(i, math.nan), best))


def check_mse(label, samples, r):
    v = np.concatenate([s.ravel() for s in samples]).astype(np.float64)
    lo0, hi0 = min(v.min(), 0.0), max(v.max(), 0.0)
    fs = np.arange(1, 65) / 64.0
    best = min(qdq_error(v, lo0 * a, hi0 * b) for a in fs for b in fs)
    got = qdq_error(v, *r)
    check(got <= 1.01 * best, "%s mse [%.6g, %.6g]: error %.6g, grid's least %.6g" % (label, *r, got, best))


def check_auto(table, ranges):
    methods = ["minmax", "percentile", "entropy", "mse"]
    r = read_ranges(ranges)
    rows = 0
    with open(table) as f:
        for line in f:
            if line.startswith("#"):
                continue
            cols = line.split()
            label, pairs, chosen = cols[0], [float(c) for c in cols[4:12]], cols[12]
            want = pairs[2 * methods.index(chosen):][:2] if chosen in methods else [math.nan] * 2
            close = all(abs(a - b) <= 1e-5 * max(abs(b), 1e-30) for a, b in zip(r[label], want))
            check(close, "%s auto chose %s: [%.6g, %.6g]" % (label, chosen, *r[label]))
            rows += 1
    check(rows == len(r), "auto: %d values in the table, %d in the ranges" % (rows, len(r)))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--auto":
        check_auto(sys.argv[2], sys.argv[3])
        sys.exit(1 if failed else 0)
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    d, p = sys.argv[1], float(sys.argv[2])
    rp, re, rm = (read_ranges(f) for f in sys.argv[3:6])
    x = np.load(os.path.join(d, "x.npy"))
    b = np.linspace(-1, 1, 512).astype(np.float32).reshape(1, 512)
    values = {"%x": x, "%t": np.maximum(x + b, np.float32(0)), "%m": x * np.float32(-3)}
    for label, tensor in values.items():
        samples = list(tensor)
        w = final_width(samples)
        for r in (rp[label], re[label], rm[label]):
            check(r[0] <= 0 <= r[1], "%s range [%.6g, %.6g] includes 0" % (label, *r))
        check_percentile(label, samples, w, p, rp[label])
        check_entropy(label, samples, w, re[label])
        check_mse(label, samples, rm[label])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
