#!/usr/bin/env bash
# Where a lone /predict request's instructions go (issue 15): `mnist-cnn serve` under
# `valgrind --tool=callgrind`, one keep-alive connection posting one MNIST test digit as 784
# raw bytes; counting starts after a warm-up, so the figures are per request in steady state.
# Instruction counts do not depend on the machine's load, so two binaries compare exactly.
#
#   MNIST_DIR=/path/to/mnist scripts/profile-predict.sh [mnist-cnn binary]
#
# Prints the instructions per request of the whole process and of the functions that make up
# the request path (inclusive: each with what it calls), and leaves the callgrind output at
# $PROFILE_OUT for callgrind_annotate.
#
# Environment: MNIST_DIR (required), MODEL (models/mnist-cnn.safetensors), REQUESTS (200),
# WARMUP (20), PROFILE_PORT (18093), PROFILE_OUT (/tmp/callgrind.predict.out).
# Needs valgrind and python3 (Debian: apt-get install -y valgrind python3).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
binary="${1:-$repo/.build/release/mnist-cnn}"
MODEL="${MODEL:-$repo/models/mnist-cnn.safetensors}"
REQUESTS="${REQUESTS:-200}"
WARMUP="${WARMUP:-20}"
PROFILE_PORT="${PROFILE_PORT:-18093}"
PROFILE_OUT="${PROFILE_OUT:-/tmp/callgrind.predict.out}"

[ -n "${MNIST_DIR:-}" ] || { echo "error: set MNIST_DIR to the MNIST directory" >&2; exit 1; }
[ -x "$binary" ] || { echo "error: no mnist-cnn at $binary (swift build -c release)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "error: valgrind is not installed (apt-get install -y valgrind)" >&2; exit 1; }

work="$(mktemp -d /tmp/profile-predict.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

images="$MNIST_DIR/t10k-images-idx3-ubyte"
if [ -f "$images" ]; then cat "$images"; else gzip -dc "$images.gz"; fi | head -c $((16 + 784)) | tail -c 784 > "$work/digit.bin" || true

# Debian's valgrind 3.19 gives up on this toolchain's DWARF ("possibly corrupted debuginfo"):
# it profiles a copy without debug info, whose symbol table still names every function.
objcopy --strip-debug "$binary" "$work/mnist-cnn"

# The process's own log goes to a file: its access line is part of what is counted.
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$PROFILE_OUT" \
    "$work/mnist-cnn" serve --host 127.0.0.1 --port "$PROFILE_PORT" --model "$MODEL" --state-dir "$work/state" \
    2>"$work/server.log" &
server_pid=$!

python3 - "$PROFILE_PORT" "$work/digit.bin" "$WARMUP" "$REQUESTS" "$server_pid" <<'PY'
import http.client, subprocess, sys, time
port, digit, warmup, requests, pid = int(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
for _ in range(900):
    try:
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        probe.request("GET", "/readyz")
        ready = probe.getresponse().status == 200
        probe.close()  # one client only: with more connected, lone images are not run inline
        if ready:
            break
    except OSError:
        pass
    time.sleep(0.2)
else:
    sys.exit("error: the server never became ready under valgrind")
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
def post():
    connection.request("POST", "/predict", body=digit, headers={"Content-Type": "application/octet-stream"})
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status
for _ in range(warmup):
    post()
time.sleep(0.5)  # the access-log thread writes the warm-up's lines before counting starts
subprocess.run(["callgrind_control", "-i", "on", pid], check=True, stdout=subprocess.DEVNULL)
for _ in range(requests):
    post()
time.sleep(0.5)  # ... and the counted requests' lines before it stops
subprocess.run(["callgrind_control", "-i", "off", pid], check=True, stdout=subprocess.DEVNULL)
subprocess.run(["callgrind_control", "-d", pid], check=True, stdout=subprocess.DEVNULL)
PY
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

dump="$(ls -t "$PROFILE_OUT".* | head -1)"
# Demangled when the toolchain's `swift demangle` is there (it is wherever the binary was built).
if command -v swift >/dev/null; then
    callgrind_annotate --inclusive=yes --threshold=100 "$dump" | swift demangle --simplified > "$work/annotate.txt"
else
    callgrind_annotate --inclusive=yes --threshold=100 "$dump" > "$work/annotate.txt"
fi
total="$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$work/annotate.txt")"
echo "instructions per request (whole process, $REQUESTS requests): $((total / REQUESTS))"
echo
echo "inclusive instructions per request (each function with what it calls) on the request path:"
grep -E 'EventLoop\.run|HTTPConnection\.(readInput|dispatch|complete)|HTTPRequestParser\.|PredictRoutes\.|MNISTNormalizer\.normalize|InferenceBatcher\.(submit|process)|Network\.predict|ServiceMetrics\.|AccessLogLines\.|HTTPResponse\.' \
    "$work/annotate.txt" | grep -v 'partial apply\|protocol witness' \
    | awk -v n="$REQUESTS" '{count = $1; gsub(",", "", count); line = $0
                            sub(/^ *[0-9,]+ *\( *[0-9.]+%\) */, "", line); sub(/^[?]+:/, "", line); sub(/ \[.*$/, "", line)
                            printf "%10d  %s\n", count / n, line}'
echo
echo "(callgrind output: $dump; callgrind_annotate --inclusive=yes $dump)"
