#!/usr/bin/env python3
"""Write a small ONNX backend-test tree that exercises condense-conformance.

Usage: make_conformance_tree.py ROOT

ROOT/good/ holds tests that must pass, ROOT/bad/ tests that must not:
  good/test_relu            Relu, one data set
  good/test_two_sets        Add of two inputs, data sets 0 and 1
  good/test_nan             Sqrt of negative numbers: NaN matches NaN
  good/test_close           expected output off by 1e-4 relative (within rtol 1e-3)
  good/test_tolerance       off by 1 %, but data.json allows rtol 0.02
  good/test_int             ArgMax, an int64 output compared exactly
  good/test_reshape         Reshape whose shape is a graph input: imported
                            as a constant, the data input stays an input
  good/test_resize_scales   Resize whose float scales are a graph input:
                            every input imported as a constant
  bad/test_wrong            element 3 of the expected output is wrong
  bad/test_wrong_set1       data set 1 is wrong
  bad/test_shape            the expected output has another shape
  bad/test_dtype            the expected output is int32, the model's float
  bad/test_nan_mismatch     NaN expected where the result is a number
  bad/test_unsupported      Det, an op condense lacks: skipped
  bad/test_malformed        model.onnx is not a model: failed
  bad/test_missing_output   no output_0.pb
  bad/test_missing_input    input_1.pb missing for a model with two inputs
  bad/test_no_data          no test_data_set_0
  bad/not_a_test            ignored (name does not start with test_)
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(path, op, n_in, shape, out_type=TensorProto.FLOAT, out_shape=None, **attrs):
    ins = ["x%d" % i for i in range(n_in)]
    graph = helper.make_graph(
        [helper.make_node(op, ins, ["y"], **attrs)], "t",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in ins],
        [helper.make_tensor_value_info("y", out_type, out_shape if out_shape is not None else shape)])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    os.makedirs(path, exist_ok=True)
    onnx.save(m, os.path.join(path, "model.onnx"))


def data_set(path, k, inputs, outputs):
    d = os.path.join(path, "test_data_set_%d" % k)
    os.makedirs(d, exist_ok=True)
    for prefix, arrays in (("input", inputs), ("output", outputs)):
        for i, a in enumerate(arrays):
            with open(os.path.join(d, "%s_%d.pb" % (prefix, i)), "wb") as f:
                f.write(numpy_helper.from_array(a, "%s%d" % (prefix, i)).SerializeToString())


def reshape(path):
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"])], "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 2])])
    os.makedirs(path, exist_ok=True)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
              os.path.join(path, "model.onnx"))
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    data_set(path, 0, [x, np.array([3, 2], np.int64)], [x.reshape(3, 2)])


def resize(path):
    graph = helper.make_graph(
        [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest")], "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2]),
         helper.make_tensor_value_info("scales", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])])
    os.makedirs(path, exist_ok=True)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
              os.path.join(path, "model.onnx"))
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)
    y = x.repeat(2, axis=2).repeat(2, axis=3)
    data_set(path, 0, [x, np.array([1, 1, 2, 2], np.float32)], [y])


def good(root):
    x = np.array([[-2, -1, 0], [1, 2, 3]], np.float32)
    p = os.path.join(root, "good", "test_relu")
    model(p, "Relu", 1, [2, 3])
    data_set(p, 0, [x], [np.maximum(x, 0)])
    p = os.path.join(root, "good", "test_two_sets")
    model(p, "Add", 2, [2, 3])
    data_set(p, 0, [x, x], [x + x])
    data_set(p, 1, [x, -x], [x - x])
    p = os.path.join(root, "good", "test_nan")
    model(p, "Sqrt", 1, [2, 3])
    with np.errstate(invalid="ignore"):
        data_set(p, 0, [x], [np.sqrt(x)])
    p = os.path.join(root, "good", "test_close")
    model(p, "Relu", 1, [2, 3])
    data_set(p, 0, [x], [(np.maximum(x, 0) * (1 + 1e-4)).astype(np.float32)])
    p = os.path.join(root, "good", "test_tolerance")
    model(p, "Relu", 1, [2, 3])
    data_set(p, 0, [x], [(np.maximum(x, 0) * 1.01).astype(np.float32)])
    with open(os.path.join(p, "data.json"), "w") as f:
        json.dump({"atol": 1e-07, "rtol": 0.02}, f)
    p = os.path.join(root, "good", "test_int")
    model(p, "ArgMax", 1, [2, 3], TensorProto.INT64, [2], axis=1, keepdims=0)
    data_set(p, 0, [x], [np.argmax(x, axis=1)])
    reshape(os.path.join(root, "good", "test_reshape"))
    resize(os.path.join(root, "good", "test_resize_scales"))


def bad(root):
    x = np.array([[-2, -1, 0], [1, 2, 3]], np.float32)
    y = np.maximum(x, 0)
    wrong = y.copy()
    wrong[1, 0] = 1.25
    p = os.path.join(root, "bad", "test_wrong")
    model(p, "Relu", 1, [2, 3])
    data_set(p, 0, [x], [wrong])
    p = os.path.join(root, "bad", "test_wrong_set1")
    model(p, "Relu", 1, [2, 3])
    data_set(p, 0, [x], [y])
    data_set(p, 1, [x], [wrong])
    p = os.path.join(root, "bad", "test_shape")
    model(p, "Relu", 1, [2, 3])
    data_set(p, 0, [x], [y.reshape(3, 2)])
    p = os.path.join(root, "bad", "test_dtype")
    model(p, "Relu", 1, [2, 3])
    data_set(p, 0, [x], [y.astype(np.int32)])
    p = os.path.join(root, "bad", "test_nan_mismatch")
    model(p, "Relu", 1, [2, 3])
    nan = y.copy()
    nan[0, 2] = np.nan
    data_set(p, 0, [x], [nan])
    p = os.path.join(root, "bad", "test_unsupported")
    model(p, "Det", 1, [2, 2], out_shape=[])
    data_set(p, 0, [np.eye(2, dtype=np.float32)], [np.array(1, np.float32)])
    p = os.path.join(root, "bad", "test_malformed")
    os.makedirs(p, exist_ok=True)
    with open(os.path.join(p, "model.onnx"), "wb") as f:
        f.write(b"\x08\x07\x12\xff\xff\xff\xff\x0fnot a model")
    data_set(p, 0, [x], [y])
    p = os.path.join(root, "bad", "test_missing_output")
    model(p, "Relu", 1, [2, 3])
    data_set(p, 0, [x], [])
    p = os.path.join(root, "bad", "test_missing_input")
    model(p, "Add", 2, [2, 3])
    data_set(p, 0, [x], [x + x])
    p = os.path.join(root, "bad", "test_no_data")
    model(p, "Relu", 1, [2, 3])
    os.makedirs(os.path.join(root, "bad", "not_a_test"), exist_ok=True)


def main():
    root = sys.argv[1]
    good(root)
    bad(root)


if __name__ == "__main__":
    main()
