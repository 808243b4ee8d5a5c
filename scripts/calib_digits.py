#!/usr/bin/python3
"""Compare the calibration methods on the digits example by int8 fake quantization.

Usage: /usr/bin/python3 scripts/calib_digits.py [--bin DIR] [--out DIR]
                                                [--samples N ...]

1. Regenerates the calibration set, the training split of examples/digits
   (sklearn's load_digits, scaled to [0, 1], train_test_split with
   test_size 0.25, random_state 0, stratified: as examples/digits/train.py),
   checks it equals examples/digits/train_x.npy, and saves it to
   DIR/calib_x.npy.  The held-out test split is never used for calibration.
2. Runs `condense calibrate digits.onnx --calibration DIR/calib_x.npy
   --calib-method M [--calib-samples N]` for every method M (and every N).
3. Simulates the int8 model of the TFLite convention in numpy with each
   ranges file: weights symmetric per output channel in [-127, 127]; bias
   int32 at scale s_in * s_w[c]; activations (the model input, each
   Conv+Relu output, the global average pool output and the logits)
   quantize-dequantized with the file's range (asymmetric int8, scale
   (hi - lo) / 255, zero point round(-128 - lo / scale)); MaxPool and
   Flatten pass int8 through (their input's scale).  Arithmetic in float64,
   so the only error is the quantization's.
   The same ranges also go through condense's own int8 scheme: the QDQ
   insertion pass (condense-opt --quantize-ranges, passes/quantize.h) run
   in the reference interpreter (--run-samples), against the float graph
   run the same way.
4. Prints, per method and for both simulations, held-out accuracy, top-1
   agreement with float, and the logits' SQNR against float (10 log10 of
   signal over noise power, dB) on the test split.

The value labels of the ranges files are those of the graph after condense's
compile pipeline; the script maps them to the ONNX tensor names they carry.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, "examples", "digits")
METHODS = ["minmax", "percentile", "entropy", "mse", "auto"]
PIPELINE = "canonicalize,constfold,fold-bn,fuse-activation,cse,dce"  # codegen/codegen.h CG_PIPELINE


def calibration_set():
    """The training split exactly as examples/digits/train.py makes it."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    x_train, _, _, _ = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    return np.ascontiguousarray(x_train)


def read_ranges(path):
    ranges = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            label, lo, hi = line.rsplit(None, 2)
            name = label[1:]
            if name.startswith('"'):
                name = name[1:-1]
            ranges[name] = (float(lo), float(hi))
    return ranges


def fq(x, r):
    """Asymmetric int8 quantize-dequantize with range r = (lo, hi), lo <= 0 <= hi."""
    lo, hi = r
    s = (hi - lo) / 255.0
    if s == 0:
        return np.zeros_like(x)
    z = np.clip(np.round(-128.0 - lo / s), -128, 127)
    q = np.clip(np.round(x / s) + z, -128, 127)
    return (q - z) * s


def weight_q(w):
    """Symmetric per-output-channel int8 in [-127, 127]: (dequantized w, scales)."""
    amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    s = np.where(amax > 0, amax / 127.0, 1.0)
    shape = (-1,) + (1,) * (w.ndim - 1)
    return np.clip(np.round(w / s.reshape(shape)), -127, 127) * s.reshape(shape), s


def conv3x3(x, w, b):
    """NCHW conv, 3x3, pad 1, stride 1, in float64."""
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # N,C,H,W,3,3
    return np.einsum("nchwij,ocij->nohw", win, w) + b.reshape(1, -1, 1, 1)


class Model:
    """The digits graph after condense's pipeline, from the ONNX weights."""

    def __init__(self, path):
        m = onnx.load(path)
        self.w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
        self.convs = [n for n in m.graph.node if n.op_type == "Conv"]
        self.gemm = [n for n in m.graph.node if n.op_type == "Gemm"][0]

    def run(self, x, ranges=None):
        q = (lambda name, t: fq(t, ranges[name])) if ranges else (lambda name, t: t)
        h = q("input", x.astype(np.float64))
        s_in = self.scale(ranges, "input")
        for k, node in enumerate(self.convs):
            h, s_in = self.layer(node, h, s_in, ranges, q)
            if k == 1:  # MaxPool 2x2: int8 passes through
                n, c, hh, ww = h.shape
                h = h.reshape(n, c, hh // 2, 2, ww // 2, 2).max(axis=(3, 5))
        gap = "/9/GlobalAveragePool_output_0"
        h = q(gap, h.mean(axis=(2, 3)))  # Flatten passes through
        s_in = self.scale(ranges, gap)
        w, b = self.w[self.gemm.input[1]], self.w[self.gemm.input[2]]
        if ranges:
            w, sw = weight_q(w)
            b = np.round(b / (s_in * sw)) * (s_in * sw)
        return q("logits", h @ w.T + b)

    @staticmethod
    def scale(ranges, name):
        return (ranges[name][1] - ranges[name][0]) / 255.0 if ranges else None

    def layer(self, node, h, s_in, ranges, q):
        w, b = self.w[node.input[1]], self.w[node.input[2]]
        if ranges:
            w, sw = weight_q(w)
            b = np.round(b / (s_in * sw)) * (s_in * sw)
        out = node.output[0]
        return q(out, np.maximum(conv3x3(h, w, b), 0)), self.scale(ranges, out)


def sqnr_db(ref, got):
    noise = np.sum((ref - got) ** 2)
    return float("inf") if noise == 0 else 10 * np.log10(np.sum(ref ** 2) / noise)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"),
                   help="directory of condense and condense-opt")
    p.add_argument("--out", help="directory for the calibration set and ranges (default: a temporary one)")
    p.add_argument("--samples", type=int, nargs="*", default=[0],
                   help="--calib-samples values to try (0: all)")
    args = p.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="calib-digits-")
    os.makedirs(out, exist_ok=True)

    calib = calibration_set()
    committed = np.load(os.path.join(DIGITS, "train_x.npy"))
    if not np.array_equal(calib, committed):
        sys.exit("the regenerated training split differs from examples/digits/train_x.npy")
    calib_path = os.path.join(out, "calib_x.npy")
    np.save(calib_path, calib)

    model = Model(os.path.join(DIGITS, "digits.onnx"))
    x, y = np.load(os.path.join(DIGITS, "test_x.npy")), np.load(os.path.join(DIGITS, "test_y.npy"))
    ref = model.run(x)
    torch_logits = np.load(os.path.join(DIGITS, "test_logits_torch.npy"))
    if np.max(np.abs(ref - torch_logits)) > 1e-3:
        sys.exit("the numpy model differs from PyTorch's logits; the simulation is wrong")
    opt = os.path.join(args.bin, "condense-opt")
    prep = os.path.join(out, "prep.cir")
    subprocess.run([opt, os.path.join(DIGITS, "digits.onnx"), "--passes=" + PIPELINE, "-o", prep], check=True)
    test_x = os.path.join(DIGITS, "test_x.npy")
    subprocess.run([opt, prep, "--run-samples", test_x, "--samples-out", os.path.join(out, "float.npy"),
                    "-o", os.devnull], check=True)
    ref_interp = np.load(os.path.join(out, "float.npy")).reshape(len(y), -1)
    print("calibration: %d training images (%s); evaluation: %d held-out test images"
          % (len(calib), calib_path, len(y)))
    print("%-12s %8s | %-30s | %-30s" % ("", "", "numpy fake quantization", "condense QDQ pass, interpreter"))
    print("%-12s %8s | %10s %9s %9s | %10s %9s %9s" % ("method", "samples", "accuracy", "agree", "SQNR dB",
                                                     "accuracy", "agree", "SQNR dB"))
    acc = lambda got: 100 * np.mean(got.argmax(1) == y)
    print("%-12s %8s | %9.2f%% %9s %9s | %9.2f%% %9s %9s" % ("float", "-", acc(ref), "-", "-",
                                                             acc(ref_interp), "-", "-"))
    for n in args.samples:
        for m in METHODS:
            rpath = os.path.join(out, "ranges_%s_%d.txt" % (m, n))
            cmd = [os.path.join(args.bin, "condense"), "calibrate", os.path.join(DIGITS, "digits.onnx"),
                   "--calibration", calib_path, "--calib-method", m, "-o", rpath]
            if n:
                cmd += ["--calib-samples", str(n)]
            subprocess.run(cmd, check=True)
            got = model.run(x, read_ranges(rpath))
            ypath = os.path.join(out, "int8_%s_%d.npy" % (m, n))
            subprocess.run([opt, prep, "--quantize-ranges", rpath, "--run-samples", test_x,
                            "--samples-out", ypath, "-o", os.devnull], check=True)
            q = np.load(ypath).reshape(len(y), -1)
            print("%-12s %8s | %9.2f%% %5d/%d %9.2f | %9.2f%% %5d/%d %9.2f" % (
                m, n or len(calib),
                acc(got), np.sum(got.argmax(1) == ref.argmax(1)), len(y), sqnr_db(ref, got),
                acc(q), np.sum(q.argmax(1) == ref_interp.argmax(1)), len(y), sqnr_db(ref_interp, q)))


if __name__ == "__main__":
    main()
