#!/usr/bin/env bash
# KServe v2 inference against /predict (issue 14): requests/s of
# `POST /v2/models/mnist-cnn/infer` with the binary tensor data extension (one UINT8 image,
# the JSON header tritonclient sends, the probabilities asked for in binary) against
# `POST /predict` with the same digit as 784 raw bytes, on one release server, measured in
# alternating rounds so both sides see the same machine load. Target: the protocol path within
# 80 % of /predict (median of the rounds) at every connection count. Exit status 1 if missed.
#
#   MNIST_DIR=/path/to/mnist scripts/bench-kserve.sh
#
# Environment:
#   MNIST_DIR           the MNIST directory (t10k-images-idx3-ubyte, plain or .gz); required
#   MODEL               model file (models/mnist-cnn.safetensors)
#   MNIST_CNN_BIN       a built mnist-cnn (default .build/release/mnist-cnn)
#   BENCH_PORT (18091)  WRK_THREADS (1)  WRK_DURATION (5s)  ROUNDS (3)  CONNECTION_COUNTS ("1 32")
#
# Needs wrk and curl (Debian: apt-get install -y wrk curl).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
MODEL="${MODEL:-$repo/models/mnist-cnn.safetensors}"
MNIST_CNN_BIN="${MNIST_CNN_BIN:-$repo/.build/release/mnist-cnn}"
BENCH_PORT="${BENCH_PORT:-18091}"
WRK_THREADS="${WRK_THREADS:-1}"
WRK_DURATION="${WRK_DURATION:-5s}"
ROUNDS="${ROUNDS:-3}"
CONNECTION_COUNTS="${CONNECTION_COUNTS:-1 32}"

for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 1; }
done
[ -n "${MNIST_DIR:-}" ] || { echo "error: set MNIST_DIR to the MNIST directory" >&2; exit 1; }
[ -x "$MNIST_CNN_BIN" ] || { echo "error: no mnist-cnn at $MNIST_CNN_BIN (swift build -c release --product mnist-cnn)" >&2; exit 1; }

work="$(mktemp -d /tmp/bench-kserve.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The first test digit, raw, and the same digit as a KServe binary request body.
python3 - "$MNIST_DIR" "$work" <<'PYTHON'
import gzip, json, os, sys
directory, work = sys.argv[1], sys.argv[2]
path = os.path.join(directory, "t10k-images-idx3-ubyte")
data = open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz", "rb").read()
digit = data[16:16 + 784]
open(os.path.join(work, "digit.bin"), "wb").write(digit)
header = json.dumps({"inputs": [{"name": "image", "shape": [1, 28, 28], "datatype": "UINT8",
                                 "parameters": {"binary_data_size": 784}}],
                     "outputs": [{"name": "probabilities", "parameters": {"binary_data": True}},
                                 {"name": "digit", "parameters": {"binary_data": True}}]}).encode()
open(os.path.join(work, "infer.bin"), "wb").write(header + digit)
open(os.path.join(work, "infer.length"), "w").write(str(len(header)))
PYTHON

cat > "$work/predict.lua" <<LUA
local file = assert(io.open("$work/digit.bin", "rb"))
wrk.method = "POST"
wrk.body = file:read("*all")
file:close()
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
cat > "$work/infer.lua" <<LUA
local file = assert(io.open("$work/infer.bin", "rb"))
wrk.method = "POST"
wrk.body = file:read("*all")
file:close()
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Inference-Header-Content-Length"] = "$(cat "$work/infer.length")"
LUA

url="http://127.0.0.1:$BENCH_PORT"
"$MNIST_CNN_BIN" serve --host 127.0.0.1 --port "$BENCH_PORT" --model "$MODEL" --state-dir "$work/state" \
    --log-level warning 2>>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$url/readyz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "error: the server exited" >&2; exit 1; }
    sleep 0.05
done
# Both requests must be answered 200 before anything is measured.
curl -fsS -o /dev/null -X POST -H "Content-Type: application/octet-stream" --data-binary "@$work/digit.bin" "$url/predict"
curl -fsS -o /dev/null -X POST -H "Content-Type: application/octet-stream" \
    -H "Inference-Header-Content-Length: $(cat "$work/infer.length")" --data-binary "@$work/infer.bin" "$url/v2/models/mnist-cnn/infer"

# measure SCRIPT PATH CONNECTIONS: prints requests/s; fails on any non-2xx answer.
measure() {
    local output threads
    threads=$(( WRK_THREADS < $3 ? WRK_THREADS : $3 ))
    output="$(wrk -t"$threads" -c"$3" -d"$WRK_DURATION" -s "$work/$1" "$url$2")"
    echo "$output" >> "$work/wrk.log"
    if grep -q 'Non-2xx or 3xx responses' <<< "$output"; then
        echo "error: non-2xx answers from $2:" >&2
        echo "$output" >&2
        exit 1
    fi
    awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<< "$output"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "== requests/s, one digit per request, wrk -t$WRK_THREADS -d$WRK_DURATION, $ROUNDS alternating rounds"
printf '%12s %26s %26s %8s\n' connections "/predict (raw bytes)" "/v2/.../infer (binary)" ratio
failed=0
for connections in $CONNECTION_COUNTS; do
    predict=""
    infer=""
    for _ in $(seq 1 "$ROUNDS"); do
        predict="$predict $(measure predict.lua /predict "$connections")"
        infer="$infer $(measure infer.lua /v2/models/mnist-cnn/infer "$connections")"
    done
    p=$(echo "$predict" | median)
    k=$(echo "$infer" | median)
    ratio=$(awk -v k="$k" -v p="$p" 'BEGIN {printf "%.2f", k / p}')
    printf '%12s %26s %26s %8s\n' "$connections" "$p ($(echo $predict | tr ' ' '/'))" "$k ($(echo $infer | tr ' ' '/'))" "$ratio"
    awk -v r="$ratio" 'BEGIN {exit !(r >= 0.8)}' || failed=1
done
[ "$failed" = 0 ] && echo "target: KServe binary within 80 % of /predict: PASS" || echo "target: KServe binary within 80 % of /predict: FAIL"
exit "$failed"
