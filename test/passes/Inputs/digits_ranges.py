#!/usr/bin/python3
"""Min/max ranges of the digits model's activations, computed with numpy.

Usage: /usr/bin/python3 digits_ranges.py MODEL.onnx PREPPED.cir OUT.ranges [--check-data DIR]

An independent calibration for the quantization tests (it shares no code
with condense): the calibration set is regenerated from scikit-learn's
load_digits with the split examples/digits/train.py makes (scaled to
[0, 1], 75/25, stratified, random_state 0), and its 1,347 training images
run through the ONNX graph evaluated here in numpy (the ops the digits model
uses: Conv, Relu, MaxPool, GlobalAveragePool, Flatten, Gemm).  Each
tensor's range is its minimum and maximum over the whole set.

The ranges file names values as condense's prepared graph (PREPPED.cir, the
model after canonicalize,...,fuse-activation) shows them: a Relu fused into
the Conv or Gemm before it leaves the producer's value holding the Relu's
result, so that value gets the Relu's range; values the graph no longer has
are not written.

With --check-data DIR the regenerated split must equal DIR/train_x.npy, and
the numpy model's logits on DIR/test_x.npy must be within 1e-3 of PyTorch's
(DIR/test_logits_torch.npy), so the evaluator here is known to be the model.
"""
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def calibration_set():
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    x_train, _, _, _ = train_test_split(x, digits.target.astype(np.int64), test_size=0.25,
                                        random_state=0, stratify=digits.target)
    return np.ascontiguousarray(x_train)


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def conv(x, w, b, node):
    pads = attr(node, "pads", [0, 0, 0, 0])
    strides = attr(node, "strides", [1, 1])
    assert attr(node, "group", 1) == 1 and list(attr(node, "dilations", [1, 1])) == [1, 1]
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    m, c, kh, kw = w.shape
    oh = (x.shape[2] - kh) // strides[0] + 1
    ow = (x.shape[3] - kw) // strides[1] + 1
    y = np.zeros((x.shape[0], m, oh, ow), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
            y += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j], dtype=np.float64)
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def maxpool(x, node):
    k = attr(node, "kernel_shape", None)
    s = attr(node, "strides", k)
    assert list(attr(node, "pads", [0, 0, 0, 0])) == [0, 0, 0, 0]
    oh, ow = (x.shape[2] - k[0]) // s[0] + 1, (x.shape[3] - k[1]) // s[1] + 1
    y = np.full((x.shape[0], x.shape[1], oh, ow), -np.inf, np.float32)
    for i in range(k[0]):
        for j in range(k[1]):
            y = np.maximum(y, x[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]])
    return y


def gemm(a, b, c, node):
    if attr(node, "transA", 0):
        a = a.T
    if attr(node, "transB", 0):
        b = b.T
    y = attr(node, "alpha", 1.0) * (a.astype(np.float64) @ b)
    if c is not None:
        y += attr(node, "beta", 1.0) * c
    return y.astype(np.float32)


def run(model, x):
    """Every tensor of the graph for the batch x, by name."""
    t = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    t[model.graph.input[0].name] = x
    for n in model.graph.node:
        ins = [t[i] if i else None for i in n.input] + [None] * 3
        if n.op_type == "Conv":
            y = conv(ins[0], ins[1], ins[2], n)
        elif n.op_type == "Relu":
            y = np.maximum(ins[0], 0)
        elif n.op_type == "MaxPool":
            y = maxpool(ins[0], n)
        elif n.op_type == "GlobalAveragePool":
            y = ins[0].astype(np.float64).mean(axis=(2, 3), keepdims=True).astype(np.float32)
        elif n.op_type == "Flatten":
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif n.op_type == "Gemm":
            y = gemm(ins[0], ins[1], ins[2], n)
        else:
            sys.exit("digits_ranges.py: no numpy kernel for %s" % n.op_type)
        t[n.output[0]] = y
    return t


def fused_names(model):
    """ONNX tensor name -> the name of the value holding it after fusion."""
    producer = {o: n for n in model.graph.node for o in n.output}
    uses = {}
    for n in model.graph.node:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    outputs = {o.name for o in model.graph.output}
    alias = {}
    for n in model.graph.node:
        p = producer.get(n.input[0]) if n.op_type == "Relu" else None
        if p is not None and p.op_type in ("Conv", "Gemm", "Add") and uses[n.input[0]] == 1 \
                and n.input[0] not in outputs:
            alias[n.output[0]] = n.input[0]
    return alias


def cir_labels(path):
    """The value names a .cir defines (graph inputs and op results)."""
    names = set()
    pat = re.compile(r'%("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.]*)')
    for line in open(path):
        s = line.strip()
        if s.startswith("input ") or re.match(r'%\S.* = ', s):
            lhs = s[len("input "):] if s.startswith("input ") else s.split(" = ")[0]
            for m in pat.finditer(lhs):
                names.add(m.group(1).strip('"'))
    return names


def label(name):
    return "%" + name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) else '%"' + name + '"'


def check_data(model, x_cal, data):
    assert np.array_equal(x_cal, np.load(data + "/train_x.npy")), "the split differs from train_x.npy"
    t = run(model, np.load(data + "/test_x.npy"))
    d = np.abs(t[model.graph.output[0].name] - np.load(data + "/test_logits_torch.npy")).max()
    assert d < 1e-3, "numpy logits differ from PyTorch's by %g" % d


def main():
    args = sys.argv[1:]
    if len(args) not in (3, 5) or (len(args) == 5 and args[3] != "--check-data"):
        sys.exit(__doc__)
    model = onnx.load(args[0])
    x_cal = calibration_set()
    if len(args) == 5:
        check_data(model, x_cal, args[4])
    t = run(model, x_cal)
    alias = fused_names(model)
    have = cir_labels(args[1])
    consts = {i.name for i in model.graph.initializer}
    pre_activation = set(alias.values())
    ranges = {}
    for name, v in t.items():
        target = alias.get(name, name)
        if name in pre_activation or name in consts or target not in have:
            continue
        ranges[target] = (float(v.min()), float(v.max()))
    with open(args[2], "w") as f:
        f.write("# condense ranges v1\n# method minmax (numpy, digits_ranges.py), samples %d\n" % len(x_cal))
        for name in sorted(ranges):
            f.write("%s %.9g %.9g\n" % (label(name), ranges[name][0], ranges[name][1]))


if __name__ == "__main__":
    main()
