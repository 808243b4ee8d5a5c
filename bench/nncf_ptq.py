"""nncf_ptq.py MODEL.onnx CAL.npy OUT.onnx - NNCF's post-training
quantization of an ONNX model (nncf.quantize, its defaults: int8, per-channel
weights, QDQ) calibrated on every sample of CAL; bench/int8_bench.py runs it
in its own process.

Debian's python3-torch (1.13) is visible through the venv's system site
packages and is older than NNCF's torch backend accepts; NNCF loads that
backend only when `import torch` succeeds, so torch is hidden here (the ONNX
path needs no torch).
"""
import sys

sys.modules["torch"] = None

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import nncf  # noqa: E402


def main():
    src, cal, out = sys.argv[1:4]
    model = onnx.load(src)
    x = np.load(cal).astype(np.float32)
    name = model.graph.input[0].name
    data = nncf.Dataset([x[i:i + 1] for i in range(len(x))], lambda s: {name: s})
    onnx.save(nncf.quantize(model, data, subset_size=len(x)), out)


if __name__ == "__main__":
    main()
