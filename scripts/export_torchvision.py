#!/usr/bin/python3
"""Export torchvision models with random weights to ONNX, with a reference run.

Usage: /usr/bin/python3 scripts/export_torchvision.py [--bn-random] OUTDIR [MODEL...]

MODELs (all by default):
  mobilenet_v2          MobileNetV2, input f32[1,3,224,224]
  resnet18              ResNet-18, input f32[1,3,224,224]
  mobilenet_v2_dynamic  MobileNetV2 with a dynamic batch axis ("batch") on
                        its input and output; the reference input has batch 2,
                        so running it needs --input-shape input=2,3,224,224

For each MODEL it writes OUTDIR/MODEL.onnx (opset 13, input "input", output
"logits"), OUTDIR/MODEL.input.npy (standard normal, numpy seed 0) and
OUTDIR/MODEL.output.npy (PyTorch's output on that input, eval mode).
Weights are torchvision's random initialization after torch.manual_seed(0)
(weights=None), so every run gives the same files.  Needs Debian's
python3-torch (1.13) and python3-torchvision (0.14).

--bn-random also draws every BatchNorm's scale, shift and running
statistics (seeded): with torchvision's initialization they are 1, 0, 0
and 1, so every bias folded from BatchNorm is 0, the exporter shares one
all-zero initializer among all convs of a width, and a quantizer that
gives each conv's bias its own scale (ONNX Runtime's quantize_static)
cannot.  Trained models have distinct biases; the benchmark uses this.
"""
import os
import sys

import numpy as np
import torch
import torchvision

OPSET = 13

# name: (constructor, batch of the reference input, dynamic batch axis)
MODELS = {
    "mobilenet_v2": (torchvision.models.mobilenet_v2, 1, False),
    "resnet18": (torchvision.models.resnet18, 1, False),
    "mobilenet_v2_dynamic": (torchvision.models.mobilenet_v2, 2, True),
}


def randomize_bn(model):
    """Seeded BatchNorm parameters and statistics of trained-model size."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(0.5 + torch.rand(n, generator=gen))
                m.bias.copy_(0.2 * torch.randn(n, generator=gen))
                m.running_mean.copy_(0.2 * torch.randn(n, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(n, generator=gen))


def export(outdir, name, bn_random=False):
    make, batch, dynamic = MODELS[name]
    torch.manual_seed(0)
    model = make(weights=None)
    if bn_random:
        randomize_bn(model)
    model = model.eval()
    x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    axes = {"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic else None
    path = os.path.join(outdir, name + ".onnx")
    torch.onnx.export(model, torch.from_numpy(x), path, opset_version=OPSET,
                      input_names=["input"], output_names=["logits"], dynamic_axes=axes,
                      do_constant_folding=True)
    np.save(os.path.join(outdir, name + ".input.npy"), x)
    np.save(os.path.join(outdir, name + ".output.npy"), y)
    print("%s: %s, input %s, output %s" % (name, path, list(x.shape), list(y.shape)))


def main():
    args = sys.argv[1:]
    bn_random = bool(args) and args[0] == "--bn-random"
    args = args[1:] if bn_random else args
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    outdir, names = args[0], args[1:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit("unknown model %s; known: %s" % (", ".join(unknown), ", ".join(MODELS)))
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    for name in names:
        export(outdir, name, bn_random)


if __name__ == "__main__":
    main()
