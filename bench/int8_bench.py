"""The int8 part of condense's benchmark (bench/bench.py imports it).

Calibration data: the digits CNN's training split; for the torchvision
models, seeded crops of scikit-learn's two sample photos
(bench/sample_crops.py; no ImageNet here), 16 for calibration and 16
different ones for evaluation.

Configurations it prepares (bench.py times them with the other peers):
  condense-int8   condense compile --quantize int8 --calibration CAL
  ort-int8        ONNX Runtime on its own quantize_static model (QDQ,
                  per-channel int8 weights, int8 activations, same CAL)
  condense-ortq   condense compiling that same QDQ model (no --quantize:
                  the QDQ chains fold into integer ops)
  ort-cq          ONNX Runtime on condense's own quantization, exported
                  as QDQ ONNX (condense export --quantized-onnx)
  tflite-int8     TFLite on onnx2tf -oiqt's int8 model (same CAL)
and the accuracy comparisons: held-out accuracy of the digits model, and
top-1 agreement with the float model on the evaluation crops, for those
and for NNCF's post-training quantization (bench/nncf_ptq.py) run by ONNX
Runtime and compiled by condense.
"""
import os
import re
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
DIGITS = os.path.join(ROOT, "examples", "digits")
N_CAL, N_EVAL = 16, 16


class Failure(Exception):
    pass


def sh(cmd, timeout=1800, cwd=None):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if r.returncode:
        raise Failure("%s failed (%d): %s" % (os.path.basename(cmd[0]), r.returncode,
                                              (r.stderr or r.stdout).strip()[-300:]))
    return r.stdout


def data(work, model):
    """(calibration .npy, evaluation .npy) for model."""
    if model == "digits":
        return os.path.join(DIGITS, "train_x.npy"), os.path.join(DIGITS, "test_x.npy")
    d = os.path.join(work, "int8-data")
    os.makedirs(d, exist_ok=True)
    cal, ev = os.path.join(d, "cal.npy"), os.path.join(d, "eval.npy")
    for path, n, seed in ((cal, N_CAL, 0), (ev, N_EVAL, 1)):
        if not os.path.exists(path):
            sh([sys.executable, os.path.join(BENCH, "sample_crops.py"), path, "--n", str(n),
                "--seed", str(seed)])
    return cal, ev


def ort_quantize(work, model, onnx_path):
    """ONNX Runtime's quantize_static QDQ model of onnx_path (cached)."""
    d = os.path.join(work, "int8-ortq")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, model + ".qdq.onnx")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(onnx_path):
        return out
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    cal, _ = data(work, model)
    x = np.load(cal).astype(np.float32)
    name = onnx.load(onnx_path).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{name: x[i:i + 1]} for i in range(len(x))])

        def get_next(self):
            return next(self.it, None)

    quantize_static(onnx_path, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    return out


def condense_export(condense, work, model, onnx_path):
    """condense's int8 model of onnx_path as QDQ ONNX (condense export)."""
    d = os.path.join(work, "int8-export")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, model + ".cq.onnx")
    cal, _ = data(work, model)
    sh([condense, "export", onnx_path, "--quantize", "int8", "--calibration", cal, "--quantized-onnx", out])
    return out


def nncf_quantize(work, model, onnx_path):
    """NNCF's post-training quantization of onnx_path as QDQ ONNX (cached;
    bench/nncf_ptq.py), calibrated on the same CAL."""
    import importlib.util
    if importlib.util.find_spec("nncf") is None:
        raise Failure("nncf is not installed in the venv")
    d = os.path.join(work, "int8-nncf")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, model + ".nncf.onnx")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(onnx_path):
        return out
    cal, _ = data(work, model)
    sh([sys.executable, os.path.join(BENCH, "nncf_ptq.py"), onnx_path, cal, out])
    return out


def tflite_quantize(work, model, onnx_path):
    """TFLite's int8 model of onnx_path (cached): onnx2tf -oiqt, per-channel
    int8 weights and int8 activations calibrated on the same CAL (given
    NHWC, as the converted model takes it, with mean 0 and std 1 so the
    samples are used as they are); the *_integer_quant.tflite variant keeps
    float inputs and outputs like the other int8 rows."""
    o2t = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "onnx2tf")
    if not os.access(o2t, os.X_OK):
        raise Failure("onnx2tf is not installed in the venv")
    d = os.path.join(work, "int8-tflq", model)
    stem = os.path.splitext(os.path.basename(onnx_path))[0]
    out = os.path.join(d, "tf", stem + "_integer_quant.tflite")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(onnx_path):
        return out
    import onnx
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    cal, _ = data(work, model)
    x = np.load(cal).astype(np.float32)
    if x.ndim != 4:
        raise Failure("onnx2tf -oiqt calibration wants 4-d images, CAL is %s" % (x.shape,))
    nhwc = os.path.join(d, "cal_nhwc.npy")
    np.save(nhwc, np.ascontiguousarray(x.transpose(0, 2, 3, 1)))
    c = x.shape[1]
    zeros, ones = "[[[[%s]]]]" % ",".join(["0.0"] * c), "[[[[%s]]]]" % ",".join(["1.0"] * c)
    name = onnx.load(onnx_path).graph.input[0].name
    # As bench.py's float conversion: sample images in the working
    # directory keep onnx2tf from downloading its own.
    np.save(os.path.join(d, "calibration_image_sample_data_20x128x128x3_float32.npy"),
            np.random.default_rng(0).random((20, 128, 128, 3), dtype=np.float32))
    src = os.path.join(d, os.path.basename(onnx_path))   # onnx2tf rewrites its input
    shutil.copyfile(onnx_path, src)
    sh([o2t, "-i", src, "-o", os.path.join(d, "tf"), "-oiqt", "-qt", "per-channel",
        "-cind", name, nhwc, zeros, ones, "-n"], cwd=d)
    if not os.path.exists(out):
        raise Failure("onnx2tf wrote no %s" % os.path.basename(out))
    return out


def tflite_outputs(path, x):
    """The .tflite model's outputs on every sample of x (NCHW given, NHWC fed)."""
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=path, num_threads=1)
    it.allocate_tensors()
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    ys = []
    for k in range(len(x)):
        it.set_tensor(i["index"], np.ascontiguousarray(x[k:k + 1].transpose(0, 2, 3, 1)))
        it.invoke()
        ys.append(it.get_tensor(o["index"]).reshape(1, -1).copy())
    return np.concatenate(ys)


def ort_outputs(onnx_path, x):
    import onnxruntime as ort
    o = ort.SessionOptions()
    o.intra_op_num_threads = o.inter_op_num_threads = 1
    s = ort.InferenceSession(onnx_path, o, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    return np.concatenate([s.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])


def condense_outputs(condense, onnx_path, x, pdir, extra):
    """The compiled model's outputs on every sample of x (npy_run.c, one
    process per sample)."""
    os.makedirs(pdir, exist_ok=True)
    obj = os.path.join(pdir, "acc.o")
    sh([condense, "compile", onnx_path, "-o", obj, "--name", "acc"] + extra)
    exe = os.path.join(pdir, "acc_run")
    sh(["cc", "-std=c11", "-O2", "-I" + ROOT, "-DMODELS=X(acc)",
        os.path.join(ROOT, "test", "codegen", "Inputs", "npy_run.c"), os.path.join(ROOT, "runtime", "npy.c"),
        obj, "-o", exe])
    ys = []
    for i in range(len(x)):
        xi = os.path.join(pdir, "x%d.npy" % i)
        np.save(xi, x[i:i + 1])
        od = os.path.join(pdir, "y%d" % i)
        os.makedirs(od, exist_ok=True)
        sh([exe, "acc", xi, "-o", od])
        outs = sorted(f for f in os.listdir(od) if f.endswith(".npy"))
        ys.append(np.load(os.path.join(od, outs[0])).reshape(1, -1))
    return np.concatenate(ys)


def digits_app_accuracy(condense, onnx_path, pdir, extra):
    """Accuracy of examples/digits/main.c linked with the compiled model."""
    os.makedirs(pdir, exist_ok=True)
    obj, hdr = os.path.join(pdir, "digits.o"), os.path.join(pdir, "digits.h")
    sh([condense, "compile", onnx_path, "-o", obj, "--header", hdr, "--name", "digits"] + extra)
    exe = os.path.join(pdir, "digits_app")
    sh(["cc", "-std=c11", "-O2", "-I" + pdir, "-I" + ROOT, os.path.join(DIGITS, "main.c"),
        os.path.join(ROOT, "runtime", "npy.c"), obj, "-o", exe])
    out = sh([exe, os.path.join(DIGITS, "test_x.npy"), os.path.join(DIGITS, "test_y.npy"), "1"])
    m = re.search(r"accuracy: (\d+)/(\d+)", out)
    if not m:
        raise Failure("the digits app printed no accuracy")
    return int(m.group(1)), int(m.group(2))


def accuracy(condense, work, model, onnx_path, log):
    """{configuration: text} of the accuracy comparison for model."""
    cal, ev = data(work, model)
    res = {}
    pdir = os.path.join(work, "int8-acc", model)
    qargs = ["--quantize", "int8", "--calibration", cal]

    def attempt(key, fn):
        try:
            res[key] = fn()
        except Exception as e:  # report, go on
            res[key] = "failed: %s" % str(e)[-200:]
            log("%s accuracy %s: %s" % (model, key, res[key]))

    if model == "digits":
        y = np.load(os.path.join(DIGITS, "test_y.npy"))
        xt = np.load(ev).astype(np.float32)

        def ort_acc(path):
            return int((ort_outputs(path, xt).argmax(1) == y).sum()), len(y)
        attempt("float", lambda: ort_acc(onnx_path))
        attempt("condense float", lambda: digits_app_accuracy(condense, onnx_path, pdir + "/f", []))
        attempt("condense int8", lambda: digits_app_accuracy(condense, onnx_path, pdir + "/q", qargs))
        attempt("ORT int8", lambda: ort_acc(ort_quantize(work, model, onnx_path)))
        attempt("condense on ORT's QDQ", lambda: digits_app_accuracy(
            condense, ort_quantize(work, model, onnx_path), pdir + "/oq", []))
        attempt("ORT on condense's QDQ export", lambda: ort_acc(condense_export(condense, work, model, onnx_path)))
        attempt("TFLite int8 (onnx2tf -oiqt)", lambda: (
            int((tflite_outputs(tflite_quantize(work, model, onnx_path), xt).argmax(1) == y).sum()), len(y)))
        attempt("NNCF PTQ (ORT)", lambda: ort_acc(nncf_quantize(work, model, onnx_path)))
        attempt("condense on NNCF's QDQ", lambda: digits_app_accuracy(
            condense, nncf_quantize(work, model, onnx_path), pdir + "/nq", []))
        return {k: ("%d/%d (%.1f%%)" % (v[0], v[1], 100.0 * v[0] / v[1]) if isinstance(v, tuple) else v)
                for k, v in res.items()}
    x = np.load(ev).astype(np.float32)
    ref = ort_outputs(onnx_path, x)

    def agree(y):
        cos = float(np.mean([np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) or 1)
                             for a, b in zip(y, ref)]))
        return "top-1 %d/%d, cosine %.4f" % (int((y.argmax(1) == ref.argmax(1)).sum()), len(x), cos)
    attempt("condense int8", lambda: agree(condense_outputs(condense, onnx_path, x, pdir + "/q", qargs)))
    attempt("ORT int8", lambda: agree(ort_outputs(ort_quantize(work, model, onnx_path), x)))
    attempt("condense on ORT's QDQ", lambda: agree(condense_outputs(
        condense, ort_quantize(work, model, onnx_path), x, pdir + "/oq", [])))
    attempt("ORT on condense's QDQ export", lambda: agree(ort_outputs(
        condense_export(condense, work, model, onnx_path), x)))
    attempt("TFLite int8 (onnx2tf -oiqt)", lambda: agree(tflite_outputs(
        tflite_quantize(work, model, onnx_path), x)))
    attempt("NNCF PTQ (ORT)", lambda: agree(ort_outputs(nncf_quantize(work, model, onnx_path), x)))
    attempt("condense on NNCF's QDQ", lambda: agree(condense_outputs(
        condense, nncf_quantize(work, model, onnx_path), x, pdir + "/nq", [])))
    return res
