#!/usr/bin/env python3
"""bias_check.py F.npy Q0.npy Q1.npy: per-channel mean output error of the
QDQ graph before (Q0) and after (Q1) bias correction against the float
graph (F), outputs (N, 1, C, ...); prints both and whether the corrected
one is below a fifth of the uncorrected one."""
import sys

import numpy as np

f, q0, q1 = (np.load(p).astype(np.float64) for p in sys.argv[1:4])
axes = tuple(i for i in range(f.ndim) if i != 2)
e0 = np.abs((q0 - f).mean(axis=axes)).max()
e1 = np.abs((q1 - f).mean(axis=axes)).max()
print("mean error per channel, max: %.5f before, %.5f after" % (e0, e1))
print("corrected mean error below a fifth: %s" % (e1 < 0.2 * e0))
