#!/usr/bin/python3
"""Train the bundled "digits" example model and export it to ONNX.

Usage: /usr/bin/python3 examples/digits/train.py [OUTDIR]

OUTDIR defaults to the directory of this script.  Needs Debian's
python3-torch (1.13), python3-sklearn (1.2), python3-numpy and python3-onnx;
run it with /usr/bin/python3, not whatever python3 is first on PATH.

Data: the handwritten digits that ship with scikit-learn
(sklearn.datasets.load_digits: 1,797 8x8 images, values 0..16), scaled to
[0, 1] and split 75/25, stratified by class (train_test_split, random_state
0): 1,347 training and 450 test images.

Model: a small CNN (6,242 trainable parameters; 6,218 in the ONNX file once BatchNorm is folded):

  Conv(1->8, 3x3, pad 1) + BatchNorm + ReLU
  Conv(8->16, 3x3, pad 1) + BatchNorm + ReLU
  MaxPool 2x2                                  -> 16x4x4
  Conv(16->32, 3x3, pad 1) + ReLU
  GlobalAveragePool -> Flatten -> Linear(32->10)

trained on the CPU, one thread, seeded, with deterministic algorithms, for
a fixed number of epochs; BatchNorm is exported in eval mode (the exporter
folds it into the convolutions).

Writes to OUTDIR:
  digits.onnx            opset 13, graph "digits", input "input" f32[1,1,8,8],
                         output "logits" f32[1,10]
  train_x.npy, train_y.npy   the training split, float32 [1347,1,8,8] / int64
  test_x.npy, test_y.npy     the test split, float32 [450,1,8,8] / int64
  test_logits_torch.npy      PyTorch's logits on the test split, float32 [450,10]

and prints the PyTorch test accuracy.  The .npy files of the data are the
same bytes on every run; on one machine the whole output is (the .onnx and
the logits may differ in float bits across machines or library versions).
"""
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

OPSET = 13
EPOCHS = 40
BATCH = 32
LR = 0.01


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    )


def load_data():
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y)
    return (np.ascontiguousarray(x_train), np.ascontiguousarray(y_train),
            np.ascontiguousarray(x_test), np.ascontiguousarray(y_test))


def train(model, x_train, y_train):
    xs, ys = torch.from_numpy(x_train), torch.from_numpy(y_train)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(EPOCHS):
        perm = torch.randperm(len(xs), generator=gen)
        for i in range(0, len(xs), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
        sched.step()
    model.eval()


def export(model, path):
    dummy = torch.zeros(1, 1, 8, 8)
    torch.onnx.export(model, dummy, path, opset_version=OPSET,
                      input_names=["input"], output_names=["logits"],
                      do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(path)
    m.graph.name = "digits"
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return m


def main():
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1].startswith("-")):
        sys.exit(__doc__)
    outdir = sys.argv[1] if len(sys.argv) == 2 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)

    torch.set_num_threads(1)
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)

    x_train, y_train, x_test, y_test = load_data()
    model = make_model()
    nparams = sum(p.numel() for p in model.parameters())

    t0 = time.monotonic()
    train(model, x_train, y_train)
    seconds = time.monotonic() - t0

    with torch.no_grad():
        logits = model(torch.from_numpy(x_test)).numpy().astype(np.float32)
    correct = int((logits.argmax(axis=1) == y_test).sum())

    m = export(model, os.path.join(outdir, "digits.onnx"))
    for name, arr in (("train_x", x_train), ("train_y", y_train), ("test_x", x_test),
                      ("test_y", y_test), ("test_logits_torch", logits)):
        np.save(os.path.join(outdir, name + ".npy"), arr)

    ops = sorted({n.op_type for n in m.graph.node})
    print("digits: %d parameters, %d epochs, %.1f s training" % (nparams, EPOCHS, seconds))
    print("digits: train %d, test %d images" % (len(y_train), len(y_test)))
    print("digits: ONNX ops %s" % ", ".join(ops))
    print("PyTorch test accuracy: %d/%d (%.2f%%)" % (correct, len(y_test), 100.0 * correct / len(y_test)))


if __name__ == "__main__":
    main()
