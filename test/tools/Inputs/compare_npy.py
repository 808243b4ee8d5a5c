#!/usr/bin/env python3
"""Compare .npy files that condense wrote with the ones numpy expects.

Usage: compare_npy.py [--rtol R] [--atol A] [--atol-rel S] [--dtype-of-got]
                      GOT.npy WANT.npy [GOT WANT ...]

For each pair: GOT must load with numpy, have WANT's shape and, unless
--dtype-of-got is given (WANT is a float64 reference), WANT's dtype; the
values must agree within |got - want| <= atol + rtol*|want| (exactly for
integers and bools).  --atol-rel S sets atol to S * max|want|, a tolerance
on the output's scale for elements that are sums cancelling to near zero.
Defaults: rtol 1e-6, atol 0.  Prints "ok NAME dtype shape" per pair, or the
first difference and exits 1.
"""
import sys

import numpy as np


def compare(got_path, want_path, rtol, atol, atol_rel, any_dtype):
    got = np.load(got_path)
    want = np.load(want_path)
    if atol_rel is not None and want.size:
        atol = atol_rel * float(np.abs(want.astype(np.float64)).max())
    if got.shape != want.shape:
        sys.exit("%s: shape %s, expected %s" % (got_path, got.shape, want.shape))
    if not any_dtype and got.dtype != want.dtype:
        sys.exit("%s: dtype %s, expected %s" % (got_path, got.dtype, want.dtype))
    if got.dtype.kind == "f":
        bad = ~np.isclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol,
                          equal_nan=True)
    else:
        bad = got != want
    if bad.any():
        i = np.flatnonzero(bad)[0]
        sys.exit("%s: element %d is %r, expected %r (%d differ)"
                 % (got_path, i, got.ravel()[i], want.ravel()[i], bad.sum()))
    print("ok %s %s %s" % (got_path.rsplit("/", 1)[-1], got.dtype, list(got.shape)))


def main():
    args = sys.argv[1:]
    rtol, atol, atol_rel, any_dtype = 1e-6, 0.0, None, False
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--rtol":
            rtol = float(args.pop(0))
        elif opt == "--atol":
            atol = float(args.pop(0))
        elif opt == "--atol-rel":
            atol_rel = float(args.pop(0))
        elif opt == "--dtype-of-got":
            any_dtype = True
        else:
            sys.exit("unknown option " + opt)
    if not args or len(args) % 2:
        sys.exit(__doc__)
    for got, want in zip(args[::2], args[1::2]):
        compare(got, want, rtol, atol, atol_rel, any_dtype)


if __name__ == "__main__":
    main()
