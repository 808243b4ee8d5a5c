#!/usr/bin/env python3
"""Write the one-node integer models of the int8 kernel differential test.

Usage: int8_models.py DIR

For each model NAME it writes DIR/NAME.onnx (opset 13, every parameter an
initializer so that the fast kernels of codegen/k_int8*.c apply) and
DIR/NAME.x.npy, the input, then prints NAME on a line of DIR/models.txt.
The cases cover the kernels' branches: 1x1 (a plain GEMM over pixels), 3x3
padded, strided, dilated, 1-D, 7x7 stride 2 on 3 channels, grouped,
depthwise (with a channel multiplier and stride 2), batches of 2, u8 and i8 activations
and weights, per-tensor and per-channel scales and zero points, u8 weights
whose zero points leave the signed-byte range (the column-sum path),
power-of-two scales (exact ties in the requantization), a multiplier above
1/2 (the accumulator clamp), extreme values (-128 * -128 products, x - z_x
= +-255), ConvInteger and MatMulInteger with i32 results, one of which
wraps modulo 2^32, and channel and row counts that fill no register tile.
Everything comes from one seeded generator: the files are the same on
every run.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NP = {"u8": np.uint8, "i8": np.int8, "i32": np.int32, "f32": np.float32}
TP = {"u8": TensorProto.UINT8, "i8": TensorProto.INT8, "i32": TensorProto.INT32}
RANGE = {"u8": (0, 255), "i8": (-128, 127)}


def ints(rng, dt, shape, lo=None, hi=None):
    a, b = RANGE[dt]
    lo = a if lo is None else lo
    hi = b if hi is None else hi
    return rng.integers(lo, hi + 1, size=shape).astype(NP[dt])


def scales(rng, n, lo=0.001, hi=0.01):
    return (rng.random(n) * (hi - lo) + lo).astype(np.float32)


def save(d, name, node, x, x_dt, y_dt, y_shape, inits, names):
    g = helper.make_graph([node], name, [helper.make_tensor_value_info("x", TP[x_dt], list(x.shape))],
                          [helper.make_tensor_value_info("y", TP[y_dt], list(y_shape))],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(d, name + ".onnx"))
    np.save(os.path.join(d, name + ".x.npy"), x)
    names.append(name)


def conv_out(h, k, s, p0, p1, dil):
    return (h + p0 + p1 - dil * (k - 1) - 1) // s + 1


def qconv(d, names, rng, name, x_dt, w_dt, y_dt, c, m, hw, k, s=1, pads=None, dil=1, group=1,
          per_channel=True, wz=None, xz=None, xs=0.02, ys=0.05, wscale=None, x=None, w=None, bias=True,
          batch=1):
    nd = len(hw)
    pads = pads if pads is not None else [0] * (2 * nd)
    out = [conv_out(hw[i], k, s, pads[i], pads[i + nd], dil) for i in range(nd)]
    x = x if x is not None else ints(rng, x_dt, [batch, c] + list(hw))
    w = w if w is not None else ints(rng, w_dt, [m, c // group] + [k] * nd)
    nsc = m if per_channel else 1
    ws = wscale if wscale is not None else scales(rng, nsc)
    if wz is None:
        wz = np.zeros(nsc, NP[w_dt]) if w_dt == "i8" else np.full(nsc, 128, np.uint8)
    xz = xz if xz is not None else (128 if x_dt == "u8" else -3)
    yz = 120 if y_dt == "u8" else -10
    inits = [("xs", np.float32(xs)), ("xz", np.array(xz, NP[x_dt])), ("w", w),
             ("ws", np.asarray(ws, np.float32).reshape(-1) if per_channel else np.float32(ws[0])),
             ("wz", np.asarray(wz, NP[w_dt]).reshape(-1) if per_channel else np.array(wz[0], NP[w_dt])),
             ("ys", np.float32(ys)), ("yz", np.array(yz, NP[y_dt]))]
    ins = ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"]
    if bias:
        inits.append(("b", rng.integers(-3000, 3000, size=m).astype(np.int32)))
        ins.append("b")
    node = helper.make_node("QLinearConv", ins, ["y"], kernel_shape=[k] * nd, strides=[s] * nd,
                            pads=pads, dilations=[dil] * nd, group=group)
    save(d, name, node, x, x_dt, y_dt, [batch, m] + out, inits, names)


def convint(d, names, rng, name, x_dt, w_dt, c, m, hw, k, pads, xz, wz, group=1):
    nd = len(hw)
    out = [conv_out(hw[i], k, 1, pads[i], pads[i + nd], 1) for i in range(nd)]
    x = ints(rng, x_dt, [1, c] + list(hw))
    w = ints(rng, w_dt, [m, c // group] + [k] * nd)
    inits = [("w", w)]
    ins = ["x", "w"]
    if xz is not None:
        inits.append(("xz", np.array(xz, NP[x_dt])))
        ins.append("xz")
    if wz is not None:
        if xz is None:
            ins.append("")
        inits.append(("wz", np.asarray(wz, NP[w_dt])))
        ins.append("wz")
    node = helper.make_node("ConvInteger", ins, ["y"], kernel_shape=[k] * nd, pads=pads, group=group)
    save(d, name, node, x, x_dt, "i32", [1, m] + out, inits, names)


def qmatmul(d, names, rng, name, a_dt, b_dt, y_dt, ashape, n, bz=None, a=None, b=None, bs=None):
    kk = ashape[-1]
    a = a if a is not None else ints(rng, a_dt, ashape)
    b = b if b is not None else ints(rng, b_dt, [kk, n])
    bs = bs if bs is not None else scales(rng, n, 0.002, 0.02)
    bz = bz if bz is not None else (np.zeros(n, NP[b_dt]) if b_dt == "i8" else np.full(n, 128, np.uint8))
    inits = [("as", np.float32(0.03)), ("az", np.array(100 if a_dt == "u8" else 5, NP[a_dt])), ("b", b),
             ("bs", np.asarray(bs, np.float32)), ("bz", np.asarray(bz, NP[b_dt])),
             ("ys", np.float32(0.04)), ("yz", np.array(128 if y_dt == "u8" else 0, NP[y_dt]))]
    node = helper.make_node("QLinearMatMul", ["x", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])
    save(d, name, node, a, a_dt, y_dt, list(ashape[:-1]) + [n], inits, names)


def matmulint(d, names, rng, name, a_dt, b_dt, ashape, n, az, bz, a=None, b=None):
    kk = ashape[-1]
    a = a if a is not None else ints(rng, a_dt, ashape)
    b = b if b is not None else ints(rng, b_dt, [kk, n])
    inits = [("b", b), ("az", np.array(az, NP[a_dt])), ("bz", np.asarray(bz, NP[b_dt]))]
    node = helper.make_node("MatMulInteger", ["x", "b", "az", "bz"], ["y"])
    save(d, name, node, a, a_dt, "i32", list(ashape[:-1]) + [n], inits, names)


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20240905)
    names = []
    qconv(d, names, rng, "pw_u8", "u8", "i8", "u8", 19, 21, [7, 9], 1)
    qconv(d, names, rng, "pw_wide", "u8", "i8", "u8", 40, 37, [6, 6], 1, per_channel=False)
    qconv(d, names, rng, "c3_pad_i8", "i8", "i8", "i8", 8, 12, [11, 13], 3, pads=[1, 1, 1, 1], xz=-7)
    qconv(d, names, rng, "c3_s2_asym", "u8", "i8", "u8", 6, 10, [12, 9], 3, s=2, pads=[0, 1, 1, 0])
    qconv(d, names, rng, "c3_dil2", "i8", "i8", "u8", 5, 9, [10, 11], 3, pads=[2, 2, 2, 2], dil=2)
    qconv(d, names, rng, "c1d", "u8", "i8", "i8", 5, 7, [17], 3, pads=[1, 1])
    qconv(d, names, rng, "c7_s2_rgb", "u8", "i8", "u8", 3, 16, [20, 20], 7, s=2, pads=[3, 3, 3, 3])
    qconv(d, names, rng, "grouped", "u8", "i8", "u8", 9, 12, [8, 7], 3, pads=[1, 1, 1, 1], group=3,
          batch=2)
    qconv(d, names, rng, "dw", "u8", "i8", "u8", 10, 10, [9, 23], 3, pads=[1, 1, 1, 1], group=10,
          batch=2)
    qconv(d, names, rng, "dw_s2_mult", "i8", "i8", "i8", 6, 12, [15, 14], 5, s=2, pads=[2, 2, 2, 2],
          group=6)
    qconv(d, names, rng, "dw_s3", "u8", "u8", "u8", 4, 4, [13, 16], 3, s=3, pads=[1, 1, 1, 1], group=4,
          wz=rng.integers(100, 150, size=4))
    qconv(d, names, rng, "u8w_zp", "u8", "u8", "u8", 7, 9, [6, 8], 3, pads=[1, 1, 1, 1],
          wz=rng.integers(90, 160, size=9))
    qconv(d, names, rng, "u8w_zp_pt", "i8", "u8", "i8", 12, 5, [5, 5], 1, per_channel=False, wz=[77])
    qconv(d, names, rng, "ties", "u8", "i8", "u8", 6, 8, [6, 6], 3, pads=[1, 1, 1, 1], xs=0.5, ys=1.0,
          wscale=np.full(8, 0.25, np.float32), per_channel=True)
    qconv(d, names, rng, "big_mult", "i8", "i8", "i8", 4, 6, [5, 5], 1, xs=1.0, ys=0.5,
          wscale=np.array([1.0, 2.0, 0.75, 1.5, 3.0, 0.5], np.float32))
    xe = np.where(rng.random((1, 300, 3, 5)) < 0.5, -128, 127).astype(np.int8)
    we = np.where(rng.random((5, 300, 1, 1)) < 0.7, -128, 127).astype(np.int8)
    qconv(d, names, rng, "extreme", "i8", "i8", "i8", 300, 5, [3, 5], 1, xz=127, x=xe, w=we,
          xs=0.01, ys=0.5)
    qconv(d, names, rng, "nobias", "u8", "i8", "u8", 16, 18, [5, 6], 3, pads=[1, 1, 1, 1], bias=False)
    convint(d, names, rng, "convint_u8", "u8", "u8", 6, 11, [7, 8], 3, [1, 1, 1, 1], 3, 131)
    convint(d, names, rng, "convint_i8", "i8", "i8", 5, 4, [6, 6], 3, [0, 0, 0, 0], None, None)
    convint(d, names, rng, "convint_pc", "u8", "i8", 8, 6, [5, 5], 1, [0, 0, 0, 0], 200,
            np.array([0, 1, -2, 3, 0, 5], np.int8))
    qmatmul(d, names, rng, "mm_u8", "u8", "i8", "u8", [3, 5, 37], 23)
    qmatmul(d, names, rng, "mm_gemv_zp", "i8", "u8", "i8", [1, 64], 10, bz=rng.integers(60, 200, size=10))
    qmatmul(d, names, rng, "mm_ties", "u8", "i8", "u8", [9, 16], 20,
            bs=np.full(20, 2.0 ** -6, np.float32))
    matmulint(d, names, rng, "mmint", "u8", "i8", [7, 33], 17, 9, rng.integers(-5, 6, size=17))
    big = 34000
    matmulint(d, names, rng, "mmint_wrap", "u8", "u8", [2, big], 3, 0, np.zeros(3, np.uint8),
              a=np.full((2, big), 255, np.uint8), b=np.full((big, 3), 255, np.uint8))
    with open(os.path.join(d, "models.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
