"""Time one model in one Python-driven peer runtime, single-threaded.

Usage (bench/bench.py runs it, in the bench venv, one process per measurement):
  peer_run.py ort|tflite MODEL --input X.npy [--output Y.npy]
              [--seconds S] [--warmup S] [--min-iters N] [--max-iters N]

ort     MODEL is an .onnx file: onnxruntime, CPU execution provider,
        intra_op_num_threads=1, inter_op_num_threads=1, ORT_ENABLE_ALL,
        ORT_SEQUENTIAL; input and output bound once with io_binding, so the
        timed call is run_with_iobinding alone.
tflite  MODEL is a .tflite file: ai-edge-litert's Interpreter with
        num_threads=1 and its default op resolver, which applies the XNNPACK
        delegate; the input is set once and the timed call is invoke().
        A 4-d input in NCHW is transposed to the NHWC that onnx2tf makes.

It calls the model for --warmup seconds (at least 3 calls), then times each
of N further calls on its own with time.perf_counter_ns (N chosen so they
take about --seconds), and prints one JSON object: median_us, mean_us,
min_us, max_us, cpu_us (the process's CPU time over the timed calls divided
by their number), iters, load_s (session or interpreter creation), and, with
--output, writes the first output of the last call there.  It asserts
nothing about speed.
"""
import argparse
import gc
import json
import sys
import time

import numpy as np


def timed_loop(call, seconds, warmup, min_iters, max_iters):
    t0 = time.perf_counter()
    n = 0
    while n < 3 or time.perf_counter() - t0 < warmup:
        call()
        n += 1
    per_call = (time.perf_counter() - t0) / n
    iters = int(seconds / per_call) if per_call > 0 else max_iters
    iters = max(min_iters, min(max_iters, iters))
    times = [0] * iters
    clock = time.perf_counter_ns
    gc.disable()
    cpu0 = time.process_time_ns()
    try:
        for k in range(iters):
            a = clock()
            call()
            times[k] = clock() - a
    finally:
        cpu_ns = time.process_time_ns() - cpu0
        gc.enable()
    t = np.array(times, dtype=np.float64) / 1e3
    return {
        "median_us": float(np.median(t)),
        "mean_us": float(t.mean()),
        "min_us": float(t.min()),
        "max_us": float(t.max()),
        "cpu_us": cpu_ns / 1e3 / iters,
        "iters": iters,
    }


def setup_ort(path, x):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # No spinning worker threads: there are none with one thread, but say so.
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    t0 = time.perf_counter()
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - t0
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise SystemExit("peer_run: the model has %d inputs; one expected" % len(inputs))
    binding = sess.io_binding()
    x_ort = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(x))
    binding.bind_ortvalue_input(inputs[0].name, x_ort)
    outs = []
    for o in sess.get_outputs():
        if not all(isinstance(d, int) for d in o.shape):
            raise SystemExit("peer_run: output %s has a dynamic shape %s" % (o.name, o.shape))
        v = ort.OrtValue.ortvalue_from_shape_and_type(o.shape, np.float32)
        binding.bind_ortvalue_output(o.name, v)
        outs.append(v)

    def call():
        sess.run_with_iobinding(binding)

    def result():
        return outs[0].numpy()

    return call, result, load_s, {}


def setup_tflite(path, x):
    from ai_edge_litert.interpreter import Interpreter

    t0 = time.perf_counter()
    interp = Interpreter(model_path=path, num_threads=1)
    interp.allocate_tensors()
    load_s = time.perf_counter() - t0
    ins = interp.get_input_details()
    if len(ins) != 1:
        raise SystemExit("peer_run: the model has %d inputs; one expected" % len(ins))
    shape = tuple(int(d) for d in ins[0]["shape"])
    layout = "as is"
    if x.shape != shape and x.ndim == 4 and (x.shape[0], x.shape[2], x.shape[3], x.shape[1]) == shape:
        x = x.transpose(0, 2, 3, 1)
        layout = "NCHW input transposed to NHWC"
    if x.shape != shape:
        raise SystemExit("peer_run: input shape %s, the model wants %s" % (list(x.shape), list(shape)))
    interp.set_tensor(ins[0]["index"], np.ascontiguousarray(x, dtype=ins[0]["dtype"]))
    out_index = interp.get_output_details()[0]["index"]

    def call():
        interp.invoke()

    def result():
        return interp.get_tensor(out_index)

    return call, result, load_s, {"layout": layout}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("peer", choices=["ort", "tflite"])
    ap.add_argument("model")
    ap.add_argument("--input", required=True)
    ap.add_argument("--output")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--warmup", type=float, default=0.2)
    ap.add_argument("--min-iters", type=int, default=10)
    ap.add_argument("--max-iters", type=int, default=100000)
    a = ap.parse_args()

    x = np.load(a.input).astype(np.float32)
    setup = {"ort": setup_ort, "tflite": setup_tflite}[a.peer]
    call, result, load_s, extra = setup(a.model, x)
    r = timed_loop(call, a.seconds, a.warmup, a.min_iters, a.max_iters)
    r["load_s"] = load_s
    r.update(extra)
    if a.output:
        np.save(a.output, np.array(result(), dtype=np.float32))
    sys.stdout.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
