#!/usr/bin/env python3
"""Throughput of single int8 layers: condense-compiled vs ONNX Runtime.

Usage (from the repository root, with the benchmark venv's Python, which has
onnx and onnxruntime):

    .venv-bench/bin/python bench/int8_layers.py [--condense BIN] [--work DIR]
        [--seconds S] [--only NAME,...] [--no-ort]

Each layer is a one-node QOperator model (QLinearConv or QLinearMatMul; u8
activations, i8 weights per output channel, every parameter an initializer,
as ONNX Runtime's quantization tool writes them).  condense compiles it for
the host (`condense compile`, default target) and bench/timing.c times the
object; ONNX Runtime runs the same file with one intra-op and one inter-op
thread and all graph optimizations.  Both report the median latency of a
call; the table gives GMAC/s = multiply-accumulates / median time.  Nothing
is asserted: this measures.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name, kind, (c_in, h, w), c_out, kernel, stride, pad, group
LAYERS = [
    ("conv3x3_64_56", "conv", (64, 56, 56), 64, 3, 1, 1, 1),
    ("conv3x3_256_14", "conv", (256, 14, 14), 256, 3, 1, 1, 1),
    ("conv3x3s2_64_56", "conv", (64, 56, 56), 128, 3, 2, 1, 1),
    ("conv1x1_64_256_56", "conv", (64, 56, 56), 256, 1, 1, 0, 1),
    ("conv1x1_144_24_56", "conv", (144, 56, 56), 24, 1, 1, 0, 1),
    ("conv1x1_32_16_112", "conv", (32, 112, 112), 16, 1, 1, 0, 1),
    ("conv7x7s2_3_64_224", "conv", (3, 224, 224), 64, 7, 2, 3, 1),
    ("dw3x3_32_112", "conv", (32, 112, 112), 32, 3, 1, 1, 32),
    ("dw3x3s2_96_112", "conv", (96, 112, 112), 96, 3, 2, 1, 96),
    ("fc_512_1000", "matmul", (1, 512), 1000, 0, 0, 0, 0),
]


def init(name, arr):
    return numpy_helper.from_array(arr, name)


def conv_model(spec, rng):
    name, _, (c, h, w), m, k, s, p, grp = spec
    oh = (h + 2 * p - k) // s + 1
    ow = (w + 2 * p - k) // s + 1
    wt = rng.integers(-127, 128, size=(m, c // grp, k, k), dtype=np.int8)
    ws = (rng.random(m, dtype=np.float32) * 0.004 + 0.001).astype(np.float32)
    bias = rng.integers(-2000, 2000, size=m, dtype=np.int32)
    inits = [init("xs", np.float32(0.02)), init("xz", np.uint8(128)), init("w", wt),
             init("ws", ws), init("wz", np.zeros(m, np.int8)), init("ys", np.float32(0.05)),
             init("yz", np.uint8(120)), init("b", bias)]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                            ["y"], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4, group=grp)
    g = helper.make_graph([node], name,
                          [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, c, h, w])],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, m, oh, ow])],
                          inits)
    macs = m * oh * ow * (c // grp) * k * k
    return g, macs, (1, c, h, w)


def matmul_model(spec, rng):
    name, _, (rows, kk), n, *_ = spec
    wt = rng.integers(-127, 128, size=(kk, n), dtype=np.int8)
    ws = (rng.random(n, dtype=np.float32) * 0.004 + 0.001).astype(np.float32)
    inits = [init("xs", np.float32(0.02)), init("xz", np.uint8(128)), init("w", wt),
             init("ws", ws), init("wz", np.zeros(n, np.int8)), init("ys", np.float32(0.05)),
             init("yz", np.uint8(120))]
    node = helper.make_node("QLinearMatMul", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"])
    g = helper.make_graph([node], name,
                          [helper.make_tensor_value_info("x", TensorProto.UINT8, [rows, kk])],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, [rows, n])],
                          inits)
    return g, rows * kk * n, (rows, kk)


def make_model(spec, path):
    rng = np.random.default_rng(1234)
    g, macs, xshape = (conv_model if spec[1] == "conv" else matmul_model)(spec, rng)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    x = rng.integers(0, 256, size=xshape, dtype=np.uint8)
    return macs, x


def condense_time(binary, onnx_path, x, work, seconds):
    base = os.path.splitext(onnx_path)[0]
    obj, hdr, exe, xin = base + ".o", base + ".h", base + ".timing", base + ".x.bin"
    subprocess.run([binary, "compile", onnx_path, "--name", "m", "-o", obj, "--header", hdr],
                   check=True)
    subprocess.run(["cc", "-O2", "-std=c11", "-I", work, "-I", os.path.join(ROOT, "runtime"),
                    "-DMODEL_HEADER=\"%s\"" % os.path.basename(hdr), "-DMODEL_DESC=m_model",
                    os.path.join(ROOT, "bench", "timing.c"), obj, "-o", exe], check=True)
    x.tofile(xin)
    out = subprocess.run([exe, "--in", xin, "--seconds", str(seconds)], check=True,
                         capture_output=True, text=True).stdout
    vals = dict(line.split() for line in out.splitlines() if line.strip())
    return float(vals["median_us"])


def ort_time(onnx_path, x, seconds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    feed = {"x": x}
    for _ in range(3):
        sess.run(None, feed)
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 10:
        t0 = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--condense", default=os.path.join(ROOT, "build", "bin", "condense"))
    ap.add_argument("--work", default="/tmp/int8_layers")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-ort", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    only = set(a.only.split(",")) - {""}
    print("%-22s %9s %12s %9s %12s %9s" % ("layer", "MMAC", "condense_us", "GMAC/s", "ort_us",
                                            "GMAC/s"))
    for spec in LAYERS:
        if only and spec[0] not in only:
            continue
        path = os.path.join(a.work, spec[0] + ".onnx")
        macs, x = make_model(spec, path)
        cu = condense_time(a.condense, path, x, a.work, a.seconds)
        ou = float("nan") if a.no_ort else ort_time(path, x, a.seconds)
        print("%-22s %9.1f %12.1f %9.2f %12.1f %9.2f" % (spec[0], macs / 1e6, cu, macs / cu / 1e3,
                                                        ou, macs / ou / 1e3))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
