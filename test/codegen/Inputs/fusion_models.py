#!/usr/bin/env python3
"""Write the elementwise-chain models of the fusion tests (opset 13).

Usage: fusion_models.py DIR

For every model M below: DIR/M.onnx, its inputs DIR/M.NAME.npy and
DIR/M_ref.onnx, the same graph with every intermediate value also a graph
output.  A graph output is never fused (passes/plan.h), so M_ref compiles
to the unfused code: one kernel and one stored tensor per op.  M and M_ref
must give bit-identical results for M's outputs.

  gelu         x f32[2,3,40]: x * (erf(x / sqrt 2) + 1) * 0.5, as PyTorch
               exports GELU (Div, Erf, Add, Mul, Mul); x is read twice
  silu_affine  x f32[4,33]: x * sigmoid(x) * g[33] + b[4,1]: SiLU with x a
               leaf used twice, then a scale and shift by broadcast constants
  hardswish    x f32[3,50]: x * clip(x + 3, 0, 6) / 6 (Add, Clip, Div, Mul)
  clip_bounds  x f32[64], lo f32[], hi f32[]: clip(-x, lo, hi) * 2, bounds
               read from the kernel's arguments
  half         x f16[70]: (sqrt(x*x + 1) - x) * 3, every intermediate f16
  int_cast     x f32[2,37]: Cast to i8 (saturating), + 100 in i8 (wraps),
               Cast to i32, * 1000, Cast to i16 (wraps) -> "y" i16; and
               Cast(x > 0) to f32 * x -> "z" (a bool intermediate)
  add_act      x f32[5,20]: relu(x * 2 + bias[20]) * 3; fuse-activation
               folds the Relu into the Add, which stays in the chain
  mid_output   x f32[50]: a = sigmoid(x) is a graph output, so it is not
               fused; y = tanh(a * x) fuses the Mul
  long         x0..x9 f32[33]: s = (x0 + ... + x9) * 0.5 reads 10 leaves
               and t, a chain of 20 ops on x0, has 21: both exceed a group
  inplace      x f32[4,33]: l = exp(x) (in scratch, read twice),
               y = l * sigmoid(l) + bias[33] writes over l (the group's
               loop versioned for it), z = y + y
  extend       x f32[4,16]: l = relu(x), m = sigmoid(l) (read twice),
               u = (-l + m) * m; l is read by the fused Neg at u's step,
               so m must not overwrite it in place; z = u + u
  kinds        x f32[4,16], c bool[4,16], lo f32[]: n = -x, w = where(c, n,
               x) (never fused), k = clip(w, -lo) (a computed bound),
               i = Cast(k, i32), f = Cast(i + i, f32) over i's bytes,
               z = f + f
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16


def info(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def save(out, name, nodes, inputs, outputs, inits):
    """M.onnx, and M_ref.onnx with every node result a graph output too."""
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    ref = onnx.shape_inference.infer_shapes(model)
    ref.graph.name = name + "_ref"
    have = {o.name for o in outputs}
    ref.graph.output.extend(v for v in ref.graph.value_info if v.name not in have)
    del ref.graph.value_info[:]
    onnx.checker.check_model(ref)
    onnx.save(ref, os.path.join(out, name + "_ref.onnx"))


def specials(a):
    """Put signed zeros, infinities, a NaN and large values into a."""
    flat = a.reshape(-1)
    vals = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 7.5, -7.5, 1e-40]
    flat[:len(vals)] = np.array(vals, dtype=a.dtype)
    return a


def gelu(out, rng):
    x = specials(rng.standard_normal((2, 3, 40)).astype(np.float32) * 3)
    nodes = [
        helper.make_node("Div", ["x", "sqrt2"], ["d"]),
        helper.make_node("Erf", ["d"], ["e"]),
        helper.make_node("Add", ["e", "one"], ["p"]),
        helper.make_node("Mul", ["x", "p"], ["m"]),
        helper.make_node("Mul", ["m", "half"], ["y"]),
    ]
    inits = [const("sqrt2", np.float32(np.sqrt(2))), const("one", np.float32(1)),
             const("half", np.float32(0.5))]
    save(out, "gelu", nodes, [info("x", F32, [2, 3, 40])], [info("y", F32, [2, 3, 40])], inits)
    return {"x": x}


def silu_affine(out, rng):
    x = specials(rng.standard_normal((4, 33)).astype(np.float32) * 4)
    nodes = [
        helper.make_node("Sigmoid", ["x"], ["s"]),
        helper.make_node("Mul", ["x", "s"], ["t"]),
        helper.make_node("Mul", ["t", "g"], ["u"]),
        helper.make_node("Add", ["u", "b"], ["y"]),
    ]
    inits = [const("g", rng.standard_normal(33).astype(np.float32)),
             const("b", rng.standard_normal((4, 1)).astype(np.float32))]
    save(out, "silu_affine", nodes, [info("x", F32, [4, 33])], [info("y", F32, [4, 33])], inits)
    return {"x": x}


def hardswish(out, rng):
    x = specials(rng.uniform(-5, 5, (3, 50)).astype(np.float32))
    x[1, :8] = [-3, 3, -3.5, 2.999, 0.5, -0.25, 6, -6]
    nodes = [
        helper.make_node("Add", ["x", "three"], ["a"]),
        helper.make_node("Clip", ["a", "zero", "six"], ["c"]),
        helper.make_node("Div", ["c", "six"], ["d"]),
        helper.make_node("Mul", ["x", "d"], ["y"]),
    ]
    inits = [const("three", np.float32(3)), const("zero", np.float32(0)), const("six", np.float32(6))]
    save(out, "hardswish", nodes, [info("x", F32, [3, 50])], [info("y", F32, [3, 50])], inits)
    return {"x": x}


def clip_bounds(out, rng):
    x = rng.uniform(-3, 3, 64).astype(np.float32)
    nodes = [
        helper.make_node("Neg", ["x"], ["n"]),
        helper.make_node("Clip", ["n", "lo", "hi"], ["c"]),
        helper.make_node("Mul", ["c", "two"], ["y"]),
    ]
    save(out, "clip_bounds", nodes,
         [info("x", F32, [64]), info("lo", F32, []), info("hi", F32, [])],
         [info("y", F32, [64])], [const("two", np.float32(2))])
    return {"x": x, "lo": np.array(-1.5, np.float32), "hi": np.array(0.75, np.float32)}


def half(out, rng):
    x = rng.standard_normal(70).astype(np.float16) * np.float16(30)
    x[:6] = [0, -0.0, 300, -300, np.inf, 1e-3]
    nodes = [
        helper.make_node("Mul", ["x", "x"], ["a"]),
        helper.make_node("Add", ["a", "one"], ["b"]),
        helper.make_node("Sqrt", ["b"], ["c"]),
        helper.make_node("Sub", ["c", "x"], ["d"]),
        helper.make_node("Mul", ["d", "three"], ["y"]),
    ]
    inits = [const("one", np.float16(1)), const("three", np.float16(3))]
    save(out, "half", nodes, [info("x", F16, [70])], [info("y", F16, [70])], inits)
    return {"x": x}


def int_cast(out, rng):
    x = rng.uniform(-300, 300, (2, 37)).astype(np.float32)
    x[0, :6] = [np.nan, np.inf, -np.inf, 127.9, -128.9, 0.5]
    nodes = [
        helper.make_node("Cast", ["x"], ["a"], to=TensorProto.INT8),
        helper.make_node("Add", ["a", "k100"], ["b"]),
        helper.make_node("Cast", ["b"], ["c"], to=TensorProto.INT32),
        helper.make_node("Mul", ["c", "k1000"], ["d"]),
        helper.make_node("Cast", ["d"], ["y"], to=TensorProto.INT16),
        helper.make_node("Greater", ["x", "zero"], ["p"]),
        helper.make_node("Cast", ["p"], ["q"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["q", "x"], ["z"]),
    ]
    inits = [const("k100", np.int8(100)), const("k1000", np.int32(1000)), const("zero", np.float32(0))]
    save(out, "int_cast", nodes, [info("x", F32, [2, 37])],
         [info("y", TensorProto.INT16, [2, 37]), info("z", F32, [2, 37])], inits)
    return {"x": x}


def add_act(out, rng):
    x = rng.standard_normal((5, 20)).astype(np.float32)
    nodes = [
        helper.make_node("Mul", ["x", "two"], ["a"]),
        helper.make_node("Add", ["a", "bias"], ["r"]),
        helper.make_node("Relu", ["r"], ["s"]),
        helper.make_node("Mul", ["s", "three"], ["y"]),
    ]
    inits = [const("two", np.float32(2)), const("three", np.float32(3)),
             const("bias", rng.standard_normal(20).astype(np.float32))]
    save(out, "add_act", nodes, [info("x", F32, [5, 20])], [info("y", F32, [5, 20])], inits)
    return {"x": x}


def mid_output(out, rng):
    x = rng.standard_normal(50).astype(np.float32) * 3
    nodes = [
        helper.make_node("Sigmoid", ["x"], ["a"]),
        helper.make_node("Mul", ["a", "x"], ["b"]),
        helper.make_node("Tanh", ["b"], ["y"]),
    ]
    save(out, "mid_output", nodes, [info("x", F32, [50])],
         [info("a", F32, [50]), info("y", F32, [50])], [])
    return {"x": x}


def long(out, rng):
    xs = {"x%d" % i: rng.standard_normal(33).astype(np.float32) for i in range(10)}
    nodes = [helper.make_node("Add", ["x0", "x1"], ["s1"])]
    for i in range(2, 10):
        nodes.append(helper.make_node("Add", ["s%d" % (i - 1), "x%d" % i], ["s%d" % i]))
    nodes.append(helper.make_node("Mul", ["s9", "half"], ["s"]))
    prev = "x0"
    steps = [("Mul", "k"), ("Add", "half"), ("Neg", None), ("Abs", None), ("Sub", "k")] * 4
    for i, (op, c) in enumerate(steps):
        name = "t" if i == len(steps) - 1 else "t%d" % i
        nodes.append(helper.make_node(op, [prev] + ([c] if c else []), [name]))
        prev = name
    inits = [const("half", np.float32(0.5)), const("k", np.float32(1.25))]
    save(out, "long", nodes, [info(n, F32, [33]) for n in xs],
         [info("s", F32, [33]), info("t", F32, [33])], inits)
    return xs


def inplace(out, rng):
    x = rng.standard_normal((4, 33)).astype(np.float32) * 2
    nodes = [
        helper.make_node("Exp", ["x"], ["l"]),
        helper.make_node("Sigmoid", ["l"], ["s"]),
        helper.make_node("Mul", ["l", "s"], ["t"]),
        helper.make_node("Add", ["t", "bias"], ["y"]),
        helper.make_node("Add", ["y", "y"], ["z"]),
    ]
    inits = [const("bias", rng.standard_normal(33).astype(np.float32))]
    save(out, "inplace", nodes, [info("x", F32, [4, 33])], [info("z", F32, [4, 33])], inits)
    return {"x": x}


def extend(out, rng):
    x = rng.standard_normal((4, 16)).astype(np.float32) * 2
    nodes = [
        helper.make_node("Relu", ["x"], ["l"]),
        helper.make_node("Neg", ["l"], ["a"]),
        helper.make_node("Sigmoid", ["l"], ["m"]),
        helper.make_node("Add", ["a", "m"], ["r"]),
        helper.make_node("Mul", ["r", "m"], ["u"]),
        helper.make_node("Add", ["u", "u"], ["z"]),
    ]
    save(out, "extend", nodes, [info("x", F32, [4, 16])], [info("z", F32, [4, 16])], [])
    return {"x": x}


def kinds(out, rng):
    x = rng.uniform(-40, 40, (4, 16)).astype(np.float32)
    c = rng.uniform(size=(4, 16)) < 0.5
    nodes = [
        helper.make_node("Neg", ["x"], ["n"]),
        helper.make_node("Where", ["c", "n", "x"], ["w"]),
        helper.make_node("Neg", ["lo"], ["b"]),
        helper.make_node("Clip", ["w", "b"], ["k"]),
        helper.make_node("Cast", ["k"], ["i"], to=TensorProto.INT32),
        helper.make_node("Add", ["i", "i"], ["j"]),
        helper.make_node("Cast", ["j"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["f", "f"], ["z"]),
    ]
    save(out, "kinds", nodes,
         [info("x", F32, [4, 16]), info("c", TensorProto.BOOL, [4, 16]), info("lo", F32, [])],
         [info("z", F32, [4, 16])], [])
    return {"x": x, "c": c, "lo": np.array(12.5, np.float32)}


MODELS = [gelu, silu_affine, hardswish, clip_bounds, half, int_cast, add_act, mid_output, long,
          inplace, extend, kinds]


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(1234)
    for make in MODELS:
        for name, a in make(out, rng).items():
            np.save(os.path.join(out, "%s.%s.npy" % (make.__name__, name)), a)


if __name__ == "__main__":
    main()
