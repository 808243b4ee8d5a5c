#!/usr/bin/python3
"""Float vs fake-int8 accuracy of the digits model on the held-out split.

Usage: /usr/bin/python3 quantize_accuracy.py LABELS.npy FLOAT.npy INT8.npy

FLOAT.npy and INT8.npy hold the logits of every test image (condense-opt
--run-samples of the float graph and of its QDQ form).  Prints both
accuracies, their top-1 agreement and the largest logit difference, then
"quantize digits: OK" when the int8 accuracy is within 1.0 point of the
float one (the int8 issue's bar); otherwise "quantize digits: FAIL" and
exit status 1.
"""
import sys

import numpy as np

MAX_DROP_POINTS = 1.0


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    y = np.load(sys.argv[1])
    f = np.load(sys.argv[2]).reshape(len(y), -1)
    q = np.load(sys.argv[3]).reshape(len(y), -1)
    fa, qa = int((f.argmax(1) == y).sum()), int((q.argmax(1) == y).sum())
    n = len(y)
    print("float accuracy: %d/%d (%.2f%%)" % (fa, n, 100.0 * fa / n))
    print("int8 (QDQ) accuracy: %d/%d (%.2f%%)" % (qa, n, 100.0 * qa / n))
    print("top-1 agreement: %d/%d" % (int((f.argmax(1) == q.argmax(1)).sum()), n))
    print("max |int8 - float| logit: %.4f" % float(np.abs(f - q).max()))
    drop = 100.0 * (fa - qa) / n
    if drop > MAX_DROP_POINTS:
        print("quantize digits: FAIL: int8 is %.2f points below float" % drop)
        sys.exit(1)
    print("quantize digits: OK")


if __name__ == "__main__":
    main()
