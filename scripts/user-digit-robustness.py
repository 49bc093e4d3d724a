#!/usr/bin/env python3
"""How the model reads digits drawn the way users draw them, not as MNIST stores them.

Renders MNIST test digits as a user's canvas would hold them — ten times larger, black ink on
white paper, strokes made thicker or thinner, placed off-centre on a bigger page — writes them
as PGM files and classifies them with `mnist-cnn predict` (the same imaging code as /predict).
Prints the accuracy of each variant.

    python3 scripts/user-digit-robustness.py models/mnist-cnn.safetensors ../shared/data/mnist .build/release/mnist-cnn [count]
"""
import gzip, json, os, subprocess, sys, tempfile
import numpy as np

model, mnist, binary = sys.argv[1], sys.argv[2], sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
images = np.frombuffer(gzip.open(f"{mnist}/t10k-images-idx3-ubyte.gz").read()[16:], dtype=np.uint8).reshape(-1, 28, 28)[:count]
labels = np.frombuffer(gzip.open(f"{mnist}/t10k-labels-idx1-ubyte.gz").read()[8:], dtype=np.uint8)[:count]

def upscale(image, factor=10):
    # Bilinear, as a canvas stroke is smooth at any size.
    h, w = image.shape
    ys = (np.arange(h * factor) + 0.5) / factor - 0.5
    xs = (np.arange(w * factor) + 0.5) / factor - 0.5
    y0 = np.clip(np.floor(ys).astype(int), 0, h - 1); y1 = np.clip(y0 + 1, 0, h - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, w - 1); x1 = np.clip(x0 + 1, 0, w - 1)
    fy = np.clip(ys - y0, 0, 1)[:, None]; fx = np.clip(xs - x0, 0, 1)[None, :]
    img = image.astype(np.float64)
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bottom = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy

def morph(image, radius, op):
    out = image.copy()
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx * dx + dy * dy <= radius * radius:
                out = op(out, np.roll(np.roll(image, dy, 0), dx, 1))
    return out

def variants(image):
    big = upscale(image)  # 280x280, ink bright
    yield "large canvas, black on white", 255 - big
    yield "thick strokes (marker)", 255 - morph(big, 12, np.maximum)
    yield "thin strokes (fine pen)", 255 - np.where(morph(big, 6, np.minimum) > 0, big, 0)
    page = np.zeros((480, 480)); page[20:300, 180:460] = big
    yield "off-centre on a 480x480 page", 255 - page

results = {}
with tempfile.TemporaryDirectory() as tmp:
    jobs = {}
    for i, image in enumerate(images):
        for name, picture in variants(image):
            path = os.path.join(tmp, f"{len(jobs)}.pgm")
            pixels = np.clip(picture, 0, 255).astype(np.uint8)
            open(path, "wb").write(b"P5\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]) + pixels.tobytes())
            jobs[path] = (name, labels[i])
    paths = list(jobs)
    for start in range(0, len(paths), 500):
        out = subprocess.run([binary, "predict", "--model", model, "--json", *paths[start:start + 500]],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            answer = json.loads(line)
            name, label = jobs[answer["file"]]
            correct, total = results.get(name, (0, 0))
            results[name] = (correct + (answer["digit"] == label), total + 1)
print(f"{count} MNIST test digits per variant:")
for name, (correct, total) in results.items():
    print(f"  {name:32s} {100 * correct / total:6.2f} %  ({correct}/{total})")
