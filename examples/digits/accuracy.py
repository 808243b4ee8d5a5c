#!/usr/bin/python3
"""Classify the digits test split with condense's reference interpreter.

Usage: /usr/bin/python3 examples/digits/accuracy.py [--condense PATH | --bin DIR]
                                                    [--limit N] [--data DIR]

Runs `condense run digits.onnx --input input=IMAGE.npy -o OUT` once per test
image (the first N with --limit), reads OUT/logits.npy back and compares
with the labels (test_y.npy) and with PyTorch's logits
(test_logits_torch.npy, written by train.py).  Prints

  condense interpreter accuracy: X/N (Y%)
  PyTorch accuracy on the same images: X/N (Y%)
  top-1 agreement with PyTorch: X/N
  max |condense - torch| over all logits: D
  condense runs: N in S s

and then "digits: OK" if condense agrees with PyTorch on every top-1
prediction, no logit differs by more than 1e-3, and the accuracy is at
least 97%; otherwise it says what failed and exits 1.  A failing
`condense run` also exits 1, with its output.

--condense PATH   the condense binary (default: build/bin/condense of this
                  repository); --bin DIR means DIR/condense
--limit N         only the first N test images (default: all 450)
--data DIR        where digits.onnx and the .npy files are (default: the
                  directory of this script)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_ABS_DIFF = 1e-3
MIN_ACCURACY = 97.0


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="See the top of %s for what is printed." % __file__)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--condense", help="the condense binary")
    g.add_argument("--bin", help="the directory holding the condense binary")
    p.add_argument("--limit", type=int, default=None, help="only the first N test images")
    p.add_argument("--data", default=HERE, help="directory of digits.onnx and the .npy files")
    args = p.parse_args()
    if args.condense is None:
        bindir = args.bin or os.path.join(HERE, "..", "..", "build", "bin")
        args.condense = os.path.join(bindir, "condense")
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    return args


def main():
    args = parse_args()
    model = os.path.join(args.data, "digits.onnx")
    x = np.load(os.path.join(args.data, "test_x.npy"))
    y = np.load(os.path.join(args.data, "test_y.npy"))
    ref = np.load(os.path.join(args.data, "test_logits_torch.npy"))
    if args.limit is not None:
        x, y, ref = x[:args.limit], y[:args.limit], ref[:args.limit]
    n = len(y)

    logits = np.empty((n, 10), dtype=np.float32)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="digits-") as tmp:
        image = os.path.join(tmp, "image.npy")
        for i in range(n):
            np.save(image, np.ascontiguousarray(x[i:i + 1]))
            out = os.path.join(tmp, "out%d" % i)
            try:
                r = subprocess.run([args.condense, "run", model, "--input", "input=" + image, "-o", out],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            except OSError as e:
                print("digits: FAIL: cannot run %s: %s" % (args.condense, e.strerror))
                return 1
            if r.returncode != 0:
                sys.stdout.write(r.stdout)
                print("digits: FAIL: condense run exited %d on test image %d" % (r.returncode, i))
                return 1
            got = np.load(os.path.join(out, "logits.npy"))
            if got.dtype != np.float32 or got.shape != (1, 10):
                print("digits: FAIL: image %d: logits are %s%s, expected float32 (1, 10)"
                      % (i, got.dtype, list(got.shape)))
                return 1
            logits[i] = got[0]
    seconds = time.monotonic() - t0

    pred, ref_pred = logits.argmax(axis=1), ref.argmax(axis=1)
    correct, ref_correct = int((pred == y).sum()), int((ref_pred == y).sum())
    agree = int((pred == ref_pred).sum())
    diff = float(np.abs(logits - ref).max())
    accuracy = 100.0 * correct / n

    print("condense interpreter accuracy: %d/%d (%.2f%%)" % (correct, n, accuracy))
    print("PyTorch accuracy on the same images: %d/%d (%.2f%%)" % (ref_correct, n, 100.0 * ref_correct / n))
    print("top-1 agreement with PyTorch: %d/%d" % (agree, n))
    print("max |condense - torch| over all logits: %.3g" % diff)
    print("condense runs: %d in %.1f s" % (n, seconds))

    failures = []
    if agree != n:
        failures.append("top-1 prediction differs from PyTorch on %d image(s): %s"
                        % (n - agree, ", ".join(str(i) for i in np.nonzero(pred != ref_pred)[0][:10])))
    if not diff <= MAX_ABS_DIFF:
        failures.append("a logit differs from PyTorch's by %.3g > %g" % (diff, MAX_ABS_DIFF))
    if accuracy < MIN_ACCURACY:
        failures.append("accuracy %.2f%% < %g%%" % (accuracy, MIN_ACCURACY))
    for f in failures:
        print("digits: FAIL: " + f)
    if failures:
        return 1
    print("digits: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
