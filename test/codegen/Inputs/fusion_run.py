#!/usr/bin/env python3
"""Compile, run and compare the fusion test models on one target.

Usage: fusion_run.py CONDENSE DIR TRIPLE CC [RUNNER...]

DIR holds what fusion_models.py wrote.  For every model M there (and its
unfused twin M_ref) this compiles DIR/M.onnx with `CONDENSE compile --name M
--target TRIPLE`, links all of them with npy_run.c into one executable (CC
is the compiler command, split on spaces), runs M and M_ref on M's inputs
(through RUNNER, e.g. qemu, when given) and `CONDENSE run` (the
interpreter) on them, then compares with test/tools/Inputs/compare_npy.py
every output of M:

  TRIPLE M exact: ...   with M_ref's output of the same name, bit for bit
                        (fusion must not change a single result);
  TRIPLE M interp: ...  with the interpreter's, exactly for integers and
                        within rtol 1e-5, atol 2.5e-7 for floats: what the
                        unfused kernels meet (cg_erf's absolute error near
                        -1 is about 2 ulp of 1, which GELU's 1 + erf(x)
                        exposes).

Prints compare_npy.py's lines with that prefix; exits 1 at the first
failure.
"""
import os
import shlex
import subprocess
import sys

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
COMPARE = os.path.join(ROOT, "test", "tools", "Inputs", "compare_npy.py")


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stdout))
    return r.stdout


def models(d):
    names = sorted(f[:-5] for f in os.listdir(d) if f.endswith(".onnx") and not f.endswith("_ref.onnx"))
    return [(m, onnx.load(os.path.join(d, m + ".onnx")).graph) for m in names]


def compare(prefix, opts, pairs):
    for got, want in pairs:
        out = run([sys.executable, COMPARE] + opts + [got, want])
        for line in out.splitlines():
            print(prefix, line)


def main():
    condense, d, triple, cc = sys.argv[1:5]
    runner = sys.argv[5:]
    work = os.path.join(d, triple)
    os.makedirs(work, exist_ok=True)
    ms = models(d)
    objs, names = [], []
    for m, _ in ms:
        for v in (m, m + "_ref"):
            obj = os.path.join(work, v + ".o")
            run([condense, "compile", os.path.join(d, v + ".onnx"), "--name", v, "--target", triple,
                 "-o", obj])
            objs.append(obj)
            names.append("X(%s)" % v)
    exe = os.path.join(work, "npy_run")
    run(shlex.split(cc) + ["-std=c11", "-O2", "-I" + ROOT, "-DMODELS=" + " ".join(names),
                           os.path.join(HERE, "npy_run.c"), os.path.join(ROOT, "runtime", "npy.c")]
        + objs + ["-o", exe])
    for m, graph in ms:
        ins = [os.path.join(d, "%s.%s.npy" % (m, i.name)) for i in graph.input]
        dirs = {}
        for v in (m, m + "_ref"):
            dirs[v] = os.path.join(work, "out", v)
            os.makedirs(dirs[v], exist_ok=True)
            run(runner + [exe, v] + ins + ["-o", dirs[v]])
        interp = os.path.join(work, "interp", m)
        os.makedirs(interp, exist_ok=True)
        run([condense, "run", os.path.join(d, m + ".onnx"), "-o", interp]
            + [a for i, p in zip(graph.input, ins) for a in ("--input", "%s=%s" % (i.name, p))])
        outs = [o.name + ".npy" for o in graph.output]
        got = [os.path.join(dirs[m], o) for o in outs]
        compare("%s %s exact:" % (triple, m), ["--rtol", "0"],
                [(g, os.path.join(dirs[m + "_ref"], o)) for g, o in zip(got, outs)])
        compare("%s %s interp:" % (triple, m), ["--rtol", "1e-5", "--atol", "2.5e-7"],
                [(g, os.path.join(interp, o)) for g, o in zip(got, outs)])


if __name__ == "__main__":
    main()
