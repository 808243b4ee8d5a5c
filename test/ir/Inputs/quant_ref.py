#!/usr/bin/env python3
"""
quant_ref.py - an independent numpy implementation of condense's quantized
arithmetic (docs/ir.md, "Quantized arithmetic"), checked against the
reference interpreter.

Usage: quant_ref.py CONDENSE_OPT WORKDIR [--cases N] [--seed S]

For every quantized op, N seeded random cases become one-op .cir graphs
whose operands are constants; `condense-opt --passes=constfold,dce` folds
them (constant folding evaluates an op with the interpreter's kernels), and
every stored integer of each folded result must equal what this script
computes from the documented rule, written here from the text of docs/ir.md
with Python's exact integers and numpy, not from the C code.  Then, for the
ops that compute (Conv, Gemm, MatMul, Add, the average pools, a requantizing
Concat), the dequantized integer result must be within half an output unit
(plus a 1e-6 allowance for the multiplier's 31 bits) of the float op applied
to the dequantized operands (torch and numpy in float64): the rule is a
correct quantization of the float op.

Prints one line per op and a summary; exits 1 on any mismatch.
"""

import argparse
import base64
import math
import os
import re
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

RANGES = {"i8": (-128, 127), "u8": (0, 255)}
NP = {"i8": np.int8, "u8": np.uint8, "i32": np.int32, "f32": np.float32}


# ---- the documented rule ------------------------------------------------------

def f32(v):
    """v rounded to the nearest f32, as a Python float (exact)."""
    return float(np.float32(v))


def derive(m):
    """m = f*2^e; M = floor(f*2^31 + 1/2), renormalized at 2^31; S = 31 - e."""
    f, e = math.frexp(m)
    mult = math.floor(f * 2.0 ** 31 + 0.5)
    if mult == 2 ** 31:
        mult //= 2
        e += 1
    shift = 31 - e
    assert 1 <= shift <= 62, "case generator made an out-of-range multiplier"
    return mult, shift


def derive2(ma, mb):
    """Two multipliers with the larger one's shift; the smaller rounded half up."""
    big, shift = derive(max(ma, mb))
    small = math.floor(math.ldexp(min(ma, mb), shift) + 0.5)
    return (big, small, shift) if ma >= mb else (small, big, shift)


def round_shift(v, shift):
    """floor((v + 2^(S-1)) / 2^S) on int64 arrays (>> floors)."""
    v = np.asarray(v, dtype=np.int64)
    return (v + (1 << (shift - 1))) >> shift


def requant(acc, mult, shift):
    return round_shift(np.asarray(acc, dtype=np.int64) * mult, shift)


def wrap32(v):
    v = np.asarray(v, dtype=np.int64)
    return ((v + 2 ** 31) % 2 ** 32) - 2 ** 31


def quantize(v, s, z, lo, hi):
    """QuantizeLinear: v / s in f32, half to even, + z, saturated."""
    q = np.rint(np.float32(v) / np.float32(s)).astype(np.float64) + z
    return int(min(max(q, lo), hi))


def out_clamp(dt, zy, sy, act):
    lo, hi = RANGES[dt]
    if act and act[0] == "Relu":
        lo = quantize(0.0, sy, zy, lo, hi)
    elif act and act[0] == "Clip":
        lo, hi = quantize(act[1], sy, zy, lo, hi), quantize(act[2], sy, zy, lo, hi)
    return lo, hi


# ---- .cir text -------------------------------------------------------------------

def ffmt(v):
    return repr(float(v))


def qtext(scale, zero, axis=None):
    if axis is None:
        return "quant(scale=%s, zero=%d)" % (ffmt(scale), zero)
    return "quant(axis=%d, scale=[%s], zero=[%s])" % (
        axis, ", ".join(ffmt(s) for s in scale), ", ".join(str(int(z)) for z in zero))


def ttext(dt, shape, q=""):
    return "%s[%s]%s" % (dt, ",".join(str(d) for d in shape), " " + q if q else "")


def const(name, dt, arr, q=""):
    vals = ", ".join(ffmt(v) if dt == "f32" else str(int(v)) for v in np.asarray(arr).ravel())
    return "  %%%s = const %s [%s]" % (name, ttext(dt, np.shape(arr), q), vals)


def attrs(d):
    def val(v):
        if isinstance(v, str):
            return '"%s"' % v
        if isinstance(v, list):
            return "[%s]" % ", ".join(ffmt(x) if isinstance(x, float) else str(x) for x in v)
        return ffmt(v) if isinstance(v, float) else str(v)
    items = ["%s = %s" % (k, val(d[k])) for k in sorted(d)]
    return " {%s}" % ", ".join(items) if items else ""


def act_attrs(act):
    if not act:
        return {}
    if act[0] == "Relu":
        return {"activation": "Relu"}
    return {"activation": "Clip", "activation_params": [float(act[1]), float(act[2])]}


def graph(name, consts, op, operands, at, yt):
    lines = ["graph @%s {" % name] + consts
    lines.append("  %%y = %s %s%s : %s" % (op, ", ".join(operands), attrs(at), yt))
    lines.append('  output "y" = %y')
    lines.append("}")
    return "\n".join(lines)


# ---- reading condense-opt's output -------------------------------------------

def parse_results(text):
    """The folded value of %y of every piece, as int lists (None when not folded)."""
    out = []
    for piece in text.split("// -----"):
        m = re.search(r"%y = const (\w+)\[[\d,]*\](?: quant\([^)]*\))? (\[[^\]]*\]|#[0-9a-f]+)", piece)
        if not m:
            out.append(None)
            continue
        dt, body = m.group(1), m.group(2)
        if body.startswith("["):
            vals = [int(v) for v in body[1:-1].split(",") if v.strip()]
        else:
            d = re.search(r"data %s : \d+\n((?:\s*\"[^\"]*\"\n?)+)" % body, piece)
            raw = base64.b64decode("".join(re.findall(r'"([^"]*)"', d.group(1))))
            vals = np.frombuffer(raw, dtype=NP[dt]).astype(np.int64).tolist()
        out.append(vals)
    return out


# ---- case generators: each returns (cir text, expected ints, float check) ----------

class Case:
    def __init__(self, text, want, real=None, sy=None, zy=None, lohi=None):
        self.text, self.want = text, np.asarray(want, dtype=np.int64).ravel()
        self.real, self.sy, self.zy, self.lohi = real, sy, zy, lohi


def rand_q(rng, dt, shape, near=None):
    """Random stored integers of dt; within 3 of near when given (the
    power-of-two cases, whose small sums stay in range and make ties)."""
    lo, hi = RANGES[dt]
    if near is not None:
        return np.clip(near + rng.integers(-3, 4, size=shape, dtype=np.int64), lo, hi)
    return rng.integers(lo, hi + 1, size=shape, dtype=np.int64)


def rand_scale(rng, lo, hi):
    return f32(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def pick_act(rng):
    k = rng.integers(0, 3)
    if k == 1:
        return ("Relu",)
    if k == 2:
        a = f32(rng.uniform(-1.0, 0.5))
        return ("Clip", a, f32(a + rng.uniform(0.5, 4.0)))
    return None


def apply_act(r, act):
    if act and act[0] == "Relu":
        return np.maximum(r, 0.0)
    if act and act[0] == "Clip":
        return np.clip(r, act[1], act[2])
    return r


def out_params(rng, real, dt, pow2):
    """A result scale and zero point that spread the real outputs over dt."""
    if pow2:
        return 2.0 ** -8, int(rng.integers(-3, 4)) + (128 if dt == "u8" else 0)
    span = max(float(np.max(real) - np.min(real)), 1e-3)
    sy = f32(span / 255.0 * rng.uniform(0.6, 1.6))
    lo, hi = RANGES[dt]
    zy = int(np.clip(round(lo - float(np.min(real)) / sy + rng.uniform(-20, 20)), lo, hi))
    return sy, zy


def weight_params(rng, wdt, m, per_channel, pow2):
    if pow2:
        return [2.0 ** -5] * (m if per_channel else 1), [0] * (m if per_channel else 1)
    n = m if per_channel else 1
    sw = [rand_scale(rng, 1e-3, 5e-2) for _ in range(n)]
    if wdt == "u8":
        zw = [int(rng.integers(60, 200)) for _ in range(n)]
    else:
        zw = [int(rng.integers(-10, 11)) if rng.random() < 0.4 else 0 for _ in range(n)]
    return sw, zw


def finish_linear(rng, acc_fn, real_fn, sx, sw, nch, ydt, act, pow2):
    """Expected ints and the float check of a contraction with channel axis last-of-acc mapping."""
    real = apply_act(real_fn(), act)
    sy, zy = out_params(rng, real, ydt, pow2)
    lo, hi = out_clamp(ydt, zy, sy, act)
    acc, chan = acc_fn()
    y = np.empty(acc.shape, dtype=np.int64)
    for c in range(nch):
        mult, shift = derive((sx * sw[c if len(sw) > 1 else 0]) / sy)
        sel = chan == c
        y[sel] = np.clip(zy + requant(wrap32(acc[sel]), mult, shift), lo, hi)
    return y, real, sy, zy, (lo, hi)


def conv_case(rng, name, pow2):
    n, group = int(rng.integers(1, 3)), int(rng.choice([1, 2]))
    cg, mg = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    c, m = cg * group, mg * group
    if rng.random() < 0.3:  # depthwise
        group, c, m = c, c, c
        cg = 1
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw_ = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    dh, dw = int(rng.integers(1, 3)), int(rng.integers(1, 2))
    pads = [int(rng.integers(0, 2)) for _ in range(4)]
    h = (kh - 1) * dh + 1 + int(rng.integers(0, 5))
    w = (kw - 1) * dw + 1 + int(rng.integers(0, 5))
    xdt, wdt, ydt = rng.choice(["u8", "i8"]), rng.choice(["i8", "i8", "u8"]), rng.choice(["i8", "u8"])
    sx, zx = (2.0 ** -4, 3) if pow2 else (rand_scale(rng, 5e-3, 1e-1), int(rng.integers(*RANGES[xdt])))
    per = bool(rng.random() < 0.6)
    sw, zw = weight_params(rng, wdt, m, per, pow2)
    xq = rand_q(rng, xdt, (n, c, h, w), zx if pow2 else None)
    wq = rand_q(rng, wdt, (m, c // group, kh, kw), 0 if pow2 else None)
    zwv = np.array(zw * (m if not per else 1), dtype=np.int64)
    swv = np.array(sw * (m if not per else 1))
    has_b = bool(rng.random() < 0.7)
    bmax = 20 if pow2 else 3000
    bq = rng.integers(-bmax, bmax + 1, size=m, dtype=np.int64) if has_b else np.zeros(m, dtype=np.int64)
    act = pick_act(rng)

    def acc_fn():
        xp = np.full((n, c, h + pads[0] + pads[2], w + pads[1] + pads[3]), zx, dtype=np.int64)
        xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + w] = xq
        x0, w0 = xp - zx, wq - zwv[:, None, None, None]
        oh = (xp.shape[2] - ((kh - 1) * dh + 1)) // sh + 1
        ow = (xp.shape[3] - ((kw - 1) * dw + 1)) // sw_ + 1
        acc = np.zeros((n, m, oh, ow), dtype=np.int64)
        for o in range(m):
            g0 = o // (m // group) * (c // group)
            for i in range(c // group):
                for a in range(kh):
                    for b in range(kw):
                        win = x0[:, g0 + i, a * dh:a * dh + sh * (oh - 1) + 1:sh, b * dw:b * dw + sw_ * (ow - 1) + 1:sw_]
                        acc[:, o] += win * w0[o, i, a, b]
            acc[:, o] += bq[o]
        chan = np.broadcast_to(np.arange(m)[None, :, None, None], acc.shape)
        return acc, chan

    def real_fn():
        xr = torch.tensor((xq - zx) * sx, dtype=torch.float64)
        wr = torch.tensor((wq - zwv[:, None, None, None]) * swv[:, None, None, None], dtype=torch.float64)
        br = torch.tensor(bq * sx * swv, dtype=torch.float64)
        xr = F.pad(xr, (pads[1], pads[3], pads[0], pads[2]))
        return F.conv2d(xr, wr, br, stride=(sh, sw_), dilation=(dh, dw), groups=group).numpy()

    y, real, sy, zy, lohi = finish_linear(rng, acc_fn, real_fn, sx, sw, m, ydt, act, pow2)
    consts = [const("x", xdt, xq, qtext(sx, zx)),
              const("w", wdt, wq, qtext(sw[0], zw[0]) if not per else qtext(sw, zw, 0))]
    operands = ["%x", "%w"]
    if has_b:
        bs = [f32(np.float32(sx) * np.float32(s)) for s in sw]
        consts.append(const("b", "i32", bq, qtext(bs[0], 0) if not per else qtext(bs, [0] * m, 0)))
        operands.append("%b")
    at = {"group": group, "pads": [pads[0], pads[1], pads[2], pads[3]], "strides": [sh, sw_],
          "dilations": [dh, dw], **act_attrs(act)}
    yt = ttext(ydt, y.shape, qtext(sy, zy))
    return Case(graph(name, consts, "Conv", operands, at, yt), y, real, sy, zy, lohi)


def gemm_case(rng, name, pow2):
    mm, k, nn = int(rng.integers(1, 5)), int(rng.integers(1, 40)), int(rng.integers(1, 6))
    ta, tb = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    adt, bdt, ydt = rng.choice(["u8", "i8"]), rng.choice(["i8", "u8"]), rng.choice(["i8", "u8"])
    sa, za = (2.0 ** -4, -2 if adt == "i8" else 130) if pow2 else (rand_scale(rng, 5e-3, 1e-1), int(rng.integers(*RANGES[adt])))
    per = bool(rng.random() < 0.6)
    sw, zw = weight_params(rng, bdt, nn, per, pow2)
    a = rand_q(rng, adt, (k, mm) if ta else (mm, k), za if pow2 else None)
    b = rand_q(rng, bdt, (nn, k) if tb else (k, nn), 0 if pow2 else None)
    zwv, swv = np.array(zw * (nn if not per else 1)), np.array(sw * (nn if not per else 1))
    has_c = bool(rng.random() < 0.7)
    cmax = 20 if pow2 else 2000
    cq = rng.integers(-cmax, cmax + 1, size=nn, dtype=np.int64) if has_c else np.zeros(nn, dtype=np.int64)
    act = pick_act(rng)
    opa, opb = (a.T if ta else a), (b.T if tb else b)

    def acc_fn():
        acc = (opa - za) @ (opb - zwv[None, :]) + cq[None, :]
        return acc, np.broadcast_to(np.arange(nn)[None, :], acc.shape)

    def real_fn():
        return ((opa - za) * sa) @ ((opb - zwv[None, :]) * swv[None, :]) + cq * sa * swv

    y, real, sy, zy, lohi = finish_linear(rng, acc_fn, real_fn, sa, sw, nn, ydt, act, pow2)
    axis = 0 if tb else 1
    consts = [const("a", adt, a, qtext(sa, za)),
              const("b", bdt, b, qtext(sw[0], zw[0]) if not per else qtext(sw, zw, axis))]
    operands = ["%a", "%b"]
    if has_c:
        cs = [f32(np.float32(sa) * np.float32(s)) for s in sw]
        consts.append(const("c", "i32", cq, qtext(cs[0], 0) if not per else qtext(cs, [0] * nn, 0)))
        operands.append("%c")
    at = {"transA": ta, "transB": tb, **act_attrs(act)}
    return Case(graph(name, consts, "Gemm", operands, at, ttext(ydt, y.shape, qtext(sy, zy))), y, real, sy,
                zy, lohi)


def matmul_case(rng, name, pow2):
    bat, mm, k, nn = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 30)), int(rng.integers(1, 5))
    ashape = (bat, mm, k) if rng.random() < 0.6 else (mm, k)
    bshape = (k, nn) if rng.random() < 0.6 else (bat, k, nn)
    adt, bdt, ydt = rng.choice(["u8", "i8"]), rng.choice(["i8", "u8"]), rng.choice(["i8", "u8"])
    sa, za = (2.0 ** -4, 5) if pow2 else (rand_scale(rng, 5e-3, 1e-1), int(rng.integers(*RANGES[adt])))
    per = bool(rng.random() < 0.6)
    sw, zw = weight_params(rng, bdt, nn, per, pow2)
    a, b = rand_q(rng, adt, ashape, za if pow2 else None), rand_q(rng, bdt, bshape, 0 if pow2 else None)
    zwv, swv = np.array(zw * (nn if not per else 1)), np.array(sw * (nn if not per else 1))

    def acc_fn():
        acc = np.matmul(a - za, b - zwv)
        return acc, np.broadcast_to(np.arange(nn), acc.shape)

    def real_fn():
        return np.matmul((a - za) * sa, (b - zwv) * swv)

    y, real, sy, zy, lohi = finish_linear(rng, acc_fn, real_fn, sa, sw, nn, ydt, None, pow2)
    consts = [const("a", adt, a, qtext(sa, za)),
              const("b", bdt, b, qtext(sw[0], zw[0]) if not per else qtext(sw, zw, len(bshape) - 1))]
    return Case(graph(name, consts, "MatMul", ["%a", "%b"], {}, ttext(ydt, y.shape, qtext(sy, zy))), y, real,
                sy, zy, lohi)


def add_case(rng, name, pow2):
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    bshape = tuple(d if rng.random() < 0.5 else 1 for d in shape[int(rng.integers(0, len(shape))):])
    adt, bdt, ydt = rng.choice(["u8", "i8"]), rng.choice(["u8", "i8"]), rng.choice(["u8", "i8"])
    if pow2:
        (sa, za), (sb, zb) = (2.0 ** -7, 1), (2.0 ** -9, -1 if bdt == "i8" else 127)
    else:
        sa, za = rand_scale(rng, 1e-3, 1e-1), int(rng.integers(*RANGES[adt]))
        sb, zb = rand_scale(rng, 1e-3, 1e-1), int(rng.integers(*RANGES[bdt]))
    a, b = rand_q(rng, adt, shape, za if pow2 else None), rand_q(rng, bdt, bshape, zb if pow2 else None)
    act = pick_act(rng)
    real = apply_act((a - za) * sa + (b - zb) * sb, act)
    sy, zy = out_params(rng, real, ydt, pow2)
    lo, hi = out_clamp(ydt, zy, sy, act)
    ma, mb, shift = derive2(sa / sy, sb / sy)
    y = np.clip(zy + round_shift((a - za) * ma + (b - zb) * mb, shift), lo, hi)
    consts = [const("a", adt, a, qtext(sa, za)), const("b", bdt, b, qtext(sb, zb))]
    return Case(graph(name, consts, "Add", ["%a", "%b"], act_attrs(act), ttext(ydt, y.shape, qtext(sy, zy))),
                y, real, sy, zy, (lo, hi))


def avgpool_case(rng, name, pow2):
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw_ = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    pads = [int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1)), 0, 0]
    pads[2], pads[3] = pads[0], pads[1]  # torch pads symmetrically
    h, w = kh + int(rng.integers(0, 5)), kw + int(rng.integers(0, 5))
    incl = int(rng.integers(0, 2))
    xdt, ydt = rng.choice(["u8", "i8"]), rng.choice(["u8", "i8"])
    sx, zx = (2.0 ** -8, 7) if pow2 else (rand_scale(rng, 1e-3, 1e-1), int(rng.integers(*RANGES[xdt])))
    xq = rand_q(rng, xdt, (n, c, h, w), zx if pow2 else None)
    xr = torch.tensor((xq - zx) * sx, dtype=torch.float64)
    real = F.avg_pool2d(xr, (kh, kw), (sh, sw_), (pads[0], pads[1]), count_include_pad=bool(incl)).numpy()
    sy, zy = out_params(rng, real, ydt, pow2)
    lo, hi = RANGES[ydt]
    xp = np.full((n, c, h + 2 * pads[0], w + 2 * pads[1]), zx, dtype=np.int64)
    xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + w] = xq
    ones = np.zeros(xp.shape[2:], dtype=np.int64)
    ones[pads[0]:pads[0] + h, pads[1]:pads[1] + w] = 1
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw_ + 1
    y = np.empty((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * sh:i * sh + kh, j * sw_:j * sw_ + kw] - zx
            cnt = kh * kw if incl else int(ones[i * sh:i * sh + kh, j * sw_:j * sw_ + kw].sum())
            mult, shift = derive(sx / (sy * cnt))
            y[:, :, i, j] = np.clip(zy + requant(win.sum(axis=(2, 3)), mult, shift), lo, hi)
    at = {"count_include_pad": incl, "kernel_shape": [kh, kw], "pads": pads, "strides": [sh, sw_]}
    return Case(graph(name, [const("x", xdt, xq, qtext(sx, zx))], "AveragePool", ["%x"], at,
                      ttext(ydt, y.shape, qtext(sy, zy))), y, real, sy, zy, (lo, hi))


def gap_case(rng, name, pow2):
    n, c, h, w = (int(d) for d in rng.integers(1, 6, size=4))
    xdt, ydt = rng.choice(["u8", "i8"]), rng.choice(["u8", "i8"])
    sx, zx = (2.0 ** -8, 9) if pow2 else (rand_scale(rng, 1e-3, 1e-1), int(rng.integers(*RANGES[xdt])))
    xq = rand_q(rng, xdt, (n, c, h, w), zx if pow2 else None)
    real = ((xq - zx) * sx).mean(axis=(2, 3), keepdims=True)
    sy, zy = out_params(rng, real, ydt, pow2)
    lo, hi = RANGES[ydt]
    mult, shift = derive(sx / (sy * (h * w)))
    y = np.clip(zy + requant((xq - zx).sum(axis=(2, 3), keepdims=True), mult, shift), lo, hi)
    return Case(graph(name, [const("x", xdt, xq, qtext(sx, zx))], "GlobalAveragePool", ["%x"], {},
                      ttext(ydt, y.shape, qtext(sy, zy))), y, real, sy, zy, (lo, hi))


def concat_case(rng, name, pow2):
    k = int(rng.integers(2, 4))
    dt = rng.choice(["u8", "i8"])
    rows = [int(r) for r in rng.integers(1, 4, size=k)]
    sy, zy = rand_scale(rng, 1e-2, 1e-1), int(rng.integers(*RANGES[dt]))
    params = []
    for _ in range(k):
        if rng.random() < 0.3:
            params.append((sy, zy))
        elif pow2:
            params.append((f32(sy / 2), int(rng.integers(*RANGES[dt]))))
        else:
            params.append((rand_scale(rng, 5e-3, 2e-1), int(rng.integers(*RANGES[dt]))))
    parts = [rand_q(rng, dt, (2, r)) for r in rows]
    lo, hi = RANGES[dt]
    ys, reals = [], []
    for q, (s, z) in zip(parts, params):
        mult, shift = derive(s / sy)
        ys.append(np.clip(zy + requant(q - z, mult, shift), lo, hi))
        reals.append((q - z) * s)
    y, real = np.concatenate(ys, axis=1), np.concatenate(reals, axis=1)
    consts = [const("p%d" % i, dt, q, qtext(s, z)) for i, (q, (s, z)) in enumerate(zip(parts, params))]
    return Case(graph(name, consts, "Concat", ["%%p%d" % i for i in range(k)], {"axis": 1},
                      ttext(dt, y.shape, qtext(sy, zy))), y, real, sy, zy, (lo, hi))


def maxpool_case(rng, name, pow2):
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    pads = [int(rng.integers(0, kh)), int(rng.integers(0, kw)), int(rng.integers(0, kh)), int(rng.integers(0, kw))]
    h, w = kh + int(rng.integers(0, 4)), kw + int(rng.integers(0, 4))
    dt = rng.choice(["u8", "i8"])
    xq = rand_q(rng, dt, (n, c, h, w))
    s, z = rand_scale(rng, 1e-3, 1e-1), int(rng.integers(*RANGES[dt]))
    xp = np.full((n, c, h + pads[0] + pads[2], w + pads[1] + pads[3]), -10 ** 6, dtype=np.int64)
    xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + w] = xq
    oh, ow = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
    y = np.empty((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = xp[:, :, i:i + kh, j:j + kw].max(axis=(2, 3))
    y = np.where(y == -10 ** 6, z, y)  # a window entirely in the padding is real 0
    at = {"kernel_shape": [kh, kw], "pads": pads}
    return Case(graph(name, [const("x", dt, xq, qtext(s, z))], "MaxPool", ["%x"], at,
                      ttext(dt, y.shape, qtext(s, z))), y)


def clamp_case(rng, name, pow2):
    """Relu, Clip with real (f32) bounds, or constant Pad: all pivot on z."""
    dt = rng.choice(["u8", "i8"])
    shape = tuple(int(d) for d in rng.integers(1, 6, size=2))
    xq = rand_q(rng, dt, shape)
    s, z = rand_scale(rng, 1e-3, 1e-1), int(rng.integers(*RANGES[dt]))
    lo, hi = RANGES[dt]
    q = qtext(s, z)
    consts = [const("x", dt, xq, q)]
    kind = int(rng.integers(0, 3))
    if kind == 0:
        y = np.maximum(xq, z)
        return Case(graph(name, consts, "Relu", ["%x"], {}, ttext(dt, shape, q)), y)
    if kind == 1:
        a = f32(rng.uniform(-3, 1) * s * 40)
        b = f32(a + rng.uniform(0, 3) * s * 60)
        y = np.clip(xq, quantize(a, s, z, lo, hi), quantize(b, s, z, lo, hi))
        consts += [const("lo", "f32", np.float32(a)), const("hi", "f32", np.float32(b))]
        return Case(graph(name, consts, "Clip", ["%x", "%lo", "%hi"], {}, ttext(dt, shape, q)), y)
    p = [int(v) for v in rng.integers(0, 3, size=4)]
    y = np.pad(xq, ((p[0], p[2]), (p[1], p[3])), constant_values=z)
    return Case(graph(name, consts, "Pad", ["%x"], {"pads": p}, ttext(dt, y.shape, q)), y)


GENERATORS = [("Conv", conv_case), ("Gemm", gemm_case), ("MatMul", matmul_case), ("Add", add_case),
              ("AveragePool", avgpool_case), ("GlobalAveragePool", gap_case), ("Concat", concat_case),
              ("MaxPool", maxpool_case), ("Relu/Clip/Pad", clamp_case)]


# ---- driver ------------------------------------------------------------------------

def float_deviation(case, got):
    """Largest |dequantized result - clamped float result|, in output units."""
    if case.real is None:
        return 0.0
    want = np.clip(np.asarray(case.real, dtype=np.float64).ravel() / case.sy + case.zy, *case.lohi)
    return float(np.max(np.abs(np.asarray(got, dtype=np.float64) - want))) if want.size else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("condense_opt")
    ap.add_argument("workdir")
    ap.add_argument("--cases", type=int, default=24)
    ap.add_argument("--seed", type=int, default=20240605)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    cases = []
    for op, gen in GENERATORS:
        for i in range(args.cases):
            cases.append((op, gen(rng, "case%d" % len(cases), pow2=(i % 4 == 3))))
    os.makedirs(args.workdir, exist_ok=True)
    path = os.path.join(args.workdir, "quant_cases.cir")
    with open(path, "w") as f:
        f.write("\n// -----\n".join(c.text for _, c in cases) + "\n")
    run = subprocess.run([args.condense_opt, path, "--split-input-file", "--passes=constfold,dce"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print("quant_ref: condense-opt failed:\n" + run.stderr)
        return 1
    results = parse_results(run.stdout)
    bad = 0
    for op, _ in GENERATORS:
        n = vals = mism = 0
        dev = 0.0
        for (o, case), got in zip(cases, results):
            if o != op:
                continue
            n += 1
            if got is None or len(got) != case.want.size:
                mism += 1
                print("quant_ref: %s: %s not folded or wrong size" % (op, case.text.split()[1]))
                continue
            vals += len(got)
            diff = int(np.sum(np.asarray(got) != case.want))
            if diff:
                mism += 1
                print("quant_ref: MISMATCH %s in %s: %d values differ" % (op, case.text.split()[1], diff))
            dev = max(dev, float_deviation(case, got))
        ok_float = dev <= 0.5 + 1e-6
        bad += mism + (not ok_float)
        print("%s: %d cases, %d values, %d mismatches, float deviation %s" %
              (op, n, vals, mism, ("%.3f LSB" % dev) if ok_float else "TOO LARGE %.3f LSB" % dev))
    print("quant_ref: %d cases, %s" % (len(cases), "all match" if not bad else "%d FAILURES" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
