"""Models that once broke the importer (found in review), written to argv[1].

slowconv.onnx: two ConstantOfShape feeding a Conv, ~10^13 multiply-adds if
               folded at import; the fold must be declined, not computed.
dqnan.onnx:    DynamicQuantizeLinear of a constant holding -inf (scale inf,
               zero point NaN), folded at import without undefined behaviour.
q1.onnx:       QuantizeLinear with a one-element 1-D scale and zero point,
               per-tensor as onnxruntime reads it.
huge.onnx:     a graph input of 2^40 x 2^40 elements: a limit, not a crash.
slicestep.onnx: Slice with step INT64_MAX (the stride product overflowed,
               undefined behaviour under UBSan, though the result was right).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(m, os.path.join(out, name + ".onnx"))


def shape_const(name, dims):
    return numpy_helper.from_array(np.array(dims, dtype=np.int64), name)


one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
save("slowconv",
     [helper.make_node("ConstantOfShape", ["xs"], ["x"], value=one),
      helper.make_node("ConstantOfShape", ["ws"], ["w"], value=one),
      helper.make_node("Conv", ["x", "w"], ["y"])],
     [], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
     [shape_const("xs", [1, 1, 4096, 4096]), shape_const("ws", [1, 1, 1024, 1024])])

save("dqnan",
     [helper.make_node("DynamicQuantizeLinear", ["c"], ["y", "s", "z"])],
     [], [helper.make_tensor_value_info(n, t, None)
          for n, t in (("y", TensorProto.UINT8), ("s", TensorProto.FLOAT), ("z", TensorProto.UINT8))],
     [numpy_helper.from_array(np.array([-np.inf, 1.0], dtype=np.float32), "c")])

save("q1",
     [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])],
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
     [helper.make_tensor_value_info("y", TensorProto.UINT8, [2, 3])],
     [numpy_helper.from_array(np.array([0.5], dtype=np.float32), "s"),
      numpy_helper.from_array(np.array([10], dtype=np.uint8), "z")])

save("huge",
     [helper.make_node("Relu", ["x"], ["y"])],
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1 << 40, 1 << 40])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])

save("slicestep",
     [helper.make_node("Slice", ["x", "b", "e", "a", "st"], ["y"])],
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
     [shape_const("b", [1]), shape_const("e", [5]), shape_const("a", [0]),
      shape_const("st", [(1 << 63) - 1])])
