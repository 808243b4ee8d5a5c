"""
make_models.py - the ONNX models of the frontend lit tests.

  make_models.py OUTDIR NAME...   writes OUTDIR/NAME.onnx for each NAME
  make_models.py --list           prints the names

Valid models are built with Debian's onnx package (onnx.helper, no checker,
so deliberately broken ones can be built the same way); models broken at
the wire level (truncation, nesting, bad tags) are written as bytes.
Weights are small and deterministic, so FileCheck can match them.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh


def model(nodes, inputs, outputs, inits=(), opset=13, name="g", extra_opsets=()):
    g = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    ops = [h.make_opsetid("", opset)] + [h.make_opsetid(d, v) for d, v in extra_opsets]
    m = h.make_model(g, opset_imports=ops, producer_name="make_models.py")
    m.ir_version = 8
    return m.SerializeToString()


def vi(name, shape, t=TP.FLOAT):
    return h.make_tensor_value_info(name, t, shape)


def init(name, arr):
    return nh.from_array(np.asarray(arr), name)


def ramp(shape, scale=0.01, dtype=np.float32):
    n = int(np.prod(shape))
    return ((np.arange(n) % 17 - 8) * scale).astype(dtype).reshape(shape)


# ---- valid models ---------------------------------------------------------------


def convnet():
    nodes = [
        h.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        h.make_node("BatchNormalization", ["c1", "s", "bias", "mean", "var"], ["bn"], name="bn1"),
        h.make_node("Relu", ["bn"], ["r1"], name="relu1"),
        h.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        h.make_node("Flatten", ["p1"], ["f"], name="flat"),
        h.make_node("Gemm", ["f", "w2", "b2"], ["logits"], name="fc", transB=1),
        h.make_node("Softmax", ["logits"], ["prob"], name="softmax"),
    ]
    inits = [init("w1", ramp([4, 3, 3, 3])), init("b1", ramp([4])), init("s", np.ones(4, np.float32)),
             init("bias", np.zeros(4, np.float32)), init("mean", ramp([4])), init("var", np.ones(4, np.float32)),
             init("w2", ramp([10, 64])), init("b2", ramp([10]))]
    return model(nodes, [vi("x", [1, 3, 8, 8])], [vi("prob", [1, 10])], inits, name="convnet")


def clip(opset):
    x = vi("x", [2, 3])
    if opset < 11:
        nodes = [h.make_node("Clip", ["x"], ["y"], name="clip", min=0.0, max=6.0)]
        return model(nodes, [x], [vi("y", [2, 3])], opset=opset)
    nodes = [h.make_node("Clip", ["x", "lo", "hi"], ["y"], name="clip")]
    inits = [init("lo", np.float32(0)), init("hi", np.float32(6))]
    return model(nodes, [x], [vi("y", [2, 3])], inits, opset=opset)


def squeeze(opset):
    x = vi("x", [1, 3, 1, 2])
    if opset < 13:
        nodes = [h.make_node("Squeeze", ["x"], ["y"], name="sq", axes=[0, 2])]
        return model(nodes, [x], [vi("y", [3, 2])], opset=opset)
    nodes = [h.make_node("Squeeze", ["x", "axes"], ["y"], name="sq")]
    return model(nodes, [x], [vi("y", [3, 2])], [init("axes", np.array([0, 2], np.int64))], opset=opset)


def slice_(opset):
    x = vi("x", [4, 6])
    if opset < 10:
        nodes = [h.make_node("Slice", ["x"], ["y"], name="sl", starts=[1, 0], ends=[3, 5], axes=[0, 1])]
        return model(nodes, [x], [vi("y", [2, 5])], opset=opset)
    nodes = [h.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"], name="sl")]
    inits = [init("st", np.array([1, 0], np.int64)), init("en", np.array([3, 5], np.int64)),
             init("ax", np.array([0, 1], np.int64)), init("sp", np.array([1, 2], np.int32))]
    return model(nodes, [x], [vi("y", [2, 3])], inits, opset=opset)


def softmax(opset):
    nodes = [h.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)]
    return model(nodes, [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], opset=opset)


def shape_fold():
    """Reshape x to [batch, -1] through Shape -> Gather -> Unsqueeze -> Concat."""
    nodes = [
        h.make_node("Shape", ["x"], ["s"], name="shape"),
        h.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
        h.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsq"),
        h.make_node("Concat", ["n1", "minus1"], ["shp"], name="concat", axis=0),
        h.make_node("Reshape", ["x", "shp"], ["y"], name="reshape"),
    ]
    inits = [init("zero", np.int64(0)), init("axes0", np.array([0], np.int64)),
             init("minus1", np.array([-1], np.int64))]
    return model(nodes, [vi("x", [2, 3, 4])], [vi("y", [2, 12])], inits)


def constants():
    t = h.make_tensor("t", TP.FLOAT, [2], [1.5, -2.0])
    nodes = [
        h.make_node("Constant", [], ["c_t"], name="ct", value=t),
        h.make_node("Constant", [], ["c_f"], name="cf", value_float=0.25),
        h.make_node("Constant", [], ["c_is"], name="cis", value_ints=[3, 4]),
        h.make_node("Constant", [], ["c_i"], name="ci", value_int=7),
        h.make_node("Add", ["x", "c_t"], ["y"], name="add"),
        h.make_node("Mul", ["y", "c_f"], ["z"], name="mul"),
        h.make_node("ConstantOfShape", ["c_is"], ["k"], name="cos",
                    value=h.make_tensor("v", TP.INT32, [1], [9])),
        h.make_node("Range", ["r0", "c_i", "r2"], ["r"], name="range"),
    ]
    inits = [init("r0", np.int64(1)), init("r2", np.int64(2))]
    return model(nodes, [vi("x", [2])], [vi("z", [2]), vi("k", [3, 4], TP.INT32), vi("r", [3], TP.INT64)],
                 inits)


def dynamic():
    nodes = [h.make_node("Relu", ["x"], ["y"], name="relu")]
    return model(nodes, [vi("x", ["N", 3, None])], [vi("y", ["N", 3, None])])


# ---- broken models -----------------------------------------------------------------


def unsupported_ops():
    nodes = [
        h.make_node("NonZero", ["x"], ["nz"], name="nz"),
        h.make_node("Relu", ["x"], ["r"], name="relu"),
        h.make_node("Mod", ["x", "x"], ["m1"], name="mod1", fmod=1),
        h.make_node("Mod", ["x", "x"], ["m2"], name="mod2", fmod=1),
        h.make_node("FusedThing", ["x"], ["f"], name="fused", domain="com.example"),
    ]
    return model(nodes, [vi("x", [4])], [vi("r", [4])], extra_opsets=[("com.example", 1)])


def relu_model(inits=(), opset=13, x_type=TP.FLOAT, out_type=TP.FLOAT, out_shape=(2,)):
    nodes = [h.make_node("Relu", ["x"], ["y"], name="relu")]
    return model(nodes, [vi("x", [2], x_type)], [vi("y", list(out_shape), out_type)], inits, opset=opset)


def tensor_proto(name, dtype, dims, raw):
    t = TP()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def bad_dtype_input():
    return relu_model(x_type=TP.DOUBLE, out_type=TP.DOUBLE)


def bad_dtype_init():
    return relu_model([tensor_proto("w", TP.DOUBLE, [2], b"\0" * 16)])


def raw_short():
    return relu_model([tensor_proto("w", TP.FLOAT, [2, 3], b"\0" * 23)])


def negative_dim():
    return relu_model([tensor_proto("w", TP.FLOAT, [2, -3], b"")])


def rank(n):
    return relu_model([tensor_proto("w", TP.FLOAT, [1] * n, b"\0" * 4)])


def external():
    t = tensor_proto("w", TP.FLOAT, [2], b"")
    t.ClearField("raw_data")
    t.data_location = TP.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "../../etc/passwd"
    return relu_model([t])


def undefined_input():
    nodes = [h.make_node("Add", ["x", "nowhere"], ["y"], name="add")]
    return model(nodes, [vi("x", [2])], [vi("y", [2])])


def bad_shapes():
    nodes = [h.make_node("Add", ["x", "w"], ["y"], name="add")]
    return model(nodes, [vi("x", [2, 3])], [vi("y", [2, 3])], [init("w", np.zeros([4], np.float32))])


def wrong_output_type():
    return relu_model(out_type=TP.FLOAT16)


def wrong_output_shape():
    return relu_model(out_shape=(3,))


def too_new_op():
    nodes = [h.make_node("HardSwish", ["x"], ["y"], name="hs")]
    return model(nodes, [vi("x", [2])], [vi("y", [2])], opset=13)


def unknown_attr():
    nodes = [h.make_node("Relu", ["x"], ["y"], name="relu", color=3)]
    return model(nodes, [vi("x", [2])], [vi("y", [2])])


def twice_defined():
    nodes = [h.make_node("Relu", ["x"], ["y"], name="a"), h.make_node("Relu", ["x"], ["y"], name="b")]
    return model(nodes, [vi("x", [2])], [vi("y", [2])])


def dynamic_reshape():
    nodes = [h.make_node("Reshape", ["x", "s"], ["y"], name="rs")]
    return model(nodes, [vi("x", [2, 3]), vi("s", [2], TP.INT64)], [vi("y", [3, 2])])


def no_graph():
    m = onnx.ModelProto()
    m.ir_version = 8
    m.opset_import.add().version = 13
    return m.SerializeToString()


# ---- wire-level models -------------------------------------------------------------------


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, payload):
    """A length-delimited field."""
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def nested_model(depth):
    """A model whose deepest message is at depth (the model is 1): graph 2,
    the input's ValueInfoProto 3, then TypeProto (even depths) and
    TypeProto.Sequence (odd depths) down to depth."""
    body = b""
    for d in range(depth, 3, -1):
        if d < depth:
            body = field(4 if d % 2 == 0 else 1, body)
    vinfo = field(1, b"x") + field(2, body)
    graph = field(2, b"g") + field(11, vinfo)
    opset = field(1, b"") + varint(2 << 3) + varint(13)
    return varint(1 << 3) + varint(8) + field(8, opset) + field(7, graph)


def truncated():
    b = convnet()
    return b[: len(b) // 2]


def amplify():
    """5 million empty nodes: 10 MB that protobuf-c would unpack into more
    than 4 x 10 MB + 256 MiB of structs and pointers."""
    return field(7, b"\x0a\x00" * 5_000_000)


WIRE = {
    "amplify": amplify,
    "nest_at_limit": lambda: nested_model(64),
    "nest_over_limit": lambda: nested_model(65),
    "nest_10000": lambda: nested_model(10000),
    "truncated": truncated,
    "tag5": lambda: b"\x80\x80\x80\x80\x7f\x00",
    "group": lambda: b"\x0b\x0c",
    "huge_length": lambda: varint(7 << 3 | 2) + varint(0x80000000) + b"\0",
    "bad_wire_type": lambda: b"\x0e",
}

MODELS = {
    "convnet": convnet,
    "clip9": lambda: clip(9), "clip13": lambda: clip(13),
    "squeeze11": lambda: squeeze(11), "squeeze13": lambda: squeeze(13),
    "slice9": lambda: slice_(9), "slice13": lambda: slice_(13),
    "softmax11": lambda: softmax(11), "softmax13": lambda: softmax(13),
    "shape_fold": shape_fold,
    "constants": constants,
    "dynamic": dynamic,
    "unsupported_ops": unsupported_ops,
    "bad_dtype_input": bad_dtype_input,
    "bad_dtype_init": bad_dtype_init,
    "opset7": lambda: relu_model(opset=7),
    "opset18": lambda: relu_model(opset=18),
    "raw_short": raw_short,
    "negative_dim": negative_dim,
    "rank8": lambda: rank(8), "rank9": lambda: rank(9),
    "external": external,
    "undefined_input": undefined_input,
    "bad_shapes": bad_shapes,
    "wrong_output_type": wrong_output_type,
    "wrong_output_shape": wrong_output_shape,
    "too_new_op": too_new_op,
    "unknown_attr": unknown_attr,
    "twice_defined": twice_defined,
    "dynamic_reshape": dynamic_reshape,
    "no_graph": no_graph,
}
MODELS.update(WIRE)


def main(argv):
    if argv[1:] == ["--list"]:
        print("\n".join(sorted(MODELS)))
        return 0
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for name in argv[2:]:
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(MODELS[name]())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
