"""condense's benchmark: single-thread latency against ONNX Runtime, IREE and
TFLite (XNNPACK), written to docs/benchmarks.md.

Usage (`make bench` runs it with the bench venv's python from the repo root):
  .venv-bench/bin/python bench/bench.py [--condense PATH] [--work DIR]
      [--out FILE] [--reps N] [--seconds S] [--warmup S] [--cpu N]
      [--models a,b] [--peers a,b]

Steps:
 1. Models: MobileNetV2 and ResNet-18 at 1x3x224x224 from torchvision with
    random weights (scripts/export_torchvision.py, Debian's /usr/bin/python3)
    and the digits CNN (examples/digits/digits.onnx), each with an input and
    the PyTorch output on it.
 2. Preparation, timed: `condense compile ... -O3` and bench/timing.c linked
    against the object; iree-import-onnx + iree-compile (llvm-cpu, host CPU);
    onnx2tf to a float32 .tflite (cached in WORK, keyed by the model's
    hash and onnx2tf's version, since it takes minutes); ONNX Runtime needs
    none (its session creation time is reported).  Each peer's output on the
    input is compared with PyTorch's (a sanity check, not a test).
 3. Measurement: --reps rounds; in each, every (model, peer) is measured once
    in a fresh process pinned to one CPU, in an order rotated every round, so
    the peers see the same machine conditions.  One measurement times each
    call on its own after a warm-up and takes the median; the reported
    latency is the median over the rounds.
 4. Report: the Markdown file and WORK/results.json.

A peer that is not installed, fails to convert or compile a model, or
crashes is reported with the reason; nothing here fails the run because one
peer failed, and nothing asserts anything about speed.
"""
import argparse
import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import int8_bench  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
SYSTEM_PYTHON = "/usr/bin/python3"
VENV_BIN = os.path.dirname(os.path.abspath(sys.executable))

PEERS = ["condense", "ort", "iree", "tflite", "condense-int8", "ort-int8", "condense-ortq", "ort-cq",
         "tflite-int8"]
PEER_TITLES = {
    "condense": "condense",
    "ort": "ONNX Runtime",
    "iree": "IREE",
    "tflite": "TFLite (XNNPACK)",
    "condense-int8": "condense int8",
    "ort-int8": "ONNX Runtime int8 (its QDQ)",
    "condense-ortq": "condense on ORT's QDQ",
    "ort-cq": "ONNX Runtime on condense's QDQ",
    "tflite-int8": "TFLite int8 (XNNPACK)",
}
# int8 configurations (bench/int8_bench.py): their outputs are compared
# with the float reference only for information.
INT8_PEERS = ("condense-int8", "ort-int8", "condense-ortq", "ort-cq", "tflite-int8")
MODELS = ["digits", "mobilenet_v2", "resnet18"]
MODEL_TITLES = {
    "digits": "digits CNN (1x1x8x8)",
    "mobilenet_v2": "MobileNetV2-1.0 (1x3x224x224)",
    "resnet18": "ResNet-18 (1x3x224x224)",
}
IREE_FLAGS = ["--iree-hal-target-backends=llvm-cpu", "--iree-llvmcpu-target-cpu=host"]
CHECK_RTOL = 1e-3  # max|y - ref| / max|ref| above which the output check says "differs"
TIMEOUT_PREP = 1800
TIMEOUT_RUN = 600


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def tail(text, n=4):
    """The last n non-empty lines of text, joined: the reason in a failure."""
    lines = [l.strip() for l in (text or "").splitlines() if l.strip()]
    lines = [l for l in lines if not re.match(r"^[WI]\d{4} ", l)]  # absl log noise
    return " / ".join(lines[-n:]) if lines else "(no output)"


def short_reason(text, limit=160):
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Failure(Exception):
    pass


def run(cmd, timeout, cwd=None, cpu=None, env=None):
    """Run cmd; return (returncode, stdout, stderr, seconds).  A command that
    cannot start or times out raises Failure."""
    def pin():
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=timeout, preexec_fn=pin)
    except FileNotFoundError as e:
        raise Failure("%s not found" % e.filename)
    except subprocess.TimeoutExpired:
        raise Failure("%s timed out after %d s" % (os.path.basename(cmd[0]), timeout))
    return p.returncode, p.stdout, p.stderr, time.perf_counter() - t0


def must(cmd, timeout, what, **kw):
    rc, out, err, secs = run(cmd, timeout, **kw)
    if rc != 0:
        raise Failure("%s failed (exit %d): %s" % (what, rc, tail(err + "\n" + out)))
    return out, err, secs


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def version_of(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_output(y, ref):
    """('ok'|'differs', relative error) of output y against reference ref."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if y.size != ref.size:
        return "differs", "%d elements, %d expected" % (y.size, ref.size)
    scale = float(np.abs(ref).max()) or 1.0
    rel = float(np.abs(y - ref).max()) / scale
    if not np.isfinite(rel):
        return "differs", "non-finite output"
    return ("ok" if rel <= CHECK_RTOL else "differs"), "%.1e" % rel


# --------------------------------------------------------------------------
# Models


def prepare_models(work, names):
    """{name: {"onnx", "input", "ref"}} for the models in names."""
    mdir = os.path.join(work, "models")
    os.makedirs(mdir, exist_ok=True)
    out = {}
    tv = [n for n in names if n in ("mobilenet_v2", "resnet18")]
    script = os.path.join(ROOT, "scripts", "export_torchvision.py")
    stale = [n for n in tv
             if not all(os.path.exists(os.path.join(mdir, n + s))
                        and os.path.getmtime(os.path.join(mdir, n + s)) >= os.path.getmtime(script)
                        for s in (".onnx", ".input.npy", ".output.npy"))]
    if stale:
        log("exporting %s with %s" % (", ".join(stale), script))
        must([SYSTEM_PYTHON, script, "--bn-random", mdir] + stale, TIMEOUT_PREP, "export_torchvision.py")
    for n in tv:
        out[n] = {p: os.path.join(mdir, n + s)
                  for p, s in (("onnx", ".onnx"), ("input", ".input.npy"), ("ref", ".output.npy"))}
    if "digits" in names:
        ddir = os.path.join(ROOT, "examples", "digits")
        x = np.load(os.path.join(ddir, "test_x.npy"))[:1]
        ref = np.load(os.path.join(ddir, "test_logits_torch.npy"))[:1]
        np.save(os.path.join(mdir, "digits.input.npy"), x)
        np.save(os.path.join(mdir, "digits.output.npy"), ref)
        # A copy: peers write beside the model (onnx2tf rewrites it, peer
        # outputs land next to it), and the committed file must stay as is.
        shutil.copyfile(os.path.join(ddir, "digits.onnx"), os.path.join(mdir, "digits.onnx"))
        out["digits"] = {"onnx": os.path.join(mdir, "digits.onnx"),
                         "input": os.path.join(mdir, "digits.input.npy"),
                         "ref": os.path.join(mdir, "digits.output.npy")}
    return out


# --------------------------------------------------------------------------
# Peers.  prepare(model, m, pdir, args) returns a dict with at least
# "measure" (a function (args, seconds, min_iters) -> stats dict) and
# "prep_s"; it raises Failure with the reason when the peer cannot take
# the model.


def size_sections(obj):
    """(text, rodata) bytes of an object from `size -A`: .text*, and
    .rodata*/.lrodata*/.data.rel.ro* (constant data, some of it relocated)."""
    tool = shutil.which("size") or shutil.which("llvm-size-19") or shutil.which("llvm-size")
    if not tool:
        raise Failure("no size or llvm-size")
    out, _, _ = must([tool, "-A", obj], 60, "size -A")
    text = rodata = 0
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2 and f[1].isdigit():
            if f[0].startswith(".text"):
                text += int(f[1])
            elif f[0].startswith((".rodata", ".lrodata", ".data.rel.ro")):
                rodata += int(f[1])
    return text, rodata


def parse_kv(text):
    r = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 2:
            try:
                r[f[0]] = float(f[1])
            except ValueError:
                pass
    return r


def prepare_condense(model, m, pdir, args, onnx=None, extra=()):
    exe = args.condense
    if not exe or not os.access(exe, os.X_OK):
        raise Failure("pending: %s not built" % (exe or "condense"))
    rc, out, err, _ = run([exe, "compile", "--help"], 60)
    if "usage: condense compile" not in out + err:
        raise Failure("pending: `condense compile` does not exist yet in %s" % exe)
    obj = os.path.join(pdir, model + ".o")
    hdr = os.path.join(pdir, model + ".h")
    for p in (obj, hdr):
        if os.path.exists(p):
            os.remove(p)
    _, _, prep_s = must([exe, "compile", onnx or m["onnx"], "-o", obj, "--header", hdr,
                         "--name", model, "-O3"] + list(extra), TIMEOUT_PREP, "condense compile")
    text, rodata = size_sections(obj)
    with open(hdr) as f:
        header = f.read()
    ms = re.search(r"#define\s+(\w+)_SCRATCH_SIZE\s+(\d+)", header)
    scratch = int(ms.group(2)) if ms else None

    # The harness: generic through MODEL_model when the header declares it,
    # else the typed entry MODEL_run.
    binary = os.path.join(pdir, "timing-" + model)
    cc = os.environ.get("CC") or "cc"
    base = [cc, "-O2", "-std=c11", "-I", pdir, '-DMODEL_HEADER="%s.h"' % model]
    if re.search(r"\bcondense_model\s+%s_model\b" % re.escape(model), header):
        flags = ["-DMODEL_DESC=%s_model" % model]
    else:
        if not ms:
            raise Failure("the header defines neither %s_model nor a *_SCRATCH_SIZE macro" % model)
        pre = ms.group(1)
        counts = re.findall(r"#define\s+%s_(\w+)_COUNT\s+\d+" % re.escape(pre), header)
        if len(counts) != 2:
            raise Failure("typed harness: expected one input and one output *_COUNT macro")
        flags = ["-DCONDENSE_TYPED", "-DTYPED_RUN=%s_run" % model,
                 "-DTYPED_SCRATCH_SIZE=%s_SCRATCH_SIZE" % pre,
                 "-DTYPED_SCRATCH_ALIGN=%s_SCRATCH_ALIGN" % pre,
                 "-DTYPED_IN_COUNT=%s_%s_COUNT" % (pre, counts[0]),
                 "-DTYPED_OUT_COUNT=%s_%s_COUNT" % (pre, counts[1])]
    must(base + flags + [os.path.join(BENCH, "timing.c"), obj, "-o", binary], 300,
         "building bench/timing.c")

    x = np.load(m["input"]).astype(np.float32)
    raw_in = os.path.join(pdir, model + ".input.bin")
    x.tofile(raw_in)
    raw_out = os.path.join(pdir, model + ".output.bin")

    def measure(a, seconds, min_iters, output=False):
        cmd = [binary, "--in", raw_in, "--seconds", str(seconds), "--warmup", str(a.warmup),
               "--min-iters", str(min_iters), "--max-iters", str(a.max_iters)]
        if output:
            cmd += ["--out", raw_out]
        out, _, _ = must(cmd, TIMEOUT_RUN, "the timing harness", cpu=a.cpu)
        r = parse_kv(out)
        if "median_us" not in r:
            raise Failure("the timing harness printed no median_us")
        if output:
            r["output"] = np.fromfile(raw_out, dtype=np.float32)
        return r

    return {"measure": measure, "prep_s": prep_s, "artifact": obj,
            "text": text, "rodata": rodata, "scratch": scratch,
            "harness": "generic (%s_model)" % model if "-DMODEL_DESC" in flags[0] else "typed (%s_run)" % model}


def python_peer_measure(peer, artifact, m):
    def measure(a, seconds, min_iters, output=False):
        cmd = [sys.executable, os.path.join(BENCH, "peer_run.py"), peer, artifact,
               "--input", m["input"], "--seconds", str(seconds), "--warmup", str(a.warmup),
               "--min-iters", str(min_iters), "--max-iters", str(a.max_iters)]
        out_npy = None
        if output:
            out_npy = os.path.join(os.path.dirname(artifact), "peer_output.npy")
            cmd += ["--output", out_npy]
        out, err, _ = must(cmd, TIMEOUT_RUN, "peer_run.py " + peer, cpu=a.cpu)
        lines = [l for l in out.splitlines() if l.startswith("{")]
        if not lines:
            raise Failure("peer_run.py printed no result: " + tail(err))
        r = json.loads(lines[-1])
        if peer == "tflite":   # the peer_run.py kind: float and int8 .tflite alike
            r["xnnpack"] = "XNNPACK delegate" in err
        if output:
            r["output"] = np.load(out_npy)
        return r
    return measure


def prepare_ort(model, m, pdir, args):
    if not version_of("onnxruntime"):
        raise Failure("onnxruntime is not installed in the venv")
    return {"measure": python_peer_measure("ort", m["onnx"], m), "prep_s": None,
            "artifact": m["onnx"]}


def int8_step(fn, *a):
    """Run an int8_bench step, its Failure as ours."""
    try:
        return fn(*a)
    except int8_bench.Failure as e:
        raise Failure(str(e))


def prepare_condense_int8(model, m, pdir, args):
    cal, _ = int8_step(int8_bench.data, args.work, model)
    return prepare_condense(model, m, pdir, args, extra=["--quantize", "int8", "--calibration", cal])


def prepare_ort_int8(model, m, pdir, args):
    if not version_of("onnxruntime"):
        raise Failure("onnxruntime is not installed in the venv")
    t0 = time.perf_counter()
    q = int8_step(int8_bench.ort_quantize, args.work, model, m["onnx"])
    return {"measure": python_peer_measure("ort", q, m), "prep_s": time.perf_counter() - t0,
            "prep_note": "quantize_static, cached", "artifact": q}


def prepare_ort_cq(model, m, pdir, args):
    if not version_of("onnxruntime"):
        raise Failure("onnxruntime is not installed in the venv")
    t0 = time.perf_counter()
    q = int8_step(int8_bench.condense_export, args.condense, args.work, model, m["onnx"])
    return {"measure": python_peer_measure("ort", q, m), "prep_s": time.perf_counter() - t0,
            "prep_note": "condense export", "artifact": q}


def prepare_tflite_int8(model, m, pdir, args):
    if not version_of("ai-edge-litert"):
        raise Failure("ai-edge-litert is not installed in the venv")
    t0 = time.perf_counter()
    q = int8_step(int8_bench.tflite_quantize, args.work, model, m["onnx"])
    return {"measure": python_peer_measure("tflite", q, m), "prep_s": time.perf_counter() - t0,
            "prep_note": "onnx2tf -oiqt, cached", "artifact": q}


def prepare_condense_ortq(model, m, pdir, args):
    q = int8_step(int8_bench.ort_quantize, args.work, model, m["onnx"])
    return prepare_condense(model, m, pdir, args, onnx=q)


def prepare_iree(model, m, pdir, args):
    imp = os.path.join(VENV_BIN, "iree-import-onnx")
    comp = os.path.join(VENV_BIN, "iree-compile")
    bm = os.path.join(VENV_BIN, "iree-benchmark-module")
    runm = os.path.join(VENV_BIN, "iree-run-module")
    for t in (imp, comp, bm, runm):
        if not os.access(t, os.X_OK):
            raise Failure("%s is not installed in the venv" % os.path.basename(t))
    mlir = os.path.join(pdir, model + ".mlir")
    vmfb = os.path.join(pdir, model + ".vmfb")
    _, _, s1 = must([imp, m["onnx"], "-o", mlir], TIMEOUT_PREP, "iree-import-onnx")
    _, _, s2 = must([comp, mlir] + args.iree_flags + ["-o", vmfb], TIMEOUT_PREP, "iree-compile")
    with open(mlir) as f:
        fn = re.search(r"func\.func @([\w$.-]+)", f.read())
    if not fn:
        raise Failure("no function in the imported MLIR")
    fn = fn.group(1)
    x_npy = os.path.join(pdir, model + ".input.npy")
    np.save(x_npy, np.load(m["input"]).astype(np.float32))
    out_npy = os.path.join(pdir, model + ".output.npy")
    common = ["--module=" + vmfb, "--device=local-sync", "--function=" + fn, "--input=@" + x_npy]

    def measure(a, seconds, min_iters, output=False):
        r = {}
        if output:
            if os.path.exists(out_npy):
                os.remove(out_npy)
            must([runm] + common + ["--output=@" + out_npy], TIMEOUT_RUN, "iree-run-module",
                 cpu=a.cpu)
            r["output"] = np.load(out_npy)
        # One call per google-benchmark repetition, so the repetitions are
        # single calls; their count comes from the estimate of the previous
        # measurement (the first one, from the output run, is short).
        est = a.iree_estimate.get(model)
        reps = int(seconds * 1e6 / est) if est else min_iters
        reps = max(min_iters, min(a.max_iters, reps))
        out, err, _ = must([bm] + common + [
            "--benchmark_min_time=1x", "--benchmark_repetitions=%d" % reps,
            "--benchmark_min_warmup_time=%g" % a.warmup, "--benchmark_format=json"],
            TIMEOUT_RUN, "iree-benchmark-module", cpu=a.cpu)
        j = json.loads(out[out.index("{"):])
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
        runs = [b for b in j["benchmarks"] if b.get("run_type") == "iteration"]
        t = np.array([b["real_time"] * scale[b.get("time_unit", "ns")] for b in runs])
        cpu = np.array([b["cpu_time"] * scale[b.get("time_unit", "ns")] for b in runs])
        if t.size == 0:
            raise Failure("iree-benchmark-module reported no repetitions: " + tail(err))
        r.update({"median_us": float(np.median(t)), "mean_us": float(t.mean()),
                  "min_us": float(t.min()), "max_us": float(t.max()),
                  "cpu_us": float(cpu.mean()), "iters": int(t.size)})
        a.iree_estimate[model] = r["median_us"]
        return r

    return {"measure": measure, "prep_s": s1 + s2, "artifact": vmfb}


CALIBRATION_NPY = "calibration_image_sample_data_20x128x128x3_float32.npy"


def prepare_tflite(model, m, pdir, args):
    o2t = os.path.join(VENV_BIN, "onnx2tf")
    if not os.access(o2t, os.X_OK):
        raise Failure("onnx2tf is not installed in the venv")
    if not version_of("ai-edge-litert"):
        raise Failure("ai-edge-litert is not installed in the venv")
    key = "%s onnx2tf %s tensorflow %s" % (sha256(m["onnx"]), version_of("onnx2tf"),
                                           version_of("tensorflow"))
    outdir = os.path.join(pdir, "tf")
    stem = os.path.splitext(os.path.basename(m["onnx"]))[0]
    tfl = os.path.join(outdir, stem + "_float32.tflite")
    stamp = os.path.join(pdir, "stamp.json")
    cached = None
    if os.path.exists(stamp) and os.path.exists(tfl):
        with open(stamp) as f:
            cached = json.load(f)
        if cached.get("key") != key:
            cached = None
    if cached:
        prep_s, note = cached["seconds"], "cached"
    else:
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)
        # onnx2tf checks a 4-d image model on sample images it downloads
        # into the working directory unless that holds the file already;
        # there is no network here, so give it seeded random images.
        np.save(os.path.join(pdir, CALIBRATION_NPY),
                np.random.default_rng(0).random((20, 128, 128, 3), dtype=np.float32))
        _, _, prep_s = must([o2t, "-i", m["onnx"], "-o", outdir, "-n"], TIMEOUT_PREP,
                            "onnx2tf", cwd=pdir)
        if not os.path.exists(tfl):
            raise Failure("onnx2tf wrote no %s" % os.path.basename(tfl))
        with open(stamp, "w") as f:
            json.dump({"key": key, "seconds": prep_s}, f)
        note = None
    return {"measure": python_peer_measure("tflite", tfl, m), "prep_s": prep_s,
            "prep_note": note, "artifact": tfl}


PREPARE = {"condense": prepare_condense, "ort": prepare_ort, "iree": prepare_iree,
           "tflite": prepare_tflite, "condense-int8": prepare_condense_int8,
           "ort-int8": prepare_ort_int8, "condense-ortq": prepare_condense_ortq, "ort-cq": prepare_ort_cq,
           "tflite-int8": prepare_tflite_int8}


# --------------------------------------------------------------------------
# Environment


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor() or "unknown"
    name = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", info, re.M)
    isa = []
    if flags:
        fl = set(flags.group(1).split())
        isa = [f for f in ("avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx_vnni")
               if f in fl]
    return "%s (%s)" % (name.group(1).strip() if name else "unknown", ", ".join(isa) or "no AVX")


def first_line(cmd):
    try:
        rc, out, err, _ = run(cmd, 60)
    except Failure:
        return None
    text = (out or err).strip()
    return text.splitlines()[0].strip() if rc == 0 and text else None


def environment(args):
    env = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "cc": first_line([os.environ.get("CC") or "cc", "--version"]),
        "loadavg_start": os.getloadavg(),
    }
    v = {}
    src = None
    try:  # read-only: no optional index refresh
        rc, head, _, _ = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], 60)
        if rc == 0:
            rc, st, _, _ = run(["git", "--no-optional-locks", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], 60)
            src = head.strip() + (" with uncommitted changes" if rc == 0 and st.strip() else "")
    except Failure:
        pass
    env["source"] = src
    cp = os.path.abspath(args.condense) if args.condense else None
    env["condense_path"] = (os.path.relpath(cp, ROOT) if cp and cp.startswith(ROOT + os.sep) else cp)
    if args.condense and os.access(args.condense, os.X_OK):
        try:
            rc, out, err, _ = run([args.condense, "--version"], 60)
            v["condense"] = " ".join((out or err).split()) if rc == 0 else None
        except Failure:
            v["condense"] = None
    for dist in ("onnxruntime", "iree-base-compiler", "iree-base-runtime", "ai-edge-litert",
                 "onnx2tf", "tensorflow", "onnx", "numpy"):
        v[dist] = version_of(dist)
    try:
        rc, out, err, _ = run([SYSTEM_PYTHON, "-c",
                               "import torch, torchvision; print(torch.__version__, torchvision.__version__)"], 120)
        if rc == 0:
            t, tv = out.split()
            v["torch (export)"], v["torchvision (export)"] = t, tv
    except (Failure, ValueError):
        pass
    env["versions"] = v
    return env


# --------------------------------------------------------------------------
# Report


def fmt_us(us):
    if us is None:
        return "-"
    if us >= 1000:
        return "%.2f ms" % (us / 1000)
    if us >= 10:
        return "%.1f µs" % us
    if us >= 1:
        return "%.2f µs" % us
    return "%.0f ns" % (us * 1000)


def fmt_bytes(n):
    if n is None:
        return "-"
    if n >= 1 << 20:
        return "%.1f MiB" % (n / (1 << 20))
    if n >= 1 << 10:
        return "%.1f KiB" % (n / (1 << 10))
    return "%d B" % n


def fmt_s(s):
    return "-" if s is None else ("%.2f s" % s if s < 10 else "%.0f s" % s)


def fmt_ratio(x):
    return "%.2f" % x if x >= 0.1 else "%.3g" % x


def md_escape(text):
    return text.replace("|", "\\|").replace("\n", " ")


def summarize(res):
    """Median and spread over the rounds of one (model, peer)."""
    meds = [r["median_us"] for r in res.get("rounds", [])]
    if not meds:
        return None
    cpus = [r["cpu_us"] for r in res["rounds"] if r.get("cpu_us") is not None]
    return {"median_us": float(np.median(meds)), "lo": min(meds), "hi": max(meds), "n": len(meds),
            "cpu_us": float(np.median(cpus)) if cpus else None,
            "iters": int(np.median([r["iters"] for r in res["rounds"]]))}


def ratio_of(results, model, a, b):
    sa, sb = summarize(results[model].get(a, {})), summarize(results[model].get(b, {}))
    return fmt_ratio(sa["median_us"] / sb["median_us"]) if sa and sb else "-"


def same_q(results, model, peer):
    """The ORT int8 configuration that runs peer's quantization: condense's
    export for condense int8, ORT's own model otherwise (or when the export
    was not measured)."""
    if peer in ("condense-int8", "ort-cq") and summarize(results[model].get("ort-cq", {})):
        return "ort-cq"
    return "ort-int8"


def plot_int8(path, models, results):
    """docs/benchmarks.png: latency (relative to ORT float) and artifact
    size per model and configuration; None when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    peers = ["condense", "ort", "condense-int8", "ort-cq", "ort-int8", "condense-ortq", "tflite-int8"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(peers)
    for i, peer in enumerate(peers):
        lat, size = [], []
        for model in models:
            s, o = summarize(results[model].get(peer, {})), summarize(results[model].get("ort", {}))
            lat.append(s["median_us"] / o["median_us"] if s and o else 0)
            art = results[model].get(peer, {}).get("artifact")
            size.append(os.path.getsize(art) / 1e6 if art and os.path.exists(art) else 0)
        xs = [j + i * width for j in range(len(models))]
        axes[0].bar(xs, lat, width, label=PEER_TITLES[peer])
        axes[1].bar(xs, size, width, label=PEER_TITLES[peer])
    for ax, title in ((axes[0], "latency / ONNX Runtime float (lower is faster)"),
                      (axes[1], "artifact size (MB)")):
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(models))])
        ax.set_xticklabels(models)
        ax.set_title(title, fontsize=10)
    axes[1].set_yscale("log")
    axes[0].axhline(1.0, color="gray", lw=0.5)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    png = os.path.splitext(path)[0] + ".png"
    fig.savefig(png, dpi=90)
    return os.path.basename(png)


def write_int8(w, args, models, results, acc, path):
    if not any(p in INT8_PEERS for p in args.peers):
        return
    w("## int8")
    w("")
    w("The same run's latencies, int8 against float. \"condense int8\" is `condense compile")
    w("--quantize int8 --calibration CAL`; \"ONNX Runtime int8\" runs the QDQ model of")
    w("`onnxruntime.quantization.quantize_static` (QDQ format, per-channel int8 weights, int8")
    w("activations, MinMax calibration on the same CAL); \"condense on ORT's QDQ\" compiles that")
    w("very QDQ model with plain `condense compile` (its Q/DQ chains fold into integer ops), so")
    w("the two runtimes run one quantization. CAL is the digits training split, and for the")
    w("torchvision models %d seeded crops of scikit-learn's two sample photos" % int8_bench.N_CAL)
    w("(`bench/sample_crops.py`; there is no ImageNet here).")
    w("")
    w("\"ONNX Runtime on condense's QDQ\" runs `condense export --quantized-onnx`: condense's own")
    w("quantization (the one \"condense int8\" compiles) as QDQ ONNX, so its row and condense")
    w("int8's are the same quantization in both runtimes; \"vs ORT int8\" divides by it when")
    w("measured, else by ONNX Runtime on its own QDQ model.")
    w("")
    w("\"TFLite int8\" is `onnx2tf -oiqt -qt per-channel` calibrated on the same CAL (NHWC, used as")
    w("is), its `*_integer_quant.tflite` (int8 inside, float input and output), run by")
    w("ai-edge-litert with one thread; \"vs ORT int8\" divides it by ONNX Runtime on its own QDQ")
    w("model.")
    w("")
    w("| model | configuration | latency | vs ORT float | vs ORT int8 | vs condense float | rodata |")
    w("|---|---|---:|---:|---:|---:|---:|")
    for model in models:
        for peer in ("condense", "ort", "condense-int8", "ort-cq", "ort-int8", "condense-ortq", "tflite", "tflite-int8"):
            r = results[model].get(peer, {})
            s = summarize(r)
            if not s:
                reason = short_reason(r.get("error", "not measured"))
                w("| %s | %s | not measured: %s | | | | |" % (MODEL_TITLES[model], PEER_TITLES[peer], md_escape(reason)))
                continue
            ro = fmt_bytes(r["rodata"]) if r.get("rodata") is not None else "-"
            w("| %s | %s | %s | %s | %s | %s | %s |" % (
                MODEL_TITLES[model], PEER_TITLES[peer], fmt_us(s["median_us"]),
                ratio_of(results, model, peer, "ort"), ratio_of(results, model, peer, same_q(results, model, peer)),
                ratio_of(results, model, peer, "condense"), ro))
    w("")
    w("rodata is the object's read-only data (weights, packed; tables), from `size -A`.")
    w("")
    png = plot_int8(path, models, results)
    if png:
        w("![latency and size per model and configuration](%s)" % png)
        w("")
    if acc:
        w("### Accuracy")
        w("")
        w("Digits: accuracy on the 450 held-out images (the examples/digits app linked with")
        w("each object; ONNX Runtime in Python). Torchvision models: top-1 agreement with")
        w("the float model (ONNX Runtime) and mean cosine similarity of the logits on %d"
          % int8_bench.N_EVAL)
        w("evaluation crops that were not used for calibration.")
        w("")
        w("| model | configuration | result |")
        w("|---|---|---|")
        for model, res in acc.items():
            for k, v in res.items():
                w("| %s | %s | %s |" % (MODEL_TITLES[model], k, md_escape(str(v))))
        w("")


def write_report(path, env, args, models, results, elapsed, acc=None):
    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w("Generated by `make bench` (bench/bench.py); do not edit by hand. Single-thread")
    w("inference latency of condense's compiled objects and of three peer runtimes on the")
    w("same models, measured in one run on one machine. These are measurements, not")
    w("tests: nothing checks them against a threshold.")
    w("")
    w("## Machine and versions")
    w("")
    w("| | |")
    w("|---|---|")
    w("| date | %s |" % env["date"])
    w("| CPU | %s, %s logical CPUs; every measurement pinned to CPU %s |"
      % (md_escape(env["cpu"]), env["cpus"], "none" if args.cpu is None else args.cpu))
    w("| kernel, Python | Linux %s, Python %s (venv of Debian's /usr/bin/python3) |"
      % (env["kernel"], env["python"]))
    w("| C compiler (harness) | %s |" % md_escape(env["cc"] or "unknown"))
    la0, la1 = env["loadavg_start"], env.get("loadavg_end", (0, 0, 0))
    w("| load average (1 min) | %.2f at the start, %.2f at the end |" % (la0[0], la1[0]))
    w("| condense binary | `%s`, built from %s |" % (env.get("condense_path") or "-",
                                                     env.get("source") or "an unknown source tree"))
    for k, val in env["versions"].items():
        w("| %s | %s |" % (k, md_escape(val) if val else "not available"))
    w("| run | %d rounds of %g s per measurement after %g s of warm-up; %.0f s in all |"
      % (args.reps, args.seconds, args.warmup, elapsed))
    w("")
    w("## Latency")
    w("")
    busy = max(la0[0], la1[0])
    if busy > 1.5:
        w("**The machine was busy during this run** (load average up to %.1f on %s CPUs):" % (busy, env["cpus"]))
        w("the wall-clock latencies include waiting for the CPU and are inflated, unevenly;")
        w("the CPU time column is less affected. Rerun on an idle machine for clean numbers.")
        w("")
    w("Median latency of one inference, batch 1, one thread: the median over %d rounds of"
      % args.reps)
    w("each round's median per-call time (the range of the round medians in brackets).")
    w("\"vs ORT\" is the peer's latency divided by ONNX Runtime's (below 1 is faster).")
    w("\"CPU time\" is the process's CPU time per timed call (median over the rounds): on a")
    w("busy machine it stays closer to the unloaded latency than the wall-clock latency does.")
    w("\"check\" compares the peer's output on the model's input with PyTorch's:")
    w("max|y - ref| / max|ref|, `ok` up to %g." % CHECK_RTOL)
    w("")
    w("| model | runtime | latency | vs ORT | CPU time | calls per round | artifact | prepare | check |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---|")
    notes = []
    for model in models:
        ort = summarize(results[model].get("ort", {}))
        for peer in args.peers:
            r = results[model].get(peer, {})
            s = summarize(r)
            name = "%s | %s" % (MODEL_TITLES[model], PEER_TITLES[peer])
            if r.get("error"):
                w("| %s | %s | | | | | | |" % (name, "**not measured**: " + md_escape(short_reason(r["error"]))))
                continue
            if not s:
                w("| %s | **not measured** | | | | | | |" % name)
                continue
            lat = "%s (%s–%s)" % (fmt_us(s["median_us"]), fmt_us(s["lo"]), fmt_us(s["hi"]))
            vs = fmt_ratio(s["median_us"] / ort["median_us"]) if ort else "-"
            art = fmt_bytes(os.path.getsize(r["artifact"])) if r.get("artifact") and os.path.exists(r["artifact"]) else "-"
            prep = fmt_s(r.get("prep_s"))
            if r.get("prep_note"):
                prep += " (%s)" % r["prep_note"]
            chk = "%s (%s)" % (r.get("check", "-"), r.get("check_detail", "")) if r.get("check") else "-"
            w("| %s | %s | %s | %s | %d | %s | %s | %s |" % (name, lat, vs, fmt_us(s["cpu_us"]),
                                                            s["iters"], art, prep, chk))
            if r.get("round_errors"):
                notes.append("%s, %s: %d round(s) failed: %s" % (
                    MODEL_TITLES[model], PEER_TITLES[peer], len(r["round_errors"]),
                    md_escape(short_reason(r["round_errors"][0]))))
    w("")
    if notes:
        for n in notes:
            w("- " + n)
        w("")
    w("\"artifact\" is what each runtime loads: condense's object file, the .onnx for ONNX")
    w("Runtime, IREE's .vmfb, the float32 .tflite. \"prepare\" is the time to make it:")
    w("`condense compile`, iree-import-onnx + iree-compile, onnx2tf (cached between runs")
    w("while the model and onnx2tf's version stay the same: the time shown is the")
    w("conversion's); for ONNX Runtime, the session creation (graph optimization")
    w("included) of the last round.")
    w("")
    w("## condense")
    w("")
    w("| model | status | latency | condense / ORT | CPU time condense / ORT | text | rodata | text + rodata | scratch | compile time | harness |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for model in models:
        r = results[model].get("condense", {})
        s = summarize(r)
        ort = summarize(results[model].get("ort", {}))
        if r.get("error") or not s:
            reason = r.get("error") or "not measured"
            status = reason if reason.startswith("pending") else "failed: " + reason
            w("| %s | %s | | | | | | | | | |" % (MODEL_TITLES[model], md_escape(short_reason(status, 240))))
            continue
        ratio = fmt_ratio(s["median_us"] / ort["median_us"]) if ort else "- (no ORT number)"
        cratio = (fmt_ratio(s["cpu_us"] / ort["cpu_us"])
                  if ort and s.get("cpu_us") and ort.get("cpu_us") else "-")
        t, ro = r.get("text"), r.get("rodata")
        w("| %s | measured | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            MODEL_TITLES[model], fmt_us(s["median_us"]), ratio, cratio, fmt_bytes(t), fmt_bytes(ro),
            fmt_bytes(t + ro) if t is not None and ro is not None else "-",
            fmt_bytes(r.get("scratch")), fmt_s(r.get("prep_s")), r.get("harness", "-")))
    w("")
    w("text is the object's `.text*` sections, rodata its `.rodata*`, `.lrodata*` and")
    w("`.data.rel.ro*` (weights, tables, the model descriptor), from `size -A`; scratch is")
    w("the header's `*_SCRATCH_SIZE`, the one buffer the caller provides.")
    w("")
    write_int8(w, args, models, results, acc or {}, path)
    w("## How it is measured")
    w("")
    w("- **condense**: `condense compile MODEL.onnx -o X.o --header X.h --name X -O3`,")
    w("  linked with `bench/timing.c` (`cc -O2`), which drives the model through its")
    w("  descriptor `X_model` (`runtime/condense_model.h`) and times each `run` call with")
    w("  `clock_gettime(CLOCK_MONOTONIC)`.")
    w("- **ONNX Runtime**: the CPU execution provider, `intra_op_num_threads=1`,")
    w("  `inter_op_num_threads=1`, `ORT_ENABLE_ALL`, `ORT_SEQUENTIAL`; input and output")
    w("  bound once with `io_binding`, each `run_with_iobinding` call timed from Python")
    w("  (`bench/peer_run.py`), so a call includes the Python binding's few microseconds:")
    w("  this matters for the digits model only.")
    w("- **IREE**: `iree-import-onnx`, then `iree-compile %s`;" % " ".join(args.iree_flags))
    w("  timed with `iree-benchmark-module --device=local-sync` (synchronous, one thread),")
    w("  one call per repetition, so the median is per call, timed in C.")
    w("- **TFLite (XNNPACK)**: `onnx2tf -i MODEL.onnx` to a float32 NHWC .tflite;")
    w("  ai-edge-litert's `Interpreter(num_threads=1)` with its default op resolver, which")
    w("  applies the XNNPACK delegate; each `invoke()` timed from Python.")
    w("- Every measurement is a fresh process pinned to one CPU: warm-up for %g s (at least" % args.warmup)
    w("  3 calls), then about %g s of individually timed calls, median taken. The peers and" % args.seconds)
    w("  models are measured in turn within each round, the peer order rotated every round.")
    w("- Weights are torchvision's random initialization (seeded), with every BatchNorm's")
    w("  scale, shift and statistics drawn too (`export_torchvision.py --bn-random`): with the")
    w("  default ones every folded bias is 0 and the exporter shares one zero initializer among")
    w("  convs, which ONNX Runtime's quantizer cannot give per-conv bias scales. Dense float")
    w("  models do the same work whatever the weights (subnormal numbers aside).")
    w("")
    w("## Reproducing")
    w("")
    w("```")
    w("make bench        # builds condense, creates .venv-bench/ (first time), runs bench/bench.py")
    w("```")
    w("")
    w("`make bench-venv` alone creates the virtual environment: Debian's `/usr/bin/python3`")
    w("with `--system-site-packages` (for Debian's python3-torch and python3-torchvision,")
    w("which export the models), and the pinned packages of `bench/requirements.txt` and")
    w("`bench/requirements-nodeps.txt` from PyPI. Options of a direct run, e.g. fewer")
    w("rounds or one model:")
    w("")
    w("```")
    w(".venv-bench/bin/python bench/bench.py --reps 3 --models resnet18 --out /tmp/b.md")
    w("```")
    w("")
    w("Work files (exported models, objects, .vmfb, .tflite, results.json) go to")
    w("`build/bench/`, which `make clean` removes. A full run takes about %d minutes once" % max(1, round(elapsed / 60)))
    w("the venv exists (onnx2tf's conversion of ResNet-18 alone is about 2 minutes when not")
    w("cached). The numbers move with the machine's load: compare runtimes within one run,")
    w("not across runs.")
    w("")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(L))


# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--condense", default=os.path.join(ROOT, "build", "bin", "condense"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--reps", type=int, default=5, help="rounds (default 5)")
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="timed seconds per measurement (default 1)")
    ap.add_argument("--warmup", type=float, default=0.3, help="warm-up seconds (default 0.3)")
    ap.add_argument("--min-iters", type=int, default=10)
    ap.add_argument("--max-iters", type=int, default=20000)
    ap.add_argument("--cpu", type=int, default=-2,
                    help="CPU to pin measurements to; -1 for none (default: the last allowed CPU)")
    ap.add_argument("--iree-flags", default=" ".join(IREE_FLAGS),
                    help="iree-compile flags (default: %(default)s)")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--peers", default=",".join(PEERS))
    args = ap.parse_args()

    # Peers run in their own directories (onnx2tf in its work dir): paths absolute.
    args.work, args.out = os.path.abspath(args.work), os.path.abspath(args.out)
    args.condense = os.path.abspath(args.condense) if args.condense else args.condense
    args.models = [m for m in args.models.split(",") if m]
    args.peers = [p for p in args.peers.split(",") if p]
    args.iree_flags = args.iree_flags.split()
    bad = [m for m in args.models if m not in MODELS] + [p for p in args.peers if p not in PEERS]
    if bad:
        sys.exit("bench: unknown model or peer: %s (models %s; peers %s)"
                 % (", ".join(bad), ", ".join(MODELS), ", ".join(PEERS)))
    allowed = sorted(os.sched_getaffinity(0))
    args.cpu = allowed[-1] if args.cpu == -2 else (None if args.cpu < 0 else args.cpu)
    args.iree_estimate = {}
    t_start = time.perf_counter()

    env = environment(args)
    log("CPU %s; measurements pinned to CPU %s" % (env["cpu"], args.cpu))
    results = {m: {} for m in args.models}
    try:
        models = prepare_models(args.work, args.models)
    except Failure as e:
        log("cannot make the models: %s" % e)
        for m in args.models:
            for p in args.peers:
                results[m][p] = {"error": "model export failed: %s" % e}
        models = {}

    # Preparation and the output check (which also gives a first estimate).
    for model in args.models:
        if model not in models:
            continue
        for peer in args.peers:
            pdir = os.path.join(args.work, peer, model)
            os.makedirs(pdir, exist_ok=True)
            r = results[model][peer] = {}
            try:
                log("%s: preparing %s" % (model, peer))
                prep = PREPARE[peer](model, models[model], pdir, args)
                r.update({k: v for k, v in prep.items() if k != "measure"})
                r["measure"] = prep["measure"]
                first = prep["measure"](args, min(args.seconds, 0.2), 3, output=True)
                r["check"], r["check_detail"] = check_output(first["output"], np.load(models[model]["ref"]))
                if peer in INT8_PEERS:
                    r["check"] = "int8"
                if peer == "ort":
                    r["prep_s"] = first.get("load_s")
                log("%s: %s ready, output %s (%s), about %s per call"
                    % (model, peer, r["check"], r["check_detail"], fmt_us(first["median_us"])))
            except Failure as e:
                r.clear()
                r["error"] = str(e)
                log("%s: %s: %s" % (model, peer, e))
            except Exception as e:  # a bug or a broken install: report, go on
                r.clear()
                r["error"] = "%s: %s" % (type(e).__name__, e)
                log("%s: %s: %s" % (model, peer, r["error"]))

    # Measurement rounds, interleaved.
    for rnd in range(args.reps):
        order = args.peers[rnd % len(args.peers):] + args.peers[:rnd % len(args.peers)]
        for model in args.models:
            for peer in order:
                r = results[model].get(peer, {})
                if "measure" not in r:
                    continue
                try:
                    m = r["measure"](args, args.seconds, args.min_iters)
                    r.setdefault("rounds", []).append(m)
                    if peer == "ort" and m.get("load_s") is not None:
                        r["prep_s"] = m["load_s"]
                    if peer in ("tflite", "tflite-int8") and "xnnpack" in m:
                        r["xnnpack"] = m["xnnpack"]
                except Exception as e:  # Failure, or a bug: keep the other rounds
                    r.setdefault("round_errors", []).append(str(e))
        log("round %d/%d: %s" % (rnd + 1, args.reps, "; ".join(
            "%s %s" % (model, ", ".join("%s %s" % (p, fmt_us(results[model][p]["rounds"][-1]["median_us"]))
                                        for p in args.peers if results[model].get(p, {}).get("rounds")))
            for model in args.models)))

    for model in args.models:
        for peer in args.peers:
            r = results[model].get(peer, {})
            if "measure" in r and not r.get("rounds"):
                r["error"] = "every round failed: %s" % (r.get("round_errors") or ["?"])[0]
            if peer in ("tflite", "tflite-int8") and r.get("rounds") and not r.get("xnnpack"):
                r["check_detail"] = r.get("check_detail", "") + "; XNNPACK delegate not reported"
    env["loadavg_end"] = os.getloadavg()
    acc = {}
    if any(p in INT8_PEERS for p in args.peers):
        for model in models:
            log("%s: int8 accuracy" % model)
            acc[model] = int8_bench.accuracy(args.condense, args.work, model, models[model]["onnx"], log)
    elapsed = time.perf_counter() - t_start
    write_report(args.out, env, args, args.models, results, elapsed, acc)

    dump = {"env": env, "args": {k: v for k, v in vars(args).items() if k != "iree_estimate"},
            "results": {m: {p: {k: v for k, v in r.items() if k != "measure"}
                            for p, r in results[m].items()} for m in results},
            "summary": {m: {p: summarize(r) for p, r in results[m].items()} for m in results}}
    os.makedirs(args.work, exist_ok=True)
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(dump, f, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
    log("wrote %s and %s (%.0f s)" % (args.out, os.path.join(args.work, "results.json"), elapsed))
    for model in args.models:
        for peer in args.peers:
            s = summarize(results[model].get(peer, {}))
            log("  %-13s %-9s %s" % (model, peer, fmt_us(s["median_us"]) if s else
                                      "not measured: " + short_reason(results[model].get(peer, {}).get("error", "?"))))


if __name__ == "__main__":
    main()
