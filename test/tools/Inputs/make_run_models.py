#!/usr/bin/env python3
"""Write the tiny ONNX models and .npy files that the `condense run` tests use.

Usage: make_run_models.py DIR

Models (opset 13):
  tiny.onnx         x f32[1,4] -> MatMul, Add -> "logits" f32[1,3],
                    Softmax -> "probs/softmax", ArgMax -> "class" i64[1]
  dynamic.onnx      x f32[N,4] -> Relu -> "y" (N is a dim_param)
  two.onnx          a f32[2], b f32[2] -> Add -> "sum"
  identity_T.onnx   x T[2,3] -> Identity -> "y", for every .npy dtype T
  unsupported.onnx  x f32[2,2] -> Det -> "d" (an op condense lacks)
  malformed.onnx    bytes that are not a model
Arrays:
  x.npy             f32[1,4] [1, 2, 3, 4]; logits.npy, probs.npy, class.npy
                    are tiny.onnx's expected outputs (float64 references)
  x24.npy           f32[2,4]; y24.npy its Relu
  ab.npy            f32[2] [1, 2]
  in_T.npy          T[2,3] for every dtype T
  x_i32.npy         i32[1,4]; x15.npy f32[1,5]; x_f64.npy f64[1,4]
  fortran.npy       f32[2,2] in Fortran order
Weights are small binary fractions, so every printed statistic is exact.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
DTYPES = {
    "f32": (np.float32, TensorProto.FLOAT),
    "f16": (np.float16, TensorProto.FLOAT16),
    "i8": (np.int8, TensorProto.INT8),
    "u8": (np.uint8, TensorProto.UINT8),
    "i16": (np.int16, TensorProto.INT16),
    "i32": (np.int32, TensorProto.INT32),
    "i64": (np.int64, TensorProto.INT64),
    "bool": (np.bool_, TensorProto.BOOL),
}


def save_model(out, name, nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def tiny(out):
    w = (np.arange(12, dtype=np.float32).reshape(4, 3) / 4 - 1).astype(np.float32)
    b = np.array([0.5, -0.5, 0.25], np.float32)
    x = np.array([[1, 2, 3, 4]], np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"], name="matmul"),
        helper.make_node("Add", ["xw", "b"], ["logits"], name="add"),
        helper.make_node("Softmax", ["logits"], ["probs/softmax"], name="softmax", axis=1),
        helper.make_node("ArgMax", ["logits"], ["class"], name="argmax", axis=1, keepdims=0),
    ]
    save_model(out, "tiny", nodes,
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
               [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3]),
                helper.make_tensor_value_info("probs/softmax", TensorProto.FLOAT, [1, 3]),
                helper.make_tensor_value_info("class", TensorProto.INT64, [1])],
               [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    logits = x.astype(np.float64) @ w + b
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "logits.npy"), logits)
    np.save(os.path.join(out, "probs.npy"), e / e.sum(axis=1, keepdims=True))
    np.save(os.path.join(out, "class.npy"), logits.argmax(axis=1))


def dynamic(out):
    save_model(out, "dynamic", [helper.make_node("Relu", ["x"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])])
    x = (np.arange(8, dtype=np.float32).reshape(2, 4) - 3.5).astype(np.float32)
    np.save(os.path.join(out, "x24.npy"), x)
    np.save(os.path.join(out, "y24.npy"), np.maximum(x, 0))


def two(out):
    save_model(out, "two", [helper.make_node("Add", ["a", "b"], ["sum"])],
               [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2]),
                helper.make_tensor_value_info("b", TensorProto.FLOAT, [2])],
               [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [2])])
    np.save(os.path.join(out, "ab.npy"), np.array([1, 2], np.float32))


def identities(out):
    for name, (npt, onnxt) in DTYPES.items():
        save_model(out, "identity_" + name, [helper.make_node("Identity", ["x"], ["y"])],
                   [helper.make_tensor_value_info("x", onnxt, [2, 3])],
                   [helper.make_tensor_value_info("y", onnxt, [2, 3])])
        v = np.array([[0, 1, -2], [3, -4, 5]])
        a = v % 2 == 1 if npt is np.bool_ else (v.astype(npt) if npt is not np.uint8 else np.abs(v).astype(npt))
        np.save(os.path.join(out, "in_%s.npy" % name), a)


def bad_inputs(out):
    save_model(out, "unsupported", [helper.make_node("Det", ["x"], ["d"], name="det")],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
               [helper.make_tensor_value_info("d", TensorProto.FLOAT, [])])
    with open(os.path.join(out, "malformed.onnx"), "wb") as f:
        f.write(b"\x08\x07\x12\xff\xff\xff\xff\x0fnot a model")
    np.save(os.path.join(out, "x_i32.npy"), np.array([[1, 2, 3, 4]], np.int32))
    np.save(os.path.join(out, "x15.npy"), np.zeros((1, 5), np.float32))
    np.save(os.path.join(out, "x_f64.npy"), np.zeros((1, 4), np.float64))
    np.save(os.path.join(out, "fortran.npy"), np.asfortranarray(np.ones((2, 2), np.float32)))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    tiny(out)
    dynamic(out)
    two(out)
    identities(out)
    bad_inputs(out)


if __name__ == "__main__":
    main()
