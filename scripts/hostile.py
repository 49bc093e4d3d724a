#!/usr/bin/env python3
"""Hostile traffic against a local mnist-cnn server (issue 11), standard library only.

Two roles, run as separate processes so the attackers' threads cannot delay the
measurement through Python's GIL:

  hostile.py client --port P --seconds S --out F
      The well-behaved client: one keep-alive connection, POST /predict of a 28x28 PNG every
      50 ms; writes {"sent", "ok", "failures", "p50_ms", "p99_ms", "max_ms"} to F.

  hostile.py attack --port P --seconds S
      Every attack at once, for S seconds: PNG bombs in JSON batches (1, 8, 64, 256 images,
      four requests at once), a 2-million-element JSON array, 100,000-deep JSON nesting, 20
      slow 16 MiB bodies, 20 clients pipelining requests without reading the answers, 2,000
      idle connections and a slowloris crowd. Prints what each attack saw (statuses, resets).

Traffic goes to 127.0.0.1 only, and every loop ends at the deadline.
"""
import argparse
import base64
import collections
import json
import resource
import socket
import struct
import sys
import threading
import time
import zlib

HOST = "127.0.0.1"


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, bit_depth, rows):
    """A gray PNG of already-filtered `rows` (each starting with its filter byte)."""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


# The bomb of issue 11: about 2 KB declaring 4096x4096 1-bit pixels (all black).
BOMB = png(4096, 4096, 1, bytes(4096 * (1 + 4096 // 8)))


def digit_png():
    """A 28x28 8-bit gray PNG of a vertical stroke, dark ink on white paper."""
    rows = bytearray()
    for y in range(28):
        rows.append(0)
        rows.extend(0 if 4 <= y <= 23 and 12 <= x <= 15 else 255 for x in range(28))
    return png(28, 28, 8, bytes(rows))


def request(method, path, body=b"", content_type="application/json", keep_alive=True):
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n"
    if body or method == "POST":
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    if not keep_alive:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


def read_response(sock):
    """(status, body) of one response, read by Content-Length; raises on a closed socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            raise ConnectionError("closed before a response")
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        more = sock.recv(65536)
        if not more:
            raise ConnectionError("closed inside a response body")
        rest += more
    return status, rest[:length]


def connect(timeout=30):
    sock = socket.create_connection((HOST, ARGS.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Tally:
    """Thread-safe counts of what an attack saw."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def __str__(self):
        with self.lock:
            return ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items(), key=lambda kv: str(kv[0]))) or "nothing"


def until(deadline):
    return time.monotonic() < deadline


def one_shot(tally, body, deadline, timeout=30):
    """Sends one request on a fresh connection and tallies its status or how it failed."""
    try:
        sock = connect(timeout=max(1, min(timeout, deadline - time.monotonic() + 5)))
        try:
            sock.sendall(request("POST", "/predict", body, keep_alive=False))
            status, _ = read_response(sock)
            tally.add(status)
        finally:
            sock.close()
    except (OSError, ConnectionError) as error:
        tally.add(type(error).__name__)
        time.sleep(0.1)


def bombs(deadline, tallies):
    """Rounds of four concurrent JSON batches of 1, 8, 64 and 256 bombs."""
    encoded = base64.b64encode(BOMB).decode()
    bodies = {n: json.dumps({"images": [encoded] * n}).encode() for n in (1, 8, 64, 256)}
    while until(deadline):
        for n, body in bodies.items():
            if not until(deadline):
                break
            threads = [threading.Thread(target=one_shot, args=(tallies[f"bombs x{n}"], body, deadline)) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()


def huge_json(deadline, tally):
    """A 2-million-element array, again and again."""
    body = b'{"images":[' + b"0," * 1_999_999 + b"0]}"
    while until(deadline):
        one_shot(tally, body, deadline)
        time.sleep(0.5)


def deep_json(deadline, tally):
    """100,000 levels of nesting, again and again."""
    body = b'{"images":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    while until(deadline):
        one_shot(tally, body, deadline)
        time.sleep(0.5)


def slow_body(deadline, tally, path):
    """Headers of a 16 MiB body, most of the body at once, then a byte a second."""
    total = 16 << 20
    while until(deadline):
        try:
            sock = connect(timeout=10)
            sock.sendall(request("POST", path, b"").replace(b"Content-Length: 0", f"Content-Length: {total}".encode()))
            sent = 0
            block = b"A" * 65536
            while sent < total - (1 << 20) and until(deadline):
                sock.sendall(block)
                sent += len(block)
            tally.add("bodies mostly sent")
            while until(deadline):
                sock.sendall(b"A")
                time.sleep(1)
            sock.close()
        except (OSError, ConnectionError) as error:
            tally.add(f"closed by server ({type(error).__name__})")
            time.sleep(0.2)


def pipeliner(deadline, tally):
    """Pipelines requests as fast as the socket takes them and never reads an answer."""
    burst = request("GET", "/healthz") * 256
    while until(deadline):
        try:
            sock = connect(timeout=10)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(2)
            while until(deadline):
                sock.sendall(burst)
                tally.add("bursts sent")
        except socket.timeout:
            tally.add("send blocked (server stopped reading)")
            # Hold the connection, unread, until the server closes it or time is up.
            try:
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                while until(deadline):
                    sock.sendall(burst)
            except (OSError, ConnectionError) as error:
                tally.add(f"closed by server ({type(error).__name__})")
        except (OSError, ConnectionError) as error:
            tally.add(f"closed by server ({type(error).__name__})")
            time.sleep(0.2)


def idle(deadline, tally, count):
    """`count` connections that never send a byte; reopened when the server closes them."""
    socks = []
    for _ in range(count):
        try:
            socks.append(connect(timeout=5))
        except OSError as error:
            tally.add(f"connect failed ({type(error).__name__})")
    tally.add("opened", len(socks))
    while until(deadline):
        time.sleep(1)
    for sock in socks:
        sock.close()


def slowloris(deadline, tally, count):
    """`count` connections sending a header line every 2 s and never finishing the head."""
    socks = []
    while until(deadline):
        while len(socks) < count and until(deadline):
            try:
                sock = connect(timeout=5)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                socks.append(sock)
                tally.add("opened")
            except OSError as error:
                tally.add(f"connect failed ({type(error).__name__})")
                break
        alive = []
        for sock in socks:
            try:
                sock.sendall(b"X-Slow: 1\r\n")
                alive.append(sock)
            except OSError:
                tally.add("closed by server")
                sock.close()
        socks = alive
        time.sleep(2)
    for sock in socks:
        sock.close()


def attack():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    deadline = time.monotonic() + ARGS.seconds
    tallies = collections.defaultdict(Tally)
    skip = set(ARGS.skip.split(",")) if ARGS.skip else set()
    unknown = skip - {"bombs", "arrays", "nesting", "idle", "slowloris", "slow-bodies", "pipelining"}
    if unknown:
        sys.exit(f"hostile.py: unknown attacks to skip: {', '.join(sorted(unknown))}")
    jobs = []
    if "bombs" not in skip:
        jobs.append(threading.Thread(target=bombs, args=(deadline, tallies)))
    if "arrays" not in skip:
        jobs.append(threading.Thread(target=huge_json, args=(deadline, tallies["2-million-element array"])))
    if "nesting" not in skip:
        jobs.append(threading.Thread(target=deep_json, args=(deadline, tallies["100,000-deep nesting"])))
    if "idle" not in skip:
        jobs.append(threading.Thread(target=idle, args=(deadline, tallies["idle connections"], 2000)))
    if "slowloris" not in skip:
        jobs.append(threading.Thread(target=slowloris, args=(deadline, tallies["slowloris"], 200)))
    for index in range(20):
        path = "/predict" if index % 2 == 0 else "/healthz"
        if "slow-bodies" not in skip:
            jobs.append(threading.Thread(target=slow_body, args=(deadline, tallies[f"slow 16 MiB bodies to {path}"], path)))
        if "pipelining" not in skip:
            jobs.append(threading.Thread(target=pipeliner, args=(deadline, tallies["pipelining without reading"])))
    for job in jobs:
        job.daemon = True
        job.start()
    for job in jobs:
        job.join(timeout=max(0, deadline - time.monotonic()) + 15)
    for name in sorted(tallies):
        print(f"  attack {name}: {tallies[name]}")


def client():
    interval = 0.05
    deadline = time.monotonic() + ARGS.seconds
    latencies, failures = [], collections.Counter()
    sock = None
    sent = 0
    next_at = time.monotonic()
    while until(deadline):
        next_at += interval
        sent += 1
        started = time.monotonic()
        try:
            if sock is None:
                sock = connect(timeout=5)
            sock.sendall(request("POST", "/predict", DIGIT, content_type="image/png"))
            status, body = read_response(sock)
            if status == 200 and b'"digit":1' in body:
                latencies.append((time.monotonic() - started) * 1000)
            else:
                failures[f"status {status}: {body[:120]!r}"] += 1
        except (OSError, ConnectionError) as error:
            failures[type(error).__name__] += 1
            if sock is not None:
                sock.close()
            sock = None
        time.sleep(max(0, next_at - time.monotonic()))
    latencies.sort()

    def percentile(p):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 2) if latencies else None
    result = {"sent": sent, "ok": len(latencies), "failures": dict(failures),
              "p50_ms": percentile(0.50), "p99_ms": percentile(0.99), "max_ms": latencies[-1] if latencies else None}
    with open(ARGS.out, "w") as out:
        json.dump(result, out)


DIGIT = digit_png()

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["attack", "client"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--out", default="/dev/stdout")
    parser.add_argument("--skip", default="", help="attack: comma-separated attacks to leave out (for diagnosis): "
                        "bombs, arrays, nesting, idle, slowloris, slow-bodies, pipelining")
    ARGS = parser.parse_args()
    attack() if ARGS.role == "attack" else client()
    sys.stdout.flush()
