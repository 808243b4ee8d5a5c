# linear_model.py OUT.onnx - a small model of the float linear-algebra ops
# the code generator vectorizes (test/codegen/asm-*.test): a 3x3 Conv
# (im2col + GEMM), a depthwise 3x3 Conv, a pointwise Conv and a MatMul
# with a constant right operand.  Weights are deterministic.
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def weights(name, *shape):
    n = int(np.prod(shape))
    v = ((np.arange(n) * 7919 % 17) - 8).astype(np.float32) / 16
    return numpy_helper.from_array(v.reshape(shape), name)


nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
    helper.make_node("Conv", ["c1", "w2"], ["c2"], pads=[1, 1, 1, 1], group=16),
    helper.make_node("Conv", ["c2", "w3"], ["y"]),
    helper.make_node("MatMul", ["a", "w4"], ["z"]),
]
inits = [weights("w1", 16, 8, 3, 3), weights("b1", 16), weights("w2", 16, 1, 3, 3),
         weights("w3", 8, 16, 1, 1), weights("w4", 32, 24)]
graph = helper.make_graph(
    nodes, "linear",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 10, 12]),
     helper.make_tensor_value_info("a", TensorProto.FLOAT, [4, 32])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 10, 12]),
     helper.make_tensor_value_info("z", TensorProto.FLOAT, [4, 24])],
    inits)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
