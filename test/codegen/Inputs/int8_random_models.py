#!/usr/bin/env python3
"""Write randomly drawn quantized graphs for the int8 differential test.

Usage: int8_random_models.py CONDENSE_OPT DIR N SEED

Beside the hand-picked cases of int8_quant_models.py, N one-op graphs whose
every parameter is drawn from one generator seeded with SEED (the same
files for the same SEED): Conv (plain, depthwise with a channel multiplier,
grouped, 1x1; kernels 1 to 7, strides 1 to 3, padding below the kernel),
Gemm and MatMul (transposes, batches), Add (broadcasting), AveragePool,
MaxPool, GlobalAveragePool and Concat; u8 or i8 on each side, per-tensor
or per-channel weights with zero points that may leave the signed-byte
range, scales drawn log-uniformly, fused Relu or Clip.  The files are
those of int8_quant_models.py (DIR/NAME.cir, .x.npy, .want.npy from the
interpreter, NAME appended to DIR/models.txt).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import int8_quant_models as qm  # noqa: E402


def logu(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def dt(rng):
    return str(rng.choice(["u8", "i8"]))


def act(rng, sy):
    r = rng.random()
    if r < 0.5:
        return ""
    if r < 0.75:
        return 'activation = "Relu"'
    lo = -logu(rng, 0.05, 2.0) if rng.random() < 0.5 else 0.0
    return 'activation = "Clip", activation_params = [%r, %r]' % (lo, logu(rng, 0.2, 6.0))


def weight_zeros(rng, w_dt, n):
    if w_dt == "u8":
        return [int(v) for v in rng.integers(0, 256, size=n)] if rng.random() < 0.4 else [128] * n
    return [int(v) for v in rng.integers(-3, 4, size=n)] if rng.random() < 0.2 else [0] * n


def conv(rng, name, kind):
    k = int(rng.choice([1, 2, 3, 3, 5, 7])) if kind != "pw" else 1
    stride = int(rng.choice([1, 1, 2, 3]))
    pad = int(rng.integers(0, k)) if k > 1 else 0
    hw = [int(rng.integers(max(1, k - 2 * pad), 14)) for _ in range(2)]
    if kind == "dw":
        c = int(rng.integers(1, 17))
        group, m = c, c * int(rng.choice([1, 1, 2]))
    elif kind == "grouped":
        group = int(rng.integers(2, 5))
        c, m = group * int(rng.integers(1, 6)), group * int(rng.integers(1, 6))
    else:
        group, c, m = 1, int(rng.integers(1, 40)), int(rng.integers(1, 40))
    w_dt, per = dt(rng), bool(rng.random() < 0.7)
    n = m if per else 1
    sx, sy = logu(rng, 0.002, 0.2), logu(rng, 0.005, 0.5)
    return qm.conv_case(rng, name, dt(rng), w_dt, dt(rng), c, m, hw, k, stride=stride, pad=pad, group=group,
                        per_channel=per, wz=weight_zeros(rng, w_dt, n), act=act(rng, sy),
                        ws=[logu(rng, 0.0005, 0.02) for _ in range(n)], sx=sx, sy=sy,
                        bias=bool(rng.random() < 0.7), xz=None)


def linear(rng, name):
    op = str(rng.choice(["Gemm", "MatMul"]))
    n, kk = int(rng.integers(1, 48)), int(rng.integers(1, 64))
    ta = tb = False
    if op == "Gemm":
        ta, tb = bool(rng.random() < 0.3), bool(rng.random() < 0.5)
        rows = int(rng.integers(1, 12))
        xshape = [kk, rows] if ta else [rows, kk]
    else:
        xshape = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 2)))] + [int(rng.integers(1, 12)), kk]
    w_dt = dt(rng)
    return qm.linear_case(rng, name, op, dt(rng), w_dt, dt(rng), xshape, n, trans_a=ta, trans_b=tb,
                          wz=weight_zeros(rng, w_dt, n), act=act(rng, 0.05) if op == "Gemm" else "",
                          ws=[logu(rng, 0.001, 0.03) for _ in range(n)], bias=op == "Gemm" and rng.random() < 0.6,
                          sx=logu(rng, 0.005, 0.1), sy=logu(rng, 0.01, 0.5))


def add(rng, name):
    x_dt = dt(rng)
    xshape = [int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 7)), int(rng.integers(1, 9))]
    form = rng.integers(0, 4)
    cshape = [xshape, [1, xshape[1], 1, 1], [xshape[-1]], [1]][form]
    y_dt = dt(rng)
    return qm.add_case(rng, name, x_dt, xshape, x_dt, list(cshape), y_dt, logu(rng, 0.005, 0.5),
                       logu(rng, 0.005, 0.5), int(rng.integers(-20, 20)) + (128 if x_dt == "u8" else 0),
                       int(rng.integers(-10, 10)) + (128 if y_dt == "u8" else 0), act=act(rng, 0.1))


def pool(rng, name, kind):
    nd = 1 if rng.random() < 0.2 else 2
    k = [int(rng.integers(1, 5)) for _ in range(nd)]
    s = [int(rng.integers(1, 4)) for _ in range(nd)]
    pb = [int(rng.integers(0, kk)) for kk in k]
    pe = [int(rng.integers(0, kk)) for kk in k]
    hw = [int(rng.integers(max(1, k[i] - pb[i] - pe[i]), 12)) for i in range(nd)]
    out = [(hw[i] + pb[i] + pe[i] - k[i]) // s[i] + 1 for i in range(nd)]
    x_dt, nc = dt(rng), [int(rng.integers(1, 3)), int(rng.integers(1, 6))]
    attrs = ["kernel_shape = [%s]" % ", ".join(map(str, k)), "pads = [%s]" % ", ".join(map(str, pb + pe)),
             "strides = [%s]" % ", ".join(map(str, s))]
    if kind == "avg" and rng.random() < 0.5:
        attrs.append("count_include_pad = 1")
    shape = nc + out
    yq = qm.q1(logu(rng, 0.005, 0.2), int(rng.integers(-20, 20)) + (128 if x_dt == "u8" else 0))
    opn = "AveragePool" if kind == "avg" else "MaxPool"
    body = (lambda r, xq: ("", "%s %%x {%s} : %s %s" % (opn, ", ".join(sorted(attrs)), qm.ty(x_dt, shape),
                                                         yq if kind == "avg" else xq)))
    return qm.elt_case(rng, name, x_dt, nc + hw, body, x_dt, shape, sx=logu(rng, 0.005, 0.2))


def gap(rng, name):
    x_dt = dt(rng)
    xshape = [int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 12)), int(rng.integers(1, 12))]
    shape = xshape[:2] + [1, 1]
    yq = qm.q1(logu(rng, 0.005, 0.2), int(rng.integers(-20, 20)) + (128 if x_dt == "u8" else 0))
    return qm.elt_case(rng, name, x_dt, xshape,
                       lambda r, xq: ("", "GlobalAveragePool %%x : %s %s" % (qm.ty(x_dt, shape), yq)), x_dt, shape,
                       sx=logu(rng, 0.005, 0.2))


def concat(rng, name):
    x_dt = dt(rng)
    rank = int(rng.integers(1, 5))
    xshape = [int(rng.integers(1, 6)) for _ in range(rank)]
    axis = int(rng.integers(0, rank))
    cshape = list(xshape)
    cshape[axis] = int(rng.integers(1, 6))
    yshape = list(xshape)
    yshape[axis] = 2 * xshape[axis] + cshape[axis]
    off = 128 if x_dt == "u8" else 0
    cq = qm.q1(logu(rng, 0.005, 0.2), int(rng.integers(-20, 20)) + off)
    yq = None if rng.random() < 0.3 else qm.q1(logu(rng, 0.005, 0.2), int(rng.integers(-20, 20)) + off)

    def body(r, xq):
        c = qm.rand(r, x_dt, cshape)
        b = "  %%c = const %s %s %s\n" % (qm.ty(x_dt, cshape), cq, qm.ints(c))
        return b, "Concat %%x, %%c, %%x {axis = %d} : %s %s" % (axis, qm.ty(x_dt, yshape), yq or xq)
    return qm.elt_case(rng, name, x_dt, xshape, body, x_dt, yshape, sx=logu(rng, 0.005, 0.2))


KINDS = ["conv", "conv", "dw", "dw", "grouped", "pw", "pw", "linear", "linear", "add", "avg", "max", "gap",
         "concat"]


def case(rng, i):
    kind = KINDS[int(rng.integers(0, len(KINDS)))]
    name = "r%03d_%s" % (i, kind)
    if kind in ("conv", "dw", "grouped", "pw"):
        return conv(rng, name, kind)
    if kind in ("avg", "max"):
        return pool(rng, name, kind)
    return {"linear": linear, "add": add, "gap": gap, "concat": concat}[kind](rng, name)


def main():
    condense_opt, d, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(seed)
    cs = [case(rng, i) for i in range(n)]
    for c in cs:
        with open(os.path.join(d, c.name + ".cir"), "w") as f:
            f.write(c.text(False))
        np.save(os.path.join(d, c.name + ".x.npy"), c.x)
    qm.fold(condense_opt, d, cs)
    with open(os.path.join(d, "models.txt"), "a") as f:
        f.write("".join(c.name + "\n" for c in cs))


if __name__ == "__main__":
    main()
