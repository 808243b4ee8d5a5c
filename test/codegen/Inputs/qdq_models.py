#!/usr/bin/env python3
"""Write QDQ ONNX models in the form ONNX Runtime's quantize_static (QDQ,
per-channel int8) writes them, for qdq-compile.test.

Usage: qdq_models.py DIR

Per model NAME: DIR/NAME.onnx (input "x", output "y", both f32) and
DIR/NAME.x.npy; NAME is appended to DIR/models.txt.  Activations are
QuantizeLinear -> DequantizeLinear pairs with per-tensor int8 or uint8
parameters,
weights int8 initializers (per output channel) behind a
DequantizeLinear, biases int32 with scale s_x * s_w[c]; Relu sits
between its Conv and the QuantizeLinear.  One seeded generator.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class G:
    def __init__(self, rng, act):
        self.rng, self.nodes, self.inits, self.n, self.act = rng, [], [], 0, act

    def name(self, p):
        self.n += 1
        return "%s_%d" % (p, self.n)

    def const(self, arr, p):
        n = self.name(p)
        self.inits.append(numpy_helper.from_array(arr, n))
        return n

    def node(self, op, ins, attrs=None, p=None):
        out = self.name(p or op.lower())
        self.nodes.append(helper.make_node(op, ins, [out], name=self.name(op), **(attrs or {})))
        return out

    def qdq(self, x, scale, zero):
        if self.act == np.uint8:
            zero += 128
        s, z = self.const(np.float32(scale), "s"), self.const(self.act(zero), "z")
        return self.node("DequantizeLinear", [self.node("QuantizeLinear", [x, s, z]), s, z])

    def weight(self, shape, sx):
        w = self.rng.normal(0, 0.3, size=shape).astype(np.float32)
        sw = (np.abs(w).reshape(shape[0], -1).max(1) / 127).astype(np.float32)
        q = np.clip(np.round(w / sw.reshape([-1] + [1] * (len(shape) - 1))), -127, 127).astype(np.int8)
        dq = self.node("DequantizeLinear", [self.const(q, "w"), self.const(sw, "ws"),
                                            self.const(np.zeros(shape[0], np.int8), "wz")], {"axis": 0})
        b = self.rng.integers(-2000, 2000, size=shape[0]).astype(np.int32)
        bs = (np.float32(sx) * sw).astype(np.float32)
        db = self.node("DequantizeLinear", [self.const(b, "b"), self.const(bs, "bs"),
                                            self.const(np.zeros(shape[0], np.int32), "bz")], {"axis": 0})
        return dq, db


def resnet_block(rng, act):
    """Conv+Relu, Conv, residual Add+Relu, MaxPool, GlobalAveragePool,
    Flatten, Gemm: the ops of a quantized ResNet; activations of type act
    (int8, or uint8 as ONNX Runtime's default U8S8 format)."""
    g = G(rng, act)
    sx, sa, sb, sc = 0.02, 0.015, 0.03, 0.025
    x = g.qdq("x", sx, 3)
    w, b = g.weight([8, 8, 3, 3], sx)
    a = g.node("Relu", [g.node("Conv", [x, w, b], {"pads": [1, 1, 1, 1]})])
    a = g.qdq(a, sa, -128)
    w, b = g.weight([8, 8, 3, 3], sa)
    c = g.qdq(g.node("Conv", [a, w, b], {"pads": [1, 1, 1, 1]}), sb, 5)
    r = g.qdq(g.node("Relu", [g.node("Add", [c, x])]), sc, -128)
    m = g.qdq(g.node("MaxPool", [r], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
              sc, -128)
    p = g.qdq(g.node("GlobalAveragePool", [m]), 0.01, -128)
    f = g.qdq(g.node("Flatten", [p]), 0.01, -128)
    w, b = g.weight([5, 8], 0.01)
    y = g.qdq(g.node("Gemm", [f, w, b], {"transB": 1}), 0.05, 0)
    g.nodes[-1].output[0] = "y"
    return g, [1, 8, 10, 10], [1, 5]


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(5)
    names = []
    for name, act in [("qdq_resblock", np.int8), ("qdq_resblock_u8", np.uint8)]:
        g, xs, ys = resnet_block(rng, act)
        graph = helper.make_graph(g.nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, xs)],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ys)], g.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(d, name + ".onnx"))
        np.save(os.path.join(d, name + ".x.npy"), rng.normal(0, 1, size=xs).astype(np.float32))
        names.append(name)
    with open(os.path.join(d, "models.txt"), "a") as f:
        f.write("".join(n + "\n" for n in names))


if __name__ == "__main__":
    main()
