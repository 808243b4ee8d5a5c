#!/usr/bin/env python3
"""Write quantized Conv, MatMul and Gemm graphs (docs/ir.md, "Quantized
arithmetic") for the int8 kernel differential test, with the interpreter's
results.

Usage: int8_quant_models.py CONDENSE_OPT DIR

For each case NAME it writes DIR/NAME.cir (input %x, everything else
constant), DIR/NAME.x.npy and DIR/NAME.want.npy, and appends NAME to
DIR/models.txt.  The expected result is the interpreter's: the same graph
with %x constant, folded by `condense-opt --passes=constfold,dce`.  The
cases: per-channel and per-tensor weights, u8 and i8 on either side,
residual weight zero points (u8 weights far from their zero point),
depthwise and strided convs, channel shifts that differ (per-channel
rules), a multiplier above 1/2 (the accumulator clamp), fused Relu and
Clip, power-of-two scales (ties, rounded toward +infinity here), Gemm with
transA / transB and a bias, batched MatMul.  One seeded generator: the
same files on every run.
"""
import base64
import os
import re
import subprocess
import sys

import numpy as np

NP = {"u8": np.uint8, "i8": np.int8, "i32": np.int32}
RANGE = {"u8": (0, 255), "i8": (-128, 127)}


def f32s(vals):
    return "[" + ", ".join(repr(float(np.float32(v))) for v in vals) + "]"


def ints(vals):
    return "[" + ", ".join(str(int(v)) for v in np.asarray(vals).ravel()) + "]"


def ty(dt, shape):
    return "%s[%s]" % (dt, ",".join(str(d) for d in shape))


def q1(s, z):
    return "quant(scale=%s, zero=%d)" % (repr(float(np.float32(s))), z)


def qaxis(axis, s, z):
    return "quant(axis=%d, scale=%s, zero=%s)" % (axis, f32s(s), ints(z))


def rand(rng, dt, shape, lo=None, hi=None):
    a, b = RANGE[dt]
    return rng.integers(a if lo is None else lo, (b if hi is None else hi) + 1, size=shape).astype(NP[dt])


class Case:
    def __init__(self, name, x_dt, x, x_q, body, y_decl, y_shape, y_dt):
        self.name, self.x_dt, self.x, self.x_q = name, x_dt, x, x_q
        self.body, self.y_decl, self.y_shape, self.y_dt = body, y_decl, y_shape, y_dt

    def text(self, x_const):
        xt = ty(self.x_dt, self.x.shape) + " " + self.x_q
        head = ("  %%x = const %s %s\n" % (xt, ints(self.x))) if x_const else ("  input %%x : %s\n" % xt)
        return "graph @%s {\n%s%s  %%y = %s\n  output \"y\" = %%y\n}\n" % (
            self.name, head, self.body, self.y_decl)


def conv_case(rng, name, x_dt, w_dt, y_dt, c, m, hw, k, stride=1, pad=0, group=1, per_channel=True,
              wz=None, act="", ws=None, sx=0.02, sy=0.05, bias=True, xz=None, batch=1):
    oh = [(h + 2 * pad - k) // stride + 1 for h in hw]
    x = rand(rng, x_dt, [batch, c] + hw)
    w = rand(rng, w_dt, [m, c // group, k, k])
    n = m if per_channel else 1
    ws = ws if ws is not None else (rng.random(n) * 0.009 + 0.001)
    ws = np.float32(ws).reshape(-1)
    wz = wz if wz is not None else ([0] * n if w_dt == "i8" else [128] * n)
    xz = xz if xz is not None else (128 if x_dt == "u8" else -5)
    wq = qaxis(0, ws, wz) if per_channel else q1(ws[0], wz[0])
    body = "  %%w = const %s %s %s\n" % (ty(w_dt, w.shape), wq, ints(w))
    operands = "%x, %w"
    if bias:
        bs = np.float32(sx) * ws
        bq = qaxis(0, bs, [0] * n) if per_channel else q1(bs[0], 0)
        b = rng.integers(-4000, 4000, size=m)
        body += "  %%b = const %s %s %s\n" % (ty("i32", [m]) if per_channel else ty("i32", [m]), bq, ints(b))
        operands += ", %b"
    attrs = ["group = %d" % group] if group > 1 else []
    attrs += ["pads = [%d, %d, %d, %d]" % ((pad,) * 4)] if pad else []
    attrs += ["strides = [%d, %d]" % (stride, stride)] if stride > 1 else []
    attrs += [act] if act else []
    attrs = " {" + ", ".join(sorted(attrs)) + "}" if attrs else ""
    yz = -10 if y_dt == "i8" else 100
    y_shape = [batch, m] + oh
    decl = "Conv %s%s : %s %s" % (operands, attrs, ty(y_dt, y_shape), q1(sy, yz))
    return Case(name, x_dt, x, q1(sx, xz), body, decl, y_shape, y_dt)


def linear_case(rng, name, op, x_dt, w_dt, y_dt, xshape, n, trans_a=False, trans_b=False, wz=None,
                act="", ws=None, bias=False, sx=0.03, sy=0.04):
    kk = xshape[0] if trans_a else xshape[-1]
    x = rand(rng, x_dt, xshape)
    w = rand(rng, w_dt, [n, kk] if trans_b else [kk, n])
    ws = np.float32(ws if ws is not None else rng.random(n) * 0.02 + 0.002).reshape(-1)
    wz = wz if wz is not None else ([0] * n if w_dt == "i8" else [128] * n)
    body = "  %%w = const %s %s %s\n" % (ty(w_dt, w.shape), qaxis(0 if trans_b else 1, ws, wz), ints(w))
    operands = "%x, %w"
    if bias:
        b = rng.integers(-3000, 3000, size=n)
        body += "  %%b = const %s %s %s\n" % (ty("i32", [n]), qaxis(0, np.float32(sx) * ws, [0] * n), ints(b))
        operands += ", %b"
    attrs = (["transA = 1"] if trans_a else []) + (["transB = 1"] if trans_b else []) + ([act] if act else [])
    attrs = " {" + ", ".join(sorted(attrs)) + "}" if attrs else ""
    rows = [xshape[1]] if trans_a else list(xshape[:-1])
    y_shape = rows + [n]
    yz = 128 if y_dt == "u8" else 3
    decl = "%s %s%s : %s %s" % (op, operands, attrs, ty(y_dt, y_shape), q1(sy, yz))
    return Case(name, x_dt, x, q1(sx, 100 if x_dt == "u8" else -7), body, decl, y_shape, y_dt)


def elt_case(rng, name, x_dt, xshape, make_body, y_dt, y_shape, sx=0.02, xz=None):
    """A one-input graph whose body (from make_body(rng)) ends in the %y
    declaration's op: Add, the pools, Relu, Clip."""
    x = rand(rng, x_dt, xshape)
    xz = xz if xz is not None else (128 if x_dt == "u8" else -5)
    body, decl = make_body(rng, q1(sx, xz))
    return Case(name, x_dt, x, q1(sx, xz), body, decl, y_shape, y_dt)


def add_case(rng, name, x_dt, xshape, c_dt, cshape, y_dt, sc, sy, cz, yz, act="", self_add=False):
    def body(rng, xq):
        attrs = " {%s}" % act if act else ""
        if self_add:
            return "", "Add %%x, %%x%s : %s %s" % (attrs, ty(y_dt, xshape), q1(sy, yz))
        c = rand(rng, c_dt, cshape)
        b = "  %%c = const %s %s %s\n" % (ty(c_dt, cshape), q1(sc, cz), ints(c))
        yshape = list(np.broadcast_shapes(tuple(xshape), tuple(cshape)))
        return b, "Add %%x, %%c%s : %s %s" % (attrs, ty(y_dt, yshape), q1(sy, yz))
    yshape = list(np.broadcast_shapes(tuple(xshape), tuple(cshape)))
    return elt_case(rng, name, x_dt, xshape, body, y_dt, yshape)


def quant_elt_cases(rng):
    relu = 'activation = "Relu"'
    clip = 'activation = "Clip", activation_params = [-0.5, 1.5]'
    yield add_case(rng, "qa_same", "i8", [1, 8, 5, 7], "i8", [1, 8, 5, 7], "i8", 0.031, 0.045, 3, -2)
    yield add_case(rng, "qa_bcast_u8", "u8", [2, 6, 4, 5], "u8", [1, 6, 1, 1], "u8", 0.11, 0.07, 120, 90,
                   act=relu)
    yield add_case(rng, "qa_row_clip", "i8", [3, 17], "i8", [17], "i8", 0.5, 0.013, -20, 7, act=clip)
    yield add_case(rng, "qa_scalar", "i8", [4, 9], "i8", [1], "u8", 0.2, 0.3, 0, 0)
    yield add_case(rng, "qa_self_ties", "i8", [2, 33], "i8", [2, 33], "i8", 0.02, 0.08, 0, 0, self_add=True)
    yield add_case(rng, "qa_small_ratio", "u8", [1, 3, 8, 8], "u8", [1, 3, 8, 8], "u8", 1e-9, 0.01, 0, 10)

    def gap(sy, yz, y_dt, shape):
        return lambda rng, xq: ("", "GlobalAveragePool %%x : %s %s" % (ty(y_dt, shape), q1(sy, yz)))
    yield elt_case(rng, "qgap_i8", "i8", [2, 7, 5, 6], gap(0.013, -3, "i8", [2, 7, 1, 1]), "i8", [2, 7, 1, 1])
    yield elt_case(rng, "qgap_u8_big", "u8", [1, 5, 14, 14], gap(0.05, 128, "u8", [1, 5, 1, 1]), "u8",
                   [1, 5, 1, 1])
    yield elt_case(rng, "qgap_ties", "i8", [1, 16, 2, 2], gap(0.04, 0, "i8", [1, 16, 1, 1]), "i8", [1, 16, 1, 1],
                   sx=0.04, xz=0)

    def maxpool(attrs, shape, y_dt="i8"):
        return lambda rng, xq: ("", "MaxPool %%x {%s} : %s %s" % (attrs, ty(y_dt, shape), xq))
    yield elt_case(rng, "qmp_3x3s2p1", "i8", [1, 4, 9, 10],
                   maxpool("kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]", [1, 4, 5, 5]), "i8",
                   [1, 4, 5, 5])
    yield elt_case(rng, "qmp_u8_2x2", "u8", [2, 3, 6, 6],
                   maxpool("kernel_shape = [2, 2], strides = [2, 2]", [2, 3, 3, 3], "u8"), "u8", [2, 3, 3, 3])

    def relu(rng, xq):
        return "", "Relu %%x : %s %s" % (ty("u8", [3, 40]), xq)
    yield elt_case(rng, "qrelu_u8", "u8", [3, 40], relu, "u8", [3, 40], xz=100)

    def clipf(rng, xq):
        b = "  %lo = const f32[] [-0.25]\n  %hi = const f32[] [0.625]\n"
        return b, "Clip %%x, %%lo, %%hi : %s %s" % (ty("i8", [5, 12]), xq)
    yield elt_case(rng, "qclip_f32", "i8", [5, 12], clipf, "i8", [5, 12], sx=0.01, xz=-4)

    def clipi(rng, xq):
        b = "  %%hi = const i8[] %s [60]\n" % xq
        return b, "Clip %%x, _, %%hi : %s %s" % (ty("i8", [5, 12]), xq)
    yield elt_case(rng, "qclip_int_hi", "i8", [5, 12], clipi, "i8", [5, 12])
    yield from quant_avg_concat_cases(rng)


def quant_avg_concat_cases(rng):
    """AveragePool: border windows of every divisor (excluded and included
    padding), exact ties (m = 1/4), 1-D, and a kernel of 81 taps (the
    divisor's rule from a run-time table); Concat: operands requantized to
    the result's parameters beside ones copied, on several axes."""
    def avg(attrs, shape, sy, yz, y_dt="i8"):
        return lambda rng, xq: ("", "AveragePool %%x {%s} : %s %s" % (attrs, ty(y_dt, shape), q1(sy, yz)))
    yield elt_case(rng, "qavg_3x3s2p1", "i8", [1, 4, 9, 10],
                   avg("kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]", [1, 4, 5, 5], 0.017, 4),
                   "i8", [1, 4, 5, 5])
    yield elt_case(rng, "qavg_incl_u8", "u8", [2, 3, 7, 7],
                   avg("kernel_shape = [3, 3], pads = [1, 1, 1, 1], count_include_pad = 1", [2, 3, 7, 7], 0.03,
                       100, "u8"), "u8", [2, 3, 7, 7])
    yield elt_case(rng, "qavg_ties", "i8", [1, 2, 6, 6],
                   avg("kernel_shape = [2, 2], strides = [2, 2]", [1, 2, 3, 3], 0.04, 0), "i8", [1, 2, 3, 3],
                   sx=0.04, xz=0)
    yield elt_case(rng, "qavg_1d", "u8", [2, 3, 11],
                   avg("kernel_shape = [3], pads = [2, 1]", [2, 3, 12], 0.05, 120, "u8"), "u8", [2, 3, 12])
    yield elt_case(rng, "qavg_k81", "i8", [1, 2, 10, 10],
                   avg("kernel_shape = [9, 9], pads = [4, 4, 4, 4], strides = [3, 3]", [1, 2, 4, 4], 0.006, -7),
                   "i8", [1, 2, 4, 4])

    def concat(axis, x_shape, c_dt, c_shape, cq, y_dt, y_shape, yq):
        def body(rng, xq):
            c = rand(rng, c_dt, c_shape)
            b = "  %%c = const %s %s %s\n" % (ty(c_dt, c_shape), cq, ints(c))
            return b, "Concat %%x, %%c, %%x {axis = %d} : %s %s" % (axis, ty(y_dt, y_shape), yq(xq))
        return body
    # x (scale 0.02, zero -5) requantized; c has the result's parameters.
    yield elt_case(rng, "qcat_ch", "i8", [1, 3, 4, 5],
                   concat(1, [1, 3, 4, 5], "i8", [1, 2, 4, 5], q1(0.03, 2), "i8", [1, 8, 4, 5],
                          lambda xq: q1(0.03, 2)), "i8", [1, 8, 4, 5])
    # Result with x's parameters: x copied, c requantized.
    yield elt_case(rng, "qcat_last", "i8", [2, 3, 4],
                   concat(2, [2, 3, 4], "i8", [2, 3, 7], q1(0.011, 30), "i8", [2, 3, 15],
                          lambda xq: xq), "i8", [2, 3, 15])
    yield elt_case(rng, "qcat_axis0", "u8", [2, 5],
                   concat(0, [2, 5], "u8", [3, 5], q1(0.5, 7), "u8", [7, 5],
                          lambda xq: q1(0.07, 60)), "u8", [7, 5])


def cases():
    yield from quant_elt_cases(np.random.default_rng(11))
    rng = np.random.default_rng(7)
    relu = 'activation = "Relu"'
    clip = 'activation = "Clip", activation_params = [0.0, 6.0]'
    yield conv_case(rng, "qc_pc_relu", "u8", "i8", "i8", 13, 19, [9, 10], 3, pad=1, act=relu)
    yield conv_case(rng, "qc_dw_clip", "u8", "u8", "u8", 12, 12, [11, 9], 3, pad=1, group=12,
                    wz=list(rng.integers(90, 160, size=12)), act=clip)
    yield conv_case(rng, "qc_pw_pt", "i8", "i8", "i8", 24, 17, [5, 7], 1, per_channel=False, wz=[-1],
                    bias=False)
    # Depthwise rows long enough for the paired-tap form (x86 pmaddwd):
    # stride 2 and stride 1, odd and even kernel widths, remainders.
    yield conv_case(rng, "qc_dw_s2", "i8", "i8", "i8", 5, 5, [9, 37], 3, stride=2, pad=1, group=5, act=relu)
    yield conv_case(rng, "qc_dw_s1_k5", "u8", "i8", "u8", 3, 3, [6, 45], 5, pad=2, group=3)
    yield conv_case(rng, "qc_dw_s1_k2", "i8", "u8", "i8", 4, 4, [5, 34], 2, group=4,
                    wz=list(rng.integers(100, 150, size=4)))
    yield conv_case(rng, "qc_s2_shifts", "u8", "i8", "u8", 20, 33, [10, 11], 3, stride=2, pad=1,
                    ws=np.exp2(-rng.integers(4, 14, size=33)) * (1 + rng.random(33)))
    yield conv_case(rng, "qc_u8w_resid", "i8", "u8", "i8", 9, 10, [6, 6], 3, pad=1,
                    wz=list(rng.integers(40, 70, size=10)))
    yield conv_case(rng, "qc_big_mult", "i8", "i8", "i8", 4, 6, [5, 5], 1, sx=1.0, sy=0.5,
                    ws=[1.0, 2.0, 0.75, 1.5, 3.0, 0.5], bias=False)
    yield conv_case(rng, "qc_ties", "u8", "i8", "u8", 6, 8, [6, 6], 3, pad=1, sx=0.5, sy=1.0,
                    ws=[0.25] * 8, bias=False)
    yield linear_case(rng, "qg_transb_bias", "Gemm", "i8", "i8", "i8", [5, 40], 30, trans_b=True,
                      bias=True, act=relu)
    yield linear_case(rng, "qg_u8_resid", "Gemm", "u8", "u8", "u8", [3, 17], 9,
                      wz=list(rng.integers(0, 40, size=9)))
    yield linear_case(rng, "qg_transa", "Gemm", "u8", "i8", "i8", [40, 6], 21, trans_a=True, bias=True)
    yield linear_case(rng, "qm_batched", "MatMul", "u8", "i8", "u8", [2, 3, 21], 11)
    yield linear_case(rng, "qm_ties", "MatMul", "i8", "i8", "i8", [7, 16], 12, sx=0.5, sy=1.0,
                      ws=[2.0 ** -5] * 12)
    # Batches through the swapped 1x1 form (x86; a partial last panel of
    # pixels, u8 and i8 on each side) and the flat depthwise form (stride
    # 1 with a channel multiplier, stride 2 on odd sizes).
    yield conv_case(rng, "qc_pw_swap_b2", "u8", "i8", "i8", 21, 19, [7, 9], 1, batch=2, act=clip)
    yield conv_case(rng, "qc_pw_swap_u8w", "i8", "u8", "u8", 32, 8, [4, 4], 1, per_channel=False, wz=[128])
    yield conv_case(rng, "qc_dw_flat_b2", "i8", "i8", "i8", 6, 12, [7, 7], 3, pad=1, group=6, batch=2)
    yield conv_case(rng, "qc_dw_flat_s2_b2", "u8", "i8", "u8", 5, 5, [14, 13], 3, stride=2, pad=1, group=5,
                    batch=2, act=relu)


def folded(piece, c):
    """The constant %y of a folded piece: a literal list or a base64 data block."""
    m = re.search(r"%y = const \w+\[[\d,]*\](?: quant\([^)]*\))? (\[[^\]]*\]|#[0-9a-f]+)", piece)
    if not m:
        sys.exit("int8_quant_models: %s did not fold:\n%s" % (c.name, piece))
    body = m.group(1)
    if body.startswith("["):
        return np.array([int(v) for v in body[1:-1].split(",")], NP[c.y_dt])
    d = re.search(r"data %s : \d+\n((?:\s*\"[^\"]*\"\n?)+)" % body, piece)
    raw = base64.b64decode("".join(re.findall(r'"([^"]*)"', d.group(1))))
    return np.frombuffer(raw, dtype=NP[c.y_dt]).copy()


def fold(condense_opt, d, cs):
    path = os.path.join(d, "fold.cir")
    with open(path, "w") as f:
        f.write("\n// -----\n".join(c.text(True) for c in cs))
    r = subprocess.run([condense_opt, path, "--split-input-file", "--passes=constfold,dce"],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit("int8_quant_models: condense-opt failed:\n" + r.stderr)
    pieces = r.stdout.split("// -----")
    if len(pieces) != len(cs):
        sys.exit("int8_quant_models: %d results for %d cases" % (len(pieces), len(cs)))
    for c, piece in zip(cs, pieces):
        vals = folded(piece, c)
        np.save(os.path.join(d, c.name + ".want.npy"), vals.reshape(c.y_shape))


def main():
    condense_opt, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    cs = list(cases())
    for c in cs:
        with open(os.path.join(d, c.name + ".cir"), "w") as f:
            f.write(c.text(False))
        np.save(os.path.join(d, c.name + ".x.npy"), c.x)
    fold(condense_opt, d, cs)
    with open(os.path.join(d, "models.txt"), "a") as f:
        f.write("".join(c.name + "\n" for c in cs))


if __name__ == "__main__":
    main()
