#!/usr/bin/env python3
"""Time to answer a 12 MP phone photo, against Pillow reading the same file the cheap way.

Writes one 4000x3000 photo of an MNIST test digit (scripts/photo-digits.py, JPEG quality 90,
EXIF orientation 6 as phones store portrait shots), starts the release server, and measures
in the same run, alternating rounds so both sides see the same machine load:
  - ours: POST /predict with the JPEG over a kept-alive connection, until the answer is read
    (decode at 1/8 DCT scale, EXIF turn, photo normalization, inference, JSON);
  - Pillow: Image.open, draft("RGB", 1/8 size) (libjpeg-turbo's DCT scaling, the same reduction
    we use), load, ImageOps.exif_transpose: only opening, shrinking and orienting.
Prints the medians and their ratio.

    python3 scripts/bench-photo.py .build/release/mnist-cnn models/mnist-cnn.safetensors MNIST_DIR [ROUNDS]

Needs Pillow and numpy (a venv).
"""
import http.client, io, os, random, statistics, subprocess, sys, tempfile, time
from PIL import Image, ImageOps
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
photo_digits = __import__("photo-digits")

binary, model, mnist_dir = sys.argv[1], sys.argv[2], sys.argv[3]
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 10
per_round = 5

images, labels = photo_digits.mnist(mnist_dir)
rng = np.random.default_rng(12)
data, _, _ = photo_digits.photograph(images[3], (4000, 3000), rng, blue=True, orientation=6, quality=90)
print(f"12 MP photo: {len(data):,} bytes, a {labels[3]}", flush=True)

state = tempfile.mkdtemp(prefix="bench-photo-")
port = random.randint(20000, 40000)
server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--model", model,
                           "--state-dir", state, "--log-level", "warning"])
try:
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def ours():
        start = time.perf_counter()
        connection.request("POST", "/predict", body=data, headers={"Content-Type": "image/jpeg"})
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        assert response.status == 200, body
        return elapsed, body

    def pillow():
        start = time.perf_counter()
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", (image.width // 8, image.height // 8))
        image.load()
        image = ImageOps.exif_transpose(image)
        elapsed = time.perf_counter() - start
        return elapsed, image.size

    _, answer = ours()
    print(f"answer: {answer[:40].decode()}...", flush=True)
    print(f"Pillow result size: {pillow()[1]}", flush=True)
    ours_times, pillow_times = [], []
    for _ in range(rounds):
        ours_times += [ours()[0] for _ in range(per_round)]
        pillow_times += [pillow()[0] for _ in range(per_round)]
    a, b = statistics.median(ours_times), statistics.median(pillow_times)
    print(f"ours   (POST /predict, answer read): median {a * 1000:.2f} ms over {len(ours_times)}")
    print(f"Pillow (open + draft 1/8 + load + exif_transpose): median {b * 1000:.2f} ms over {len(pillow_times)}")
    print(f"ratio ours / Pillow: {a / b:.2f}x")
finally:
    server.terminate()
    server.wait()
