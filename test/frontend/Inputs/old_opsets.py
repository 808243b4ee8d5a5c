"""
old_opsets.py - numeric tests of what the importer normalizes.

  old_opsets.py ROOT    writes ROOT/node/test_NAME/{model.onnx,test_data_set_0/}

Each case is a one-node model in an opset whose semantics the importer
rewrites (Softmax < 13, Clip < 11, Pad < 11, Upsample, Resize 10, Split <
13, ...) or a composition it builds (Sum/Mean/Min/Max chains, LessOrEqual,
Dropout's mask, Range, Shape with start/end), with inputs and the output
numpy computes from the ONNX definition of that opset.  The layout is the
ONNX backend tests', so condense-conformance runs them.
"""

import os
import sys

import numpy as np
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

RNG = np.random.RandomState(7)
F32 = np.float32


def rand(*shape):
    return RNG.uniform(-2, 2, shape).astype(F32)


def tinfo(name, arr):
    t = nh.from_array(arr).data_type
    return h.make_tensor_value_info(name, t, list(arr.shape))


def write(root, name, node, opset, inputs, outputs, inits=()):
    """inputs, outputs: lists of (name, array)."""
    d = os.path.join(root, "node", "test_" + name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    g = h.make_graph(node if isinstance(node, list) else [node], name,
                     [tinfo(n, a) for n, a in inputs], [tinfo(n, a) for n, a in outputs],
                     initializer=[nh.from_array(np.asarray(a), n) for n, a in inits])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 7
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(m.SerializeToString())
    for kind, vals in (("input", inputs), ("output", outputs)):
        for i, (n, a) in enumerate(vals):
            with open(os.path.join(d, "test_data_set_0", "%s_%d.pb" % (kind, i)), "wb") as f:
                f.write(nh.from_array(np.asarray(a), n).SerializeToString())


# ---- oracles --------------------------------------------------------------------


def softmax2d(x, axis, fn):
    shape = x.shape
    x2 = x.reshape(int(np.prod(shape[:axis])), -1).astype(np.float64)
    return fn(x2).reshape(shape).astype(F32)


def softmax_rows(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logsoftmax_rows(x):
    return np.log(softmax_rows(x))


def hardmax_rows(x):
    y = np.zeros_like(x)
    y[np.arange(x.shape[0]), x.argmax(axis=1)] = 1
    return y


def nearest_floor(x, scales):
    """Upsample / Resize-10 nearest: out[i] = in[floor(i / scale)]."""
    out_shape = [int(np.floor(d * s)) for d, s in zip(x.shape, scales)]
    idx = [np.minimum(np.floor(np.arange(o) / s).astype(int), d - 1)
           for o, s, d in zip(out_shape, scales, x.shape)]
    return x[np.ix_(*idx)]


def linear_asymmetric(x, scales):
    """Upsample linear: x_orig = i / scale, clamped, separable lerp."""
    y = x.astype(np.float64)
    for ax, s in enumerate(scales):
        n = y.shape[ax]
        o = int(np.floor(n * s))
        pos = np.minimum(np.arange(o) / s, n - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        w = (pos - lo).reshape([-1 if a == ax else 1 for a in range(y.ndim)])
        y = np.take(y, lo, axis=ax) * (1 - w) + np.take(y, hi, axis=ax) * w
    return y.astype(F32)


# ---- cases ------------------------------------------------------------------------


def softmax_family(root):
    x = rand(2, 3, 4)
    for op, fn in (("Softmax", softmax_rows), ("LogSoftmax", logsoftmax_rows), ("Hardmax", hardmax_rows)):
        for axis in (0, 1, 2, -2):
            a = axis % 3
            y = softmax2d(x, a, fn)
            n = h.make_node(op, ["x"], ["y"], axis=axis)
            write(root, "%s11_axis%d" % (op.lower(), a if axis >= 0 else axis + 10), n, 11,
                  [("x", x)], [("y", y)])
        y = softmax2d(x, 1, fn)
        write(root, "%s9_default" % op.lower(), h.make_node(op, ["x"], ["y"]), 9, [("x", x)], [("y", y)])


def clip_pad(root):
    x = rand(3, 4)
    write(root, "clip9", h.make_node("Clip", ["x"], ["y"], min=-0.5, max=1.0), 9, [("x", x)],
          [("y", np.clip(x, -0.5, 1.0))])
    write(root, "clip9_max_only", h.make_node("Clip", ["x"], ["y"], max=0.25), 9, [("x", x)],
          [("y", np.minimum(x, F32(0.25)))])
    pads = [1, 2, 0, 1]
    npads = [(1, 0), (2, 1)]
    write(root, "pad10_constant", h.make_node("Pad", ["x"], ["y"], pads=pads, value=1.5), 10, [("x", x)],
          [("y", np.pad(x, npads, constant_values=1.5))])
    for mode in ("reflect", "edge"):
        write(root, "pad10_" + mode, h.make_node("Pad", ["x"], ["y"], pads=pads, mode=mode), 10, [("x", x)],
              [("y", np.pad(x, npads, mode=mode))])
    write(root, "pad13_value", h.make_node("Pad", ["x", "p", "v"], ["y"]), 13, [("x", x)],
          [("y", np.pad(x, npads, constant_values=-3.0))],
          [("p", np.array(pads, np.int64)), ("v", F32(-3.0))])


def shapes(root):
    x = rand(2, 1, 3, 1)
    write(root, "squeeze11", h.make_node("Squeeze", ["x"], ["y"], axes=[1, -1]), 11, [("x", x)],
          [("y", x.reshape(2, 3))])
    write(root, "squeeze11_all", h.make_node("Squeeze", ["x"], ["y"]), 11, [("x", x)], [("y", x.reshape(2, 3))])
    write(root, "unsqueeze11", h.make_node("Unsqueeze", ["x"], ["y"], axes=[0, 5]), 11, [("x", x)],
          [("y", x.reshape(1, 2, 1, 3, 1, 1))])
    z = rand(6, 5)
    write(root, "split11", h.make_node("Split", ["x"], ["a", "b"], axis=1, split=[2, 3]), 11, [("x", z)],
          [("a", z[:, :2]), ("b", z[:, 2:])])
    write(root, "split13", h.make_node("Split", ["x", "s"], ["a", "b", "c"]), 13, [("x", z)],
          [("a", z[:1]), ("b", z[1:4]), ("c", z[4:])], [("s", np.array([1, 3, 2], np.int64))])
    write(root, "split11_equal", h.make_node("Split", ["x"], ["a", "b", "c"]), 11, [("x", z)],
          [("a", z[:2]), ("b", z[2:4]), ("c", z[4:])])
    write(root, "slice9", h.make_node("Slice", ["x"], ["y"], starts=[1, -4], ends=[100, -1], axes=[0, 1]), 9,
          [("x", z)], [("y", z[1:100, -4:-1])])
    write(root, "slice13_steps", h.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"]), 13, [("x", z)],
          [("y", z[5:0:-2, ::2])],
          [("s", np.array([5, 0], np.int32)), ("e", np.array([0, 100], np.int32)),
           ("a", np.array([0, 1], np.int32)), ("st", np.array([-2, 2], np.int32))])
    write(root, "reducesum11", h.make_node("ReduceSum", ["x"], ["y"], axes=[0], keepdims=0), 11, [("x", z)],
          [("y", z.sum(axis=0))])
    write(root, "reducesum13", h.make_node("ReduceSum", ["x", "a"], ["y"]), 13, [("x", z)],
          [("y", z.sum(axis=1, keepdims=True))], [("a", np.array([-1], np.int64))])
    write(root, "reducemean11_all", h.make_node("ReduceMean", ["x"], ["y"]), 11, [("x", z)],
          [("y", z.mean(keepdims=True))])
    write(root, "shape15", h.make_node("Shape", ["x"], ["y"], start=1, end=-1), 15, [("x", x)],
          [("y", np.array([1, 3], np.int64))])
    write(root, "size", h.make_node("Size", ["x"], ["y"]), 13, [("x", x)], [("y", np.array(6, np.int64))])
    write(root, "expand", h.make_node("Expand", ["x", "s"], ["y"]), 13, [("x", x)],
          [("y", np.broadcast_to(x, (2, 2, 3, 4)).copy())], [("s", np.array([2, 2, 1, 4], np.int64))])
    write(root, "tile", h.make_node("Tile", ["x", "r"], ["y"]), 13, [("x", z)], [("y", np.tile(z, (2, 1)))],
          [("r", np.array([2, 1], np.int64))])


def resize(root):
    x = rand(1, 2, 3, 4)
    for name, scales in (("up", [1, 1, 2, 3]), ("down", [1, 1, 0.5, 0.5])):
        s = np.array(scales, F32)
        write(root, "upsample9_nearest_" + name, h.make_node("Upsample", ["x", "s"], ["y"]), 9, [("x", x)],
              [("y", nearest_floor(x, scales))], [("s", s)])
        write(root, "resize10_nearest_" + name, h.make_node("Resize", ["x", "s"], ["y"]), 10, [("x", x)],
              [("y", nearest_floor(x, scales))], [("s", s)])
    s = np.array([1, 1, 2, 2], F32)
    write(root, "upsample9_linear", h.make_node("Upsample", ["x", "s"], ["y"], mode="linear"), 9, [("x", x)],
          [("y", linear_asymmetric(x, [1, 1, 2, 2]))], [("s", s)])
    write(root, "resize13_sizes", h.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="nearest",
                                               coordinate_transformation_mode="asymmetric",
                                               nearest_mode="floor"), 13, [("x", x)],
          [("y", nearest_floor(x, [1, 1, 2, 2]))], [("sz", np.array([1, 2, 6, 8], np.int64))])


def compositions(root):
    a, b, c = rand(3, 4), rand(4), rand(1, 4)
    ins = [("a", a), ("b", b), ("c", c)]
    write(root, "sum3", h.make_node("Sum", ["a", "b", "c"], ["y"]), 13, ins, [("y", a + b + c)])
    write(root, "mean3", h.make_node("Mean", ["a", "b", "c"], ["y"]), 13, ins, [("y", (a + b + c) / F32(3))])
    write(root, "max3", h.make_node("Max", ["a", "b", "c"], ["y"]), 13, ins,
          [("y", np.maximum(np.maximum(a, b), c))])
    write(root, "min1", h.make_node("Min", ["a"], ["y"]), 13, [("a", a)], [("y", a)])
    p = np.array([1, np.nan, 3, 2], F32)
    q = np.array([1, 1, np.nan, 3], F32)
    write(root, "lessorequal", h.make_node("LessOrEqual", ["p", "q"], ["y"]), 12, [("p", p), ("q", q)],
          [("y", p <= q)])
    write(root, "greaterorequal", h.make_node("GreaterOrEqual", ["p", "q"], ["y"]), 12, [("p", p), ("q", q)],
          [("y", p >= q)])
    write(root, "dropout9_mask", h.make_node("Dropout", ["a"], ["y", "m"], ratio=0.3), 9, [("a", a)],
          [("y", a), ("m", np.ones_like(a))])
    write(root, "dropout12_mask", h.make_node("Dropout", ["a", "r"], ["y", "m"]), 12, [("a", a)],
          [("y", a), ("m", np.ones(a.shape, bool))], [("r", F32(0.5))])
    write(root, "castlike", h.make_node("CastLike", ["a", "i"], ["y"]), 15, [("a", a)],
          [("y", a.astype(np.int32))], [("i", np.zeros([1], np.int32))])
    write(root, "range_float", h.make_node("Range", ["s", "l", "d"], ["y"]), 11, [],
          [("y", np.arange(1.0, 2.0, 0.3).astype(F32))],
          [("s", F32(1.0)), ("l", F32(2.0)), ("d", F32(0.3))])
    write(root, "range_neg", h.make_node("Range", ["s", "l", "d"], ["y"]), 11, [],
          [("y", np.arange(10, 3, -3).astype(np.int32))],
          [("s", np.int32(10)), ("l", np.int32(3)), ("d", np.int32(-3))])
    write(root, "constantofshape", h.make_node("ConstantOfShape", ["s"], ["y"],
                                               value=h.make_tensor("v", TP.INT64, [1], [-7])), 13, [],
          [("y", np.full((2, 3), -7, np.int64))], [("s", np.array([2, 3], np.int64))])
    write(root, "cumsum_exclusive", h.make_node("CumSum", ["a", "ax"], ["y"], exclusive=1), 14, [("a", a)],
          [("y", np.cumsum(a, axis=1) - a)], [("ax", np.int32(1))])
    sq = rand(4, 4)
    write(root, "trilu_lower_k", h.make_node("Trilu", ["x", "k"], ["y"], upper=0), 14, [("x", sq)],
          [("y", np.tril(sq, -1))], [("k", np.int64(-1))])


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    for f in (softmax_family, clip_pad, shapes, resize, compositions):
        f(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
