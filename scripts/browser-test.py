#!/usr/bin/env python3
"""Real-browser test of the web page: headless Chromium draws real MNIST digits on the canvas.

Usage:
    python3 scripts/browser-test.py --url http://127.0.0.1:8080 --mnist-dir DIR --screenshot out.png

Needs only Python 3's standard library and Debian's `chromium` package: the script speaks the
Chrome DevTools Protocol over the `--remote-debugging-pipe` file descriptors (3 and 4, NUL-
separated JSON), so there is no driver, no websocket library and no debugging port.

What it checks, failing with a non-zero exit and a message that says what went wrong:
  1. the page loads and its module script runs (no CSP violation, no uncaught exception);
  2. for each chosen MNIST test image (default indices 0-4) it clicks Clear, redraws the digit
     stroke by stroke with real pointer input: each horizontal run of ink (pixels >= 128) in
     each row becomes one press-drag-release, with the pointer type rotating mouse, touch, pen;
  3. after the last stroke, the digit the page shows equals the test label (all digits must be
     right by default: the strokes are deterministic, so a miss is a real regression; use
     --min-correct to relax), and the 28x28 input preview holds ink;
  4. the upload control reads a PGM, a JPEG phone photo (shown upright on the page by its EXIF
     orientation, with the 28x28 input painted) and answers a text file with the server's problem;
  5. it saves a screenshot of the page (and, with --train-screenshot, of the training view).
Every wait has a timeout, and the whole run is bounded by --timeout.
"""
import argparse
import base64
import gzip
import json
import os
import queue
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

# Chromium's pen is 22 px wide on a 280 px pad (2.2 MNIST pixels); runs are shortened by its
# radius so the redrawn digit keeps the original's width instead of gaining a pen width.
PEN_RADIUS_MNIST = 1.1
INK_THRESHOLD = 128
POINTER_TYPES = ("mouse", "touch", "pen")


# A phone photo from the test fixtures (scripts/photo-digits.py sample): a blue 2, stored
# 640x480 with EXIF orientation 6, so upright it is portrait.
# (A normalized path: Chromium cannot read a chosen file whose path has "..".)
PHOTO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImagingTests",
                                      "Fixtures", "photos", "digit2-blue-exif6-640x480.jpg"))
PHOTO_LABEL = "2"


class TestFailure(Exception):
    """A check failed; the message is what the user reads."""


# MARK: - MNIST

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        if (rows, cols) != (28, 28) or len(data) != 16 + count * 784:
            raise TestFailure(f"{path}: not a 28x28 IDX image file of {count} images")
        return [data[16 + i * 784:16 + (i + 1) * 784] for i in range(count)]
    if magic == 2049:
        if len(data) != 8 + count:
            raise TestFailure(f"{path}: truncated IDX label file")
        return list(data[8:])
    raise TestFailure(f"{path}: bad IDX magic {magic:#x}")


def find_mnist_file(directory, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise TestFailure(f"{directory} has neither {stem} nor {stem}.gz")


def strokes_for(image):
    """Row runs of ink as (x0, y, x1, y) segments in MNIST pixel units (centres of the pen path)."""
    strokes = []
    for y in range(28):
        x = 0
        while x < 28:
            if image[y * 28 + x] >= INK_THRESHOLD:
                start = x
                while x < 28 and image[y * 28 + x] >= INK_THRESHOLD:
                    x += 1
                left, right = start + PEN_RADIUS_MNIST, x - PEN_RADIUS_MNIST
                if right < left:
                    left = right = (start + x) / 2
                strokes.append((left, y + 0.5, right, y + 0.5))
            else:
                x += 1
    return strokes


# MARK: - Chrome DevTools Protocol over a pipe

class Browser:
    """Chromium with --remote-debugging-pipe: we write commands to its fd 3, read from its fd 4."""

    def __init__(self, executable, width, height):
        self.profile = tempfile.mkdtemp(prefix="browser-test-")
        to_child_read, to_child_write = os.pipe()
        from_child_read, from_child_write = os.pipe()

        def wire_pipes():
            # Move both ends above 4 first, so dup2 onto 3 and 4 cannot clobber one of them.
            a = os.dup(to_child_read) if to_child_read <= 4 else to_child_read
            b = os.dup(from_child_write) if from_child_write <= 4 else from_child_write
            a = os.dup(a) if a <= 4 else a
            b = os.dup(b) if b <= 4 else b
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--mute-audio", "--hide-scrollbars",
            f"--window-size={width},{height}", "about:blank",
        ]
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=wire_pipes, close_fds=False, start_new_session=True)
        os.close(to_child_read)
        os.close(from_child_write)
        self.writer = os.fdopen(to_child_write, "wb", buffering=0)
        self.reader = os.fdopen(from_child_read, "rb", buffering=0)
        self.messages = queue.Queue()
        self.events = []
        self.next_id = 0
        threading.Thread(target=self._read_loop, daemon=True).start()
        self.stderr_tail = []
        threading.Thread(target=self._stderr_loop, daemon=True).start()

    def _read_loop(self):
        buffer = b""
        while True:
            chunk = self.reader.read(65536)
            if not chunk:
                self.messages.put(None)
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                self.messages.put(json.loads(raw))

    def _stderr_loop(self):
        for line in self.process.stderr:
            self.stderr_tail = (self.stderr_tail + [line.decode(errors="replace").rstrip()])[-20:]

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.writer.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TestFailure(f"Chromium did not answer {method} within {timeout} s")
            try:
                reply = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if reply is None:
                raise TestFailure("Chromium exited: " + " | ".join(self.stderr_tail[-5:]))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise TestFailure(f"{method} failed: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def drain_events(self):
        while True:
            try:
                reply = self.messages.get_nowait()
            except queue.Empty:
                return
            if reply and "method" in reply:
                self.events.append(reply)

    def wait_event(self, method, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.drain_events()
            for index, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(index)
            time.sleep(0.05)
        raise TestFailure(f"no {method} within {timeout} s")

    def close(self):
        try:
            self.writer.write(json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab, attached with a flat session."""

    # Runs before the page's own scripts (CDP injects it; CSP does not apply to it): records
    # CSP violations and the pointer types the page really received.
    PROBE = """
      window.__probe = { csp: [], pointerTypes: [] };
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__probe.csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
      });
      window.addEventListener('pointerdown', (e) => window.__probe.pointerTypes.push(e.pointerType), true);
    """

    def __init__(self, browser, width, height):
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})
        attached = browser.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        self.session = attached["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "DOM.enable"):
            self.send(method)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
        # No transitions: a screenshot taken right after an answer shows the final bar lengths.
        self.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source": self.PROBE})

    def send(self, method, params=None, timeout=30):
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def navigate(self, url, timeout=20):
        """Loads `url` and waits for its load event (not a stale one from about:blank)."""
        self.browser.drain_events()
        self.browser.events = [e for e in self.browser.events if e["method"] != "Page.loadEventFired"]
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise TestFailure(f"cannot load {url}: {result['errorText']} (is the server running?)")
        self.browser.wait_event("Page.loadEventFired", timeout=timeout)
        self.wait_for(f"location.href.startsWith({json.dumps(url.split('#')[0])}) && document.readyState === 'complete'",
                      timeout, f"{url} to load")

    def evaluate(self, expression, timeout=30):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in result:
            raise TestFailure(f"page script failed: {result['exceptionDetails'].get('text')} in {expression[:80]}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TestFailure(f"timed out after {timeout} s waiting for {what}")

    def problems(self):
        """Console errors, uncaught exceptions, CSP and other security log entries so far."""
        self.browser.drain_events()
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append("uncaught exception: " + (details.get("exception", {}).get("description") or details.get("text", "")))
            elif event["method"] == "Log.entryAdded":
                entry = params.get("entry", {})
                if entry.get("level") == "error" or entry.get("source") in ("security", "violation"):
                    # A failed /predict answer (e.g. a 422 on purpose) is logged as a network error; not a page fault.
                    if entry.get("source") == "network":
                        continue
                    found.append(f"log {entry.get('source')}/{entry.get('level')}: {entry.get('text')}")
            elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                texts = [str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])]
                found.append("console.error: " + " ".join(texts))
        return found

    # MARK: input

    def click(self, selector):
        box = self.evaluate(f"""(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();
            return {{x: r.left + r.width / 2, y: r.top + r.height / 2}}; }})()""")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], "button": "left",
                                                   "buttons": 1 if kind == "mousePressed" else 0, "clickCount": 1})

    def drag(self, points, pointer_type):
        """One stroke: press at points[0], move through the rest, release at the last one."""
        if pointer_type == "touch":
            def touch(kind, x, y):
                touch_points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1, "radiusX": 1, "radiusY": 1, "force": 0.5}]
                self.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})
            touch("touchStart", *points[0])
            for x, y in points[1:]:
                touch("touchMove", x, y)
            touch("touchEnd", *points[-1])
            return
        common = {"button": "left", "pointerType": pointer_type}
        x, y = points[0]
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "buttons": 0, "pointerType": pointer_type})
        self.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": x, "y": y, "buttons": 1, "clickCount": 1, **common})
        for x, y in points[1:]:
            self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "buttons": 1, **common})
        self.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": x, "y": y, "buttons": 0, "clickCount": 1, **common})

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                    "clip": self.full_page_clip()})["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))

    def full_page_clip(self):
        size = self.evaluate("({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})")
        return {"x": 0, "y": 0, "width": size["w"], "height": size["h"], "scale": 1}


# MARK: - The test

def draw_digit(page, image, pointer_type):
    box = page.evaluate("""(() => { const c = document.getElementById('pad'); const r = c.getBoundingClientRect();
        return {x: r.left + c.clientLeft, y: r.top + c.clientTop, w: c.clientWidth, h: c.clientHeight}; })()""")
    scale_x, scale_y = box["w"] / 28, box["h"] / 28
    strokes = strokes_for(image)
    for x0, y0, x1, y1 in strokes:
        # Pointer samples every ~6 CSS px along the run, like a real drag.
        steps = max(1, int(abs(x1 - x0) * scale_x / 6))
        points = [(box["x"] + (x0 + (x1 - x0) * i / steps) * scale_x, box["y"] + y0 * scale_y) for i in range(steps + 1)]
        page.drag(points, pointer_type)
    return len(strokes)


def upload(page, path):
    """Chooses `path` in the upload control, as a user picking a file would."""
    document = page.send("DOM.getDocument", {"depth": 0})
    node = page.send("DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": "#upload"})
    before = int(page.evaluate("document.querySelector('.result-card').dataset.sent"))
    page.send("DOM.setFileInputFiles", {"files": [path], "nodeId": node["nodeId"]})
    return page.wait_for(
        f"""(() => {{ const d = document.querySelector('.result-card').dataset;
            return Number(d.sent) > {before} && d.sent === d.shown && d.state !== 'pending' ? d.state : null; }})()""",
        30, f"the answer to the upload of {os.path.basename(path)}")


def check_uploads(page, images, labels, index):
    """The upload control: a PGM (which the browser cannot even show) is read right; a JPEG
    phone photo is read right and shown; a text file gives the server's problem document,
    shown readably instead of a digit."""
    with tempfile.TemporaryDirectory(prefix="browser-test-upload-") as directory:
        pgm = os.path.join(directory, f"mnist-test-{index}.pgm")
        with open(pgm, "wb") as handle:
            handle.write(b"P5\n28 28\n255\n" + images[index])
        state = upload(page, pgm)
        shown = page.evaluate("document.getElementById('digit').textContent.trim()")
        if state != "done" or shown != str(labels[index]):
            error = page.evaluate("document.getElementById('predict-error').textContent")
            raise TestFailure(f"uploaded PGM of test image {index} (label {labels[index]}): page shows {shown!r} {error}")
        print(f"upload {os.path.basename(pgm)}: label {labels[index]}, page shows {shown} -> ok", flush=True)

        # A phone photo (JPEG, blue pen, stored sideways with EXIF orientation 6): read right,
        # shown upright beside the answer, and the 28x28 the network saw painted.
        state = upload(page, PHOTO)
        shown = page.evaluate("document.getElementById('digit').textContent.trim()")
        if state != "done" or shown != PHOTO_LABEL:
            error = page.evaluate("document.getElementById('predict-error').textContent")
            raise TestFailure(f"uploaded photo {os.path.basename(PHOTO)} (a {PHOTO_LABEL}): page shows {shown!r} {error}")
        picture = page.wait_for(
            """(() => { const img = document.getElementById('photo');
                return !document.getElementById('photo-figure').hidden && img.complete && img.naturalWidth > 0
                    ? [img.naturalWidth, img.naturalHeight] : null; })()""",
            10, "the uploaded photo shown on the page")
        if picture[0] >= picture[1]:
            raise TestFailure(f"the photo is shown {picture[0]}x{picture[1]}: not turned upright (portrait) by its EXIF orientation")
        if page.evaluate("document.getElementById('input-preview').dataset.painted") != "true":
            raise TestFailure("after the photo, the 28x28 input preview is not painted")
        # The page runs with touch emulated (a coarse pointer, as on a phone): the camera is offered.
        capture = page.evaluate("""(() => { const c = document.getElementById('camera');
            return c && getComputedStyle(c.closest('label')).display !== 'none' ? c.getAttribute('capture') : null; })()""")
        if capture != "environment":
            raise TestFailure(f"on a touch screen the page should offer the camera (capture=environment); got {capture!r}")
        print(f"upload {os.path.basename(PHOTO)}: a {PHOTO_LABEL}, page shows {shown}, photo {picture[0]}x{picture[1]} -> ok", flush=True)

        text = os.path.join(directory, "notes.txt")
        with open(text, "w") as handle:
            handle.write("this is not an image\n")
        state = upload(page, text)
        error = page.evaluate("document.getElementById('predict-error').hidden ? '' : document.getElementById('predict-error').textContent")
        if state != "error" or "(4" not in error:
            raise TestFailure(f"uploading a text file should show the server's 4xx problem; the page shows state {state!r}, error {error!r}")
        print(f"upload notes.txt: page shows the problem \"{error}\" -> ok", flush=True)


def run(args):
    images = read_idx(find_mnist_file(args.mnist_dir, "t10k-images-idx3-ubyte"))
    labels = read_idx(find_mnist_file(args.mnist_dir, "t10k-labels-idx1-ubyte"))
    indices = parse_indices(args.indices, len(images))
    min_correct = len(indices) if args.min_correct is None else args.min_correct

    executable = args.chromium or next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                                        if shutil.which(n)), None)
    if not executable:
        raise TestFailure("no Chromium found: apt-get install -y chromium (or pass --chromium PATH)")

    browser = Browser(executable, args.width, args.height)
    try:
        page = Page(browser, args.width, args.height)
        page.navigate(args.url.rstrip("/") + "/")
        try:
            page.wait_for("document.querySelector('.result-card')?.dataset.state === 'idle'", 10, "the page's module script to start")
        except TestFailure as failure:
            shown = page.evaluate("(document.body ? document.body.innerText : '').trim().slice(0, 200)")
            details = "\n  ".join(page.problems()) or "no console errors"
            raise TestFailure(f"{failure}: the page at {args.url} is not the mnist-cnn page or app.js did not run.\n"
                              f"  The page shows: {shown!r}\n  {details}") from None
        problems = page.problems()
        if problems:
            raise TestFailure("the page reported problems on load:\n  " + "\n  ".join(problems))

        correct = 0
        results = []
        for position, index in enumerate(indices):
            label = labels[index]
            pointer_type = POINTER_TYPES[position % len(POINTER_TYPES)]
            page.click("#clear")
            page.wait_for("document.querySelector('.result-card').dataset.state === 'idle'", 5, "Clear to reset the result")
            before = int(page.evaluate("document.querySelector('.result-card').dataset.sent"))
            strokes = draw_digit(page, images[index], pointer_type)
            expected = before + strokes
            state = page.wait_for(
                f"""(() => {{ const d = document.querySelector('.result-card').dataset;
                    return Number(d.sent) >= {expected} && d.sent === d.shown && d.state !== 'pending' ? d.state : null; }})()""",
                args.predict_timeout, f"the prediction for test image {index} ({strokes} strokes)")
            if state != "done":
                error = page.evaluate("document.getElementById('predict-error').textContent")
                raise TestFailure(f"test image {index}: the page shows an error instead of a digit: {error}")
            shown = page.evaluate("document.getElementById('digit').textContent.trim()")
            ink = page.evaluate("""(() => { const c = document.getElementById('input-preview');
                const d = c.getContext('2d').getImageData(0, 0, 28, 28).data; let n = 0;
                for (let i = 0; i < d.length; i += 4) if (d[i] > 127) n += 1; return n; })()""")
            confidence = page.evaluate("document.getElementById('confidence').textContent")
            ok = shown == str(label)
            correct += ok
            results.append(ok)
            print(f"test image {index}: label {label}, page shows {shown} ({confidence}), {strokes} {pointer_type} strokes, "
                  f"preview ink pixels {ink} -> {'ok' if ok else 'WRONG'}", flush=True)
            if not 20 <= ink <= 500:
                raise TestFailure(f"test image {index}: the 28x28 input preview has {ink} ink pixels; expected a drawn digit")

        page.screenshot(args.screenshot)
        print(f"screenshot: {args.screenshot}", flush=True)
        check_uploads(page, images, labels, index=indices[-1] + 1)

        pointer_types = set(page.evaluate("window.__probe.pointerTypes"))
        wanted = {POINTER_TYPES[i % len(POINTER_TYPES)] for i in range(len(indices))}
        if not wanted <= pointer_types:
            raise TestFailure(f"the page received pointer types {sorted(pointer_types)}, expected {sorted(wanted)}")
        csp = page.evaluate("window.__probe.csp")
        problems = page.problems() + [f"CSP violation: {v}" for v in csp]
        if args.train_screenshot:
            page.click("#tab-train")
            page.wait_for("document.getElementById('jobs').dataset.loaded === 'true'", 10, "the training view to list jobs")
            first = page.evaluate("document.querySelector('#jobs .job-item') ? true : false")
            if first:
                page.click("#jobs .job-item")
                page.wait_for("!document.getElementById('job-detail').hidden", 10, "the selected job's details")
                time.sleep(0.5)
            page.screenshot(args.train_screenshot)
            print(f"training view screenshot: {args.train_screenshot}", flush=True)
            problems += [p for p in page.problems() if p not in problems]
        if problems:
            raise TestFailure("the page reported problems:\n  " + "\n  ".join(problems))
        if correct < min_correct:
            raise TestFailure(f"{correct} of {len(indices)} digits read correctly; at least {min_correct} required")
        print(f"{correct} passed, {len(indices) - correct} failed")
    finally:
        browser.close()


def parse_indices(text, count):
    indices = []
    for part in text.split(","):
        if "-" in part:
            first, last = (int(x) for x in part.split("-"))
            indices.extend(range(first, last + 1))
        else:
            indices.append(int(part))
    if not indices or any(not 0 <= i < count for i in indices):
        raise TestFailure(f"--indices {text}: every index must be in 0..{count - 1}")
    return indices


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="base URL of the running service, e.g. http://127.0.0.1:8080")
    parser.add_argument("--mnist-dir", required=True, help="directory with t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz)")
    parser.add_argument("--screenshot", required=True, help="where to save a PNG screenshot of the page")
    parser.add_argument("--train-screenshot", help="also open the training view and save a screenshot of it here")
    parser.add_argument("--indices", default="0-4", help="MNIST test images to draw, e.g. 0-4 or 3,7,11 (default 0-4)")
    parser.add_argument("--min-correct", type=int, help="digits that must be read correctly (default: all)")
    parser.add_argument("--chromium", help="Chromium executable (default: chromium on PATH)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--predict-timeout", type=float, default=30, help="seconds to wait for each digit's prediction")
    parser.add_argument("--timeout", type=float, default=300, help="seconds the whole run may take")
    args = parser.parse_args()

    def out_of_time(*_):
        raise TestFailure(f"the browser test did not finish within --timeout {args.timeout} s")
    signal.signal(signal.SIGALRM, out_of_time)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    try:
        run(args)
    except TestFailure as failure:
        print(f"browser test FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


if __name__ == "__main__":
    main()
