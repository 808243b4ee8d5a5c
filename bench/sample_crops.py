#!/usr/bin/env python3
"""Write seeded 224x224 crops of the two photos scikit-learn ships
(sklearn.datasets.load_sample_images: china.jpg, flower.jpg) as an
ImageNet-normalized float32 .npy of shape (N, 3, 224, 224): calibration
and evaluation inputs for the torchvision models when no ImageNet is at
hand.  Different --seed values give disjoint-looking sets (random scale,
position and horizontal flip per crop).

Usage: sample_crops.py OUT.npy [--n 32] [--seed 0]
"""
import argparse

import numpy as np
from sklearn.datasets import load_sample_images

MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(3, 1, 1)


def resize(img, h, w):
    """Bilinear resize of an HxWx3 float image (numpy only)."""
    ys = (np.arange(h) + 0.5) * img.shape[0] / h - 0.5
    xs = (np.arange(w) + 0.5) * img.shape[1] / w - 0.5
    y0 = np.clip(np.floor(ys).astype(int), 0, img.shape[0] - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, img.shape[1] - 1)
    y1 = np.clip(y0 + 1, 0, img.shape[0] - 1)
    x1 = np.clip(x0 + 1, 0, img.shape[1] - 1)
    wy = np.clip(ys - y0, 0, 1)[:, None, None]
    wx = np.clip(xs - x0, 0, 1)[None, :, None]
    top = img[y0][:, x0] * (1 - wx) + img[y0][:, x1] * wx
    bot = img[y1][:, x0] * (1 - wx) + img[y1][:, x1] * wx
    return top * (1 - wy) + bot * wy


def crops(n, seed):
    rng = np.random.default_rng(seed)
    images = [im.astype(np.float32) / 255.0 for im in load_sample_images().images]
    out = np.empty((n, 3, 224, 224), np.float32)
    for i in range(n):
        img = images[i % len(images)]
        side = int(rng.uniform(0.3, 1.0) * min(img.shape[:2]))
        y = rng.integers(0, img.shape[0] - side + 1)
        x = rng.integers(0, img.shape[1] - side + 1)
        c = resize(img[y:y + side, x:x + side], 224, 224)
        if rng.random() < 0.5:
            c = c[:, ::-1]
        out[i] = (c.transpose(2, 0, 1) - MEAN) / STD
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    np.save(a.out, crops(a.n, a.seed))


if __name__ == "__main__":
    main()
