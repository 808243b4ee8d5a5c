#!/usr/bin/env python3
"""Compile the models of DIR for one target, run them, compare with the
interpreter byte for byte.

Usage: int8_diff.py CONDENSE DIR OUT --target TRIPLE [--features F]
                    [--cc "CC ARGS"] [--run "PREFIX ARGS"] [--valgrind]

DIR holds models.txt (one name a line) and, per NAME, NAME.onnx or
NAME.cir, NAME.x.npy (the one input) and, for .cir models, NAME.want.npy.
For an .onnx model the expected result is `condense run` (the
interpreter), written once to DIR/NAME.want.npy.  Every model is compiled
with `condense compile --target TRIPLE [--features F] --name NAME` into
OUT, all are linked with test/codegen/Inputs/npy_run.c by CC (default cc),
run under the PREFIX (qemu; nothing for the host), under valgrind too when
asked, and each result must equal the expected .npy exactly (dtype, shape,
every element).  Prints "ok NAME" per model, or the first difference and
exits 1.
"""
import argparse
import os
import shlex
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit("int8_diff: %s failed (%d):\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def model_path(d, name):
    onnx = os.path.join(d, name + ".onnx")
    return onnx if os.path.exists(onnx) else os.path.join(d, name + ".cir")


def want(condense, d, name):
    path = os.path.join(d, name + ".want.npy")
    if not os.path.exists(path):
        tmp = os.path.join(d, name + ".interp")
        os.makedirs(tmp, exist_ok=True)
        run([condense, "run", model_path(d, name), "--input", "x=" + os.path.join(d, name + ".x.npy"), "-o", tmp])
        os.replace(os.path.join(tmp, "y.npy"), path)
    return np.load(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("condense")
    ap.add_argument("dir")
    ap.add_argument("out")
    ap.add_argument("--target", required=True)
    ap.add_argument("--features")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--run", default="")
    ap.add_argument("--valgrind", action="store_true")
    a = ap.parse_args()
    names = open(os.path.join(a.dir, "models.txt")).read().split()
    os.makedirs(a.out, exist_ok=True)
    objs = []
    for n in names:
        obj = os.path.join(a.out, n + ".o")
        cmd = [a.condense, "compile", model_path(a.dir, n), "--target", a.target, "--name", n, "-o", obj]
        run(cmd + (["--features", a.features] if a.features else []))
        objs.append(obj)
    exe = os.path.join(a.out, "npy_run")
    models = " ".join("X(%s)" % n for n in names)
    run(shlex.split(a.cc) + ["-std=c11", "-O2", "-I" + ROOT, "-DMODELS=" + models,
                              os.path.join(HERE, "npy_run.c"), os.path.join(ROOT, "runtime", "npy.c")]
        + objs + ["-o", exe])
    prefix = shlex.split(a.run) + (["valgrind", "-q", "--error-exitcode=9"] if a.valgrind else [])
    bad = 0
    for n in names:
        od = os.path.join(a.out, n)
        os.makedirs(od, exist_ok=True)
        run(prefix + [exe, n, os.path.join(a.dir, n + ".x.npy"), "-o", od])
        got, exp = np.load(os.path.join(od, "y.npy")), want(a.condense, a.dir, n)
        if got.dtype != exp.dtype or got.shape != exp.shape:
            print("FAIL %s: %s%s, expected %s%s" % (n, got.dtype, got.shape, exp.dtype, exp.shape))
            bad += 1
        elif not np.array_equal(got, exp):
            i = int(np.flatnonzero(got != exp)[0])
            print("FAIL %s: element %d is %d, expected %d (%d differ)"
                  % (n, i, got.ravel()[i], exp.ravel()[i], int((got != exp).sum())))
            bad += 1
        else:
            print("ok %s %s %s" % (n, got.dtype, list(got.shape)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
