#!/usr/bin/env python3
"""Checks that the model file means what PyTorch would make of it, without PyTorch.

Loads the file with the `safetensors` package (numpy backend), rebuilds the forward pass of
the `torch.nn.Sequential` its metadata names in plain NCHW numpy exactly as PyTorch defines
each module (inference mode), and compares the probabilities with `mnist-cnn predict --json`
on real MNIST test digits.

    pip install safetensors numpy
    python3 scripts/check-pytorch-layout.py models/mnist-cnn.safetensors ../shared/data/mnist .build/release/mnist-cnn
"""
import gzip, json, subprocess, sys, tempfile, os
import numpy as np
from safetensors.numpy import load_file
from safetensors import safe_open

model, mnist, binary = sys.argv[1], sys.argv[2], sys.argv[3]
tensors = load_file(model)
with safe_open(model, "np") as f:
    meta = f.metadata()
arch = json.loads(meta["architecture"])

def forward(x):  # x: [N, C, H, W]
    for i, layer in enumerate(arch["layers"]):
        t = layer["type"]
        if t == "conv2d":
            w, b = tensors[f"{i}.weight"], tensors[f"{i}.bias"]
            k, s, p = layer["kernel_size"], layer["stride"], layer["padding"]
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
            n, c, h, wd = x.shape
            oh, ow = (h - k) // s + 1, (wd - k) // s + 1
            cols = np.empty((n, c, k, k, oh, ow), dtype=np.float64)
            for kh in range(k):
                for kw in range(k):
                    cols[:, :, kh, kw] = x[:, :, kh:kh + s * oh:s, kw:kw + s * ow:s]
            x = np.einsum("nckluv,ockl->nouv", cols, w.astype(np.float64)) + b[None, :, None, None]
        elif t == "maxpool2d":
            k, s = layer["kernel_size"], layer["stride"]
            n, c, h, wd = x.shape
            oh, ow = (h - k) // s + 1, (wd - k) // s + 1
            x = np.max(np.stack([x[:, :, kh:kh + s * oh:s, kw:kw + s * ow:s] for kh in range(k) for kw in range(k)]), axis=0)
        elif t == "relu":
            x = np.maximum(x, 0)
        elif t == "flatten":
            x = x.reshape(x.shape[0], -1)  # NCHW order, as torch.nn.Flatten
        elif t == "dropout":
            pass
        elif t == "linear":
            x = x @ tensors[f"{i}.weight"].T.astype(np.float64) + tensors[f"{i}.bias"]
        elif t == "batchnorm":
            g, bb = tensors[f"{i}.weight"], tensors[f"{i}.bias"]
            m, v = tensors[f"{i}.running_mean"], tensors[f"{i}.running_var"]
            shape = (1, -1, 1, 1) if x.ndim == 4 else (1, -1)
            x = (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + layer["eps"]) * g.reshape(shape) + bb.reshape(shape)
        else:
            raise SystemExit(f"unknown layer {t}")
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)

images = np.frombuffer(gzip.open(f"{mnist}/t10k-images-idx3-ubyte.gz").read()[16:], dtype=np.uint8).reshape(-1, 28, 28)
count = 20
ours = forward(images[:count, None].astype(np.float64) / 255)
with tempfile.TemporaryDirectory() as tmp:
    paths = []
    for i in range(count):
        path = os.path.join(tmp, f"{i}.raw")
        open(path, "wb").write(images[i].tobytes())
        paths.append(path)
    out = subprocess.run([binary, "predict", "--model", model, "--json", *paths], check=True, capture_output=True, text=True).stdout
served = np.array([json.loads(line)["probabilities"] for line in out.splitlines()])
worst = np.abs(served - ours).max()
print(f"{count} digits: largest probability difference {worst:.2e}; argmax agree: {bool((served.argmax(1) == ours.argmax(1)).all())}")
sys.exit(0 if worst < 1e-4 else 1)
