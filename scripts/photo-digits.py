#!/usr/bin/env python3
"""Phone photos of handwritten digits, made from MNIST test digits, and how the model reads them.

Each MNIST **test** digit is written in pen on paper and photographed, the way a user would send
it: the digit's centre line (Zhang-Suen thinning of the MNIST image) drawn with a round pen of a
random width (a ballpoint to a felt tip; one in five keeps MNIST's own stroke, like a marker),
black or blue ink, on tinted, textured paper, a little rotated and off-centre, under a lighting
gradient, slightly out of focus, with sensor noise and a few specks of dust, saved as JPEG
(quality 80-92, 4:2:0) at 12, 3 or 1 megapixels, a third of them stored sideways with an EXIF
orientation as phones do (and with PHOTO_TABLE=1 a quarter show a strip of dark table beside
the sheet). Then every file goes through `mnist-cnn predict --json` (the same
decoder and normalizer as /predict) and the accuracy is printed per resolution.

    python3 scripts/photo-digits.py evaluate BINARY MODEL MNIST_DIR [PER_RESOLUTION] [SEED]
        (PHOTO_KEEP=DIR keeps the files read wrong; PHOTO_SET=DIR keeps them all and reuses them;
         PHOTO_TABLE=1 lets a quarter of the photos show a strip of table beside the sheet)
    python3 scripts/photo-digits.py sample OUT_DIR MNIST_DIR     (the small test fixtures)

Needs Pillow and numpy (a venv: python3 -m venv v && v/bin/pip install pillow numpy).
"""
import gzip, io, json, os, shutil, subprocess, sys, tempfile
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

RESOLUTIONS = {"12MP": (4000, 3000), "3MP": (2000, 1500), "1MP": (1152, 864)}
# Pillow's exif_transpose turns a stored raster upright with these; a file tagged o is stored
# as the upright picture turned by the inverse.
INVERSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_270}


def mnist(directory):
    images = np.frombuffer(gzip.open(f"{directory}/t10k-images-idx3-ubyte.gz").read()[16:], np.uint8).reshape(-1, 28, 28)
    labels = np.frombuffer(gzip.open(f"{directory}/t10k-labels-idx1-ubyte.gz").read()[8:], np.uint8)
    return images, labels


def thin(mask):
    """Zhang-Suen thinning of a boolean image (1984), vectorised."""
    m = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p2, p3, p4 = m[:-2, 1:-1], m[:-2, 2:], m[1:-1, 2:]
            p5, p6, p7 = m[2:, 2:], m[2:, 1:-1], m[2:, :-2]
            p8, p9 = m[1:-1, :-2], m[:-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            b = sum(ring[:8])
            a = sum(((ring[i] == 0) & (ring[i + 1] == 1)).astype(np.uint8) for i in range(8))
            c = (p2 * p4 * p6 == 0) if step == 0 else (p2 * p4 * p8 == 0)
            d = (p4 * p6 * p8 == 0) if step == 0 else (p2 * p6 * p8 == 0)
            remove = (m[1:-1, 1:-1] == 1) & (b >= 2) & (b <= 6) & (a == 1) & c & d
            if remove.any():
                m[1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return m[1:-1, 1:-1].astype(bool)


def stroke_mask(digit, size, rng):
    """The digit as pen strokes on a size x size canvas (L, 255 = ink)."""
    if rng.random() < 0.2:
        # Marker: MNIST's own stroke, smoothly enlarged.
        big = Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC)
        return big.point(lambda v: 255 if v > 100 else 0)
    fine = np.asarray(Image.fromarray(digit).resize((112, 112), Image.Resampling.BILINEAR)) > 60
    skeleton = thin(fine)
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    width = max(2, int(size * rng.uniform(1 / 60, 1 / 22)))
    scale = size / 112
    ys, xs = np.nonzero(skeleton)
    points = set(zip(ys.tolist(), xs.tolist()))
    for y, x in points:
        cx, cy = (x + 0.5) * scale, (y + 0.5) * scale
        draw.ellipse([cx - width / 2, cy - width / 2, cx + width / 2, cy + width / 2], fill=255)
        for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
            if (y + dy, x + dx) in points:
                draw.line([cx, cy, (x + dx + 0.5) * scale, (y + dy + 0.5) * scale], fill=255, width=width)
    return canvas


def photograph(digit, size, rng, blue=None, orientation=None, quality=None, table=False):
    """A JPEG (bytes) of the digit written on paper and photographed at `size` (landscape or portrait)."""
    width, height = size if rng.random() < 0.5 else (size[1], size[0])
    shorter = min(width, height)
    # Paper: tint, coarse texture (fibres, unevenness) and fine grain.
    tint = np.array([rng.uniform(225, 252), rng.uniform(220, 248), rng.uniform(195, 240)], np.float32)
    coarse = np.asarray(Image.fromarray((rng.normal(128, 40, (height // 32 + 1, width // 32 + 1))).clip(0, 255).astype(np.uint8))
                        .resize((width, height), Image.Resampling.BICUBIC), np.float32)
    paper = tint[None, None, :] * (1 + (coarse[:, :, None] - 128) / 128 * rng.uniform(0.01, 0.04))
    if table and rng.random() < 0.25:
        # The sheet does not fill the frame: a strip of dark table along one side, its edge a
        # little slanted.
        yy, xx = np.arange(height)[:, None], np.arange(width)[None, :]
        depth, slant = rng.uniform(0.03, 0.09), rng.uniform(-0.05, 0.05)
        side = int(rng.integers(4))
        if side == 0: strip = xx < depth * width + slant * (yy - height / 2)
        elif side == 1: strip = xx > (1 - depth) * width + slant * (yy - height / 2)
        elif side == 2: strip = yy < depth * height + slant * (xx - width / 2)
        else: strip = yy > (1 - depth) * height + slant * (xx - width / 2)
        paper[strip] = np.array([rng.uniform(50, 110), rng.uniform(40, 90), rng.uniform(30, 70)], np.float32)
    # Ink: the strokes, rotated a little, placed off-centre, slightly blurred.
    digit_size = int(shorter * rng.uniform(0.25, 0.6))
    mask = stroke_mask(digit, digit_size, rng).rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR)
    page = Image.new("L", (width, height), 0)
    left = int((width - digit_size) / 2 + rng.uniform(-0.15, 0.15) * width)
    top = int((height - digit_size) / 2 + rng.uniform(-0.15, 0.15) * height)
    page.paste(mask, (max(0, min(width - digit_size, left)), max(0, min(height - digit_size, top))))
    draw = ImageDraw.Draw(page)
    for _ in range(rng.integers(0, 6)):  # dust and specks
        r = shorter * rng.uniform(0.001, 0.004)
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=int(rng.uniform(80, 255)))
    page = page.filter(ImageFilter.GaussianBlur(shorter * rng.uniform(0.0003, 0.0015)))
    coverage = np.asarray(page, np.float32)[:, :, None] / 255 * rng.uniform(0.8, 0.97)
    if blue is None:
        blue = rng.random() < 0.5
    ink = np.array([rng.uniform(20, 60), rng.uniform(35, 80), rng.uniform(120, 190)] if blue
                   else [rng.uniform(15, 50)] * 3, np.float32)
    picture = paper * (1 - coverage) + ink[None, None, :] * coverage
    del paper, coverage
    # Light: a gradient across the page (one side up to 40 % darker) and a soft vignette.
    gy, gx = np.mgrid[0:height // 16 + 1, 0:width // 16 + 1].astype(np.float32)
    gx /= gx.max(); gy /= gy.max()
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 - rng.uniform(0.1, 0.4) * ((np.cos(angle) * (gx - 0.5) + np.sin(angle) * (gy - 0.5)) + 0.5)
    light *= 1 - rng.uniform(0, 0.15) * ((gx - 0.5) ** 2 + (gy - 0.5) ** 2) * 2
    light = np.asarray(Image.fromarray(light.astype(np.float32), "F").resize((width, height), Image.Resampling.BILINEAR))
    picture *= light[:, :, None]
    picture += rng.normal(0, rng.uniform(2, 6), picture.shape).astype(np.float32)
    image = Image.fromarray(picture.clip(0, 255).astype(np.uint8), "RGB")
    del picture
    exif = Image.Exif()
    if orientation is None:
        orientation = int(rng.choice([2, 3, 4, 5, 6, 7, 8])) if rng.random() < 1 / 3 else 1
    if orientation != 1:
        image = image.transpose(INVERSE[orientation])
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=int(quality or rng.integers(80, 93)), subsampling=2, exif=exif.tobytes())
    return out.getvalue(), orientation, blue


def generate(directory, per_resolution, seed, out, table=False):
    """Writes the photos into `out` with jobs.json: file -> (resolution, label, orientation, blue, index)."""
    images, labels = mnist(directory)
    rng = np.random.default_rng(seed)
    indices = rng.choice(len(images), per_resolution * len(RESOLUTIONS), replace=False)
    jobs = {}
    for n, index in enumerate(indices):
        name = list(RESOLUTIONS)[n % len(RESOLUTIONS)]
        data, orientation, blue = photograph(images[index], RESOLUTIONS[name], rng, table=table)
        path = os.path.join(out, f"{n}-{name}-{labels[index]}.jpg")
        open(path, "wb").write(data)
        jobs[path] = (name, int(labels[index]), orientation, blue, int(index))
    json.dump(jobs, open(os.path.join(out, "jobs.json"), "w"))
    return jobs


def evaluate(binary, model, directory, per_resolution, seed):
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        # PHOTO_SET=DIR keeps the photos and reuses them on the next run with the same DIR.
        kept = os.environ.get("PHOTO_SET")
        if kept and os.path.exists(os.path.join(kept, "jobs.json")):
            jobs = json.load(open(os.path.join(kept, "jobs.json")))
        else:
            if kept:
                os.makedirs(kept, exist_ok=True)
            jobs = generate(directory, per_resolution, seed, kept or tmp, table=os.environ.get("PHOTO_TABLE") == "1")
        paths = list(jobs)
        for start in range(0, len(paths), 200):
            run = subprocess.run([binary, "predict", "--model", model, "--json", *paths[start:start + 200]],
                                 capture_output=True, text=True)
            answered = {}
            for line in run.stdout.splitlines():
                answer = json.loads(line)
                answered[answer["file"]] = answer["digit"]
            for path in paths[start:start + 200]:
                name, label, orientation, blue, index = jobs[path]
                right = answered.get(path) == label
                results.setdefault(name, []).append(right)
                if not right:
                    if os.environ.get("PHOTO_KEEP"):
                        os.makedirs(os.environ["PHOTO_KEEP"], exist_ok=True)
                        shutil.copy(path, os.environ["PHOTO_KEEP"])
                    print(f"wrong: test image {index} ({label}) at {name}, orientation {orientation}, "
                          f"{'blue' if blue else 'black'} pen -> {answered.get(path)}", file=sys.stderr)
    total = sum(len(v) for v in results.values())
    correct = sum(sum(v) for v in results.values())
    for name in RESOLUTIONS:
        right = results.get(name, [])
        print(f"{name:>5}: {sum(right)}/{len(right)} = {100 * sum(right) / max(1, len(right)):.1f} %")
    print(f"  all: {correct}/{total} = {100 * correct / max(1, total):.1f} %")


def sample(out, directory):
    """The few small photos the Swift tests read (Tests/ImagingTests/Fixtures/photos)."""
    images, labels = mnist(directory)
    rng = np.random.default_rng(13)
    os.makedirs(out, exist_ok=True)
    # (test index, size, blue, orientation): small enough to commit, still a camera's kind of picture.
    for index, size, blue, orientation in [(0, (640, 480), False, 1), (1, (640, 480), True, 6),
                                           (2, (800, 600), True, 3), (3, (1024, 768), False, 8)]:
        data, _, _ = photograph(images[index], size, rng, blue=blue, orientation=orientation, quality=82)
        name = f"digit{labels[index]}-{'blue' if blue else 'black'}-exif{orientation}-{size[0]}x{size[1]}.jpg"
        open(os.path.join(out, name), "wb").write(data)
        print(name, len(data))


if __name__ == "__main__":
    if sys.argv[1] == "evaluate":
        evaluate(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 100,
                 int(sys.argv[6]) if len(sys.argv) > 6 else 2026)
    else:
        sample(sys.argv[2], sys.argv[3])
