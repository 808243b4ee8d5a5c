#!/usr/bin/env python3
"""Write the tiny models and calibration data the `condense calibrate` tests use.

Usage: make_calib_data.py DIR

Models (opset 13):
  tiny.onnx   x f32[1,512] -> Add(x, b) -> Relu -> "r";  Mul(x, -3) -> "m"
              (the pipeline fuses the Relu into the Add, whose result is "t")
  two.onnx    a f32[1,3], b f32[2,2] -> Mul(a, a) -> "aa";  Neg(b) -> "nb"
  colon.onnx  "in:0" f32[1,2] -> Neg -> "out"  (an input name no file can spell)
  unsupported.onnx  x f32[2,2] -> Det;  malformed.onnx  not a model
Calibration data for tiny.onnx, 40 samples of x (Gaussian, sigma 1.5, mean
0.2, seeded; sample 3 has +25 and sample 20 has -30 as outliers):
  x.npy          f32[40,1,512]    the (N, *shape) layout
  x_flat.npy     f32[40,512]      the (N, *shape[1:]) layout (batch dim 1)
  xdir/          one input, a file per group, in name order: 00.npy holds
                 samples 0..9 (f32[10,1,512]), then one file per sample,
                 alternately f32[1,512] and f32[1,1,512]
  xsub/NN/x.npy  one input, a subdirectory per sample
  expected_minmax.txt, expected_minmax25.txt   the minmax ranges file for
                 all 40 samples and for the first 25 (numpy's arithmetic)
Data for two.onnx (6 samples):
  two_inputs/a.npy f32[6,3], two_inputs/b.npy f32[6,2,2]   per-input files
  two_samples/sK/{a,b}.npy   one subdirectory per sample; s4 holds two
  expected_two.txt           its minmax ranges file
Bad data, for the error tests:
  x_i32.npy (int32), x_f64.npy (float64), x_shape.npy f32[40,1,511],
  x_empty.npy f32[0,1,512], x_nan.npy (a NaN in sample 2), x_trunc.npy
  (cut short), not_npy.npy (text), bad_count/{a.npy: 6 samples, b.npy: 5},
  missing/a.npy only, extra/{a,b,c}.npy, mixed/{s0/, a.npy}, empty/;
  for colon.onnx: colon/s0/in_0.npy [[-1.5, 0.5]] (good: the name with ':'
  as '_') and
  twice/s0/{in:0.npy, in_0.npy} (two files for one input)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
N = 40


def save_model(out, name, nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def vinfo(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def models(out):
    b = np.linspace(-1, 1, 512).astype(np.float32).reshape(1, 512)
    save_model(out, "tiny", [
        helper.make_node("Add", ["x", "b"], ["t"], name="add"),
        helper.make_node("Relu", ["t"], ["r"], name="relu"),
        helper.make_node("Mul", ["x", "k"], ["m"], name="mul"),
    ], [vinfo("x", [1, 512])], [vinfo("r", [1, 512]), vinfo("m", [1, 512])],
        [numpy_helper.from_array(b, "b"), numpy_helper.from_array(np.array(-3, np.float32), "k")])
    save_model(out, "two", [
        helper.make_node("Mul", ["a", "a"], ["aa"]),
        helper.make_node("Neg", ["b"], ["nb"]),
    ], [vinfo("a", [1, 3]), vinfo("b", [2, 2])], [vinfo("aa", [1, 3]), vinfo("nb", [2, 2])])
    save_model(out, "colon", [helper.make_node("Neg", ["in:0"], ["out"])],
               [vinfo("in:0", [1, 2])], [vinfo("out", [1, 2])])
    save_model(out, "unsupported", [helper.make_node("Det", ["x"], ["d"])],
               [vinfo("x", [2, 2])], [vinfo("d", [])])
    with open(os.path.join(out, "malformed.onnx"), "wb") as f:
        f.write(b"\x08\x07this is not a model")
    return b


def ranges_file(rows, samples):
    """A minmax ranges file as condense writes it: mean of per-sample min/max,
    widened to include 0, float32, 9 significant digits."""
    lines = ["# condense ranges v1", "# method minmax, samples %d" % samples]
    for label, v in rows:
        flat = v.reshape(v.shape[0], -1).astype(np.float64)
        lo = np.float32(min(flat.min(axis=1).sum() / len(flat), 0.0))
        hi = np.float32(max(flat.max(axis=1).sum() / len(flat), 0.0))
        lines.append("%s %.9g %.9g" % (label, lo, hi))
    return "\n".join(lines) + "\n"


def tiny_data(out, b):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((N, 1, 512)) * 1.5 + 0.2).astype(np.float32)
    x[3, 0, 5], x[20, 0, 100] = 25, -30
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "x_flat.npy"), x.reshape(N, 512))
    os.makedirs(os.path.join(out, "xdir"))
    np.save(os.path.join(out, "xdir", "00.npy"), x[:10])
    for s in range(10, N):
        np.save(os.path.join(out, "xdir", "%02d.npy" % s), x[s] if s % 2 else x[s:s + 1])
    for s in range(N):
        os.makedirs(os.path.join(out, "xsub", "%02d" % s))
        np.save(os.path.join(out, "xsub", "%02d" % s, "x.npy"), x[s])
    t = np.maximum(x + b, 0)
    m = x * np.float32(-3)
    for name, n in (("expected_minmax.txt", N), ("expected_minmax25.txt", 25)):
        with open(os.path.join(out, name), "w") as f:
            f.write(ranges_file([("%x", x[:n]), ("%t", t[:n]), ("%m", m[:n])], n))
    return x


def two_data(out):
    rng = np.random.default_rng(11)
    a = rng.uniform(-2, 3, (6, 3)).astype(np.float32)
    bb = rng.uniform(-1, 1, (6, 2, 2)).astype(np.float32)
    os.makedirs(os.path.join(out, "two_inputs"))
    np.save(os.path.join(out, "two_inputs", "a.npy"), a)
    np.save(os.path.join(out, "two_inputs", "b.npy"), bb)
    for s in range(5):
        d = os.path.join(out, "two_samples", "s%d" % s)
        os.makedirs(d)
        if s < 4:
            np.save(os.path.join(d, "a.npy"), a[s:s + 1])
            np.save(os.path.join(d, "b.npy"), bb[s])
        else:
            np.save(os.path.join(d, "a.npy"), a[4:6].reshape(2, 1, 3))
            np.save(os.path.join(d, "b.npy"), bb[4:6])
    with open(os.path.join(out, "expected_two.txt"), "w") as f:
        f.write(ranges_file([("%a", a), ("%b", bb), ("%aa", a * a), ("%nb", -bb)], 6))
    return a, bb


def bad_data(out, x, a, bb):
    np.save(os.path.join(out, "x_i32.npy"), x.astype(np.int32))
    np.save(os.path.join(out, "x_f64.npy"), x.astype(np.float64))
    np.save(os.path.join(out, "x_shape.npy"), x[:, :, :511])
    np.save(os.path.join(out, "x_empty.npy"), x[:0])
    xn = x.copy()
    xn[2, 0, 9] = np.nan
    np.save(os.path.join(out, "x_nan.npy"), xn)
    with open(os.path.join(out, "x.npy"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "x_trunc.npy"), "wb") as f:
        f.write(data[:-4])
    with open(os.path.join(out, "not_npy.npy"), "w") as f:
        f.write("just text\n")
    for d, files in (("bad_count", {"a": a, "b": bb[:5]}), ("missing", {"a": a}),
                     ("extra", {"a": a, "b": bb, "c": a}), ("colon/s0", {"in_0": np.array([[-1.5, 0.5]], np.float32)}),
                     ("twice/s0", {"in_0": a[:1, :2], "in:0": a[:1, :2]})):
        os.makedirs(os.path.join(out, d))
        for k, v in files.items():
            np.save(os.path.join(out, d, k + ".npy"), v)
    os.makedirs(os.path.join(out, "mixed", "s0"))
    np.save(os.path.join(out, "mixed", "a.npy"), a)
    os.makedirs(os.path.join(out, "empty"))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    b = models(out)
    x = tiny_data(out, b)
    a, bb = two_data(out)
    bad_data(out, x, a, bb)


if __name__ == "__main__":
    main()
