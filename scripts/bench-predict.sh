#!/usr/bin/env bash
# /predict load benchmark (issue 4): wrk posting one real MNIST test digit as 784 raw bytes
# (application/octet-stream) to `mnist-cnn serve` on loopback.
#
#   MNIST_DIR=/path/to/mnist scripts/bench-predict.sh
#
# 1. Default batching (--max-batch-size 64, --max-queue-delay-us 0) at 1, 8, 32 and 128
#    connections: requests/s and p50/p90/p99 latency.
# 2. The batching trade-off at 32 connections: --max-batch-size {1, 16, 64} x
#    --max-queue-delay-us {0, 200, 1000}, with the mean batch size the server reports.
#
# Targets (issue 4; FastAPI + ONNX Runtime measured here: 5,500 req/s, p50 0.17 ms at one
# connection, 5,800 req/s and p99 9.3 ms at 32): one connection p50 <= 0.1 ms; 32
# connections >= 27,500 req/s (5x) with p99 <= 5 ms. Exit status 1 when a target is missed.
#
# Environment:
#   MNIST_DIR           the MNIST directory (t10k-images-idx3-ubyte, plain or .gz); required
#   BENCH_DIGIT         index of the test digit to send (0)
#   MODEL               model file (models/mnist-cnn.safetensors)
#   MNIST_CNN_BIN       a built mnist-cnn; default: build release into BENCH_SCRATCH_PATH
#   BENCH_SCRATCH_PATH  SwiftPM scratch path for that build (.build-bench)
#   BENCH_PORT (18090)  WRK_THREADS (1)  WRK_DURATION (10s)
#   CONNECTION_COUNTS ("1 8 32 128")  BATCH_SIZES ("1 16 64")  QUEUE_DELAYS ("0 200 1000")
#
# Needs wrk and curl (Debian: apt-get install -y wrk curl). The machine should be otherwise
# idle: wrk and the server share its cores.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_DIGIT="${BENCH_DIGIT:-0}"
MODEL="${MODEL:-$repo/models/mnist-cnn.safetensors}"
BENCH_SCRATCH_PATH="${BENCH_SCRATCH_PATH:-$repo/.build-bench}"
BENCH_PORT="${BENCH_PORT:-18090}"
WRK_THREADS="${WRK_THREADS:-1}"
WRK_DURATION="${WRK_DURATION:-10s}"
CONNECTION_COUNTS="${CONNECTION_COUNTS:-1 8 32 128}"
BATCH_SIZES="${BATCH_SIZES:-1 16 64}"
QUEUE_DELAYS="${QUEUE_DELAYS:-0 200 1000}"

for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "error: $tool is not installed (apt-get install -y wrk curl)" >&2; exit 1; }
done
[ -n "${MNIST_DIR:-}" ] || { echo "error: set MNIST_DIR to the MNIST directory" >&2; exit 1; }
[ -f "$MODEL" ] || { echo "error: no model at $MODEL (set MODEL)" >&2; exit 1; }

work="$(mktemp -d /tmp/bench-predict.XXXXXX)"
server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT

# The digit: 784 bytes at offset 16 + 784 * index of the IDX image file.
images="$MNIST_DIR/t10k-images-idx3-ubyte"
if [ -f "$images" ]; then
    cat "$images"
elif [ -f "$images.gz" ]; then
    gzip -dc "$images.gz"
else
    echo "error: neither $images nor $images.gz exists" >&2
    exit 1
fi | tail -c +$((17 + 784 * BENCH_DIGIT)) | head -c 784 > "$work/digit.bin" || true  # head closing early is SIGPIPE upstream
[ "$(wc -c < "$work/digit.bin")" -eq 784 ] || { echo "error: could not read digit $BENCH_DIGIT" >&2; exit 1; }

cat > "$work/predict.lua" <<LUA
-- POST the digit as 784 raw bytes (binary-safe: Lua strings hold any bytes).
local file = assert(io.open("$work/digit.bin", "rb"))
wrk.method = "POST"
wrk.body = file:read("*all")
file:close()
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

if [ -z "${MNIST_CNN_BIN:-}" ]; then
    echo "building mnist-cnn (release) in $BENCH_SCRATCH_PATH ..." >&2
    (cd "$repo" && swift build -c release --scratch-path "$BENCH_SCRATCH_PATH" --product mnist-cnn >&2)
    MNIST_CNN_BIN="$BENCH_SCRATCH_PATH/release/mnist-cnn"
fi
url="http://127.0.0.1:$BENCH_PORT"

# start_server BATCH DELAY: serves the model with those batching knobs, waits for /readyz.
start_server() {
    "$MNIST_CNN_BIN" serve --host 127.0.0.1 --port "$BENCH_PORT" --model "$MODEL" --state-dir "$work/state" \
        --log-level warning --max-batch-size "$1" --max-queue-delay-us "$2" 2>>"$work/server.log" &
    server_pid=$!
    for _ in $(seq 1 200); do
        curl -fsS -o /dev/null "$url/readyz" 2>/dev/null && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "error: the server exited" >&2; exit 1; }
        sleep 0.05
    done
    curl -fsS -o /dev/null "$url/readyz" || { echo "error: the server never became ready" >&2; exit 1; }
    # One real request first: the benchmark only counts if the digit is answered 200.
    curl -fsS -X POST -H "Content-Type: application/octet-stream" --data-binary "@$work/digit.bin" "$url/predict" \
        > "$work/answer.json" || { echo "error: /predict refused the digit" >&2; exit 1; }
}

# wrk prints latencies as 812.00us, 1.23ms or 2.01s; this prints milliseconds.
to_ms() {
    awk '/us$/ {sub("us","",$1); printf "%.3f", $1/1000; next}
         /ms$/ {sub("ms","",$1); printf "%.3f", $1; next}
         /s$/  {sub("s","",$1);  printf "%.3f", $1*1000}' <<< "$1"
}

# measure CONNECTIONS: prints "requests/s p50 p90 p99 non2xx" (latencies in ms).
measure() {
    local output threads
    threads=$(( WRK_THREADS < $1 ? WRK_THREADS : $1 ))
    output="$(wrk -t"$threads" -c"$1" -d"$WRK_DURATION" --latency -s "$work/predict.lua" "$url/predict")"
    echo "$output" >> "$work/wrk.log"
    local rps p50 p90 p99 errors
    rps="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<< "$output")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<< "$output")")"
    p90="$(to_ms "$(awk '$1 == "90%" {print $2}' <<< "$output")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<< "$output")")"
    errors="$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<< "$output")"
    echo "$rps $p50 $p90 $p99 ${errors:-0}"
}

# The mean images per forward pass since the server started, from /metrics.
mean_batch() {
    curl -fsS "$url/metrics" | awk '
        /^mnist_inference_batch_size_sum/   {sum = $NF}
        /^mnist_inference_batch_size_count/ {count = $NF}
        END {if (count > 0) printf "%.1f", sum / count; else print "-"}'
}

echo
echo "== /predict, 784 raw bytes, default batching (max batch 64, delay 0 us), wrk -t$WRK_THREADS -d$WRK_DURATION"
printf '%12s %12s %9s %9s %9s %8s\n' connections requests/s "p50 ms" "p90 ms" "p99 ms" non-2xx
start_server 64 0
echo "   (digit test[$BENCH_DIGIT], answered $(head -c 40 "$work/answer.json")...)"
failed=0
for connections in $CONNECTION_COUNTS; do
    read -r rps p50 p90 p99 errors < <(measure "$connections")
    printf '%12s %12s %9s %9s %9s %8s\n' "$connections" "$rps" "$p50" "$p90" "$p99" "$errors"
    [ "$errors" = 0 ] || failed=1
    if [ "$connections" = 1 ]; then
        awk -v p="$p50" 'BEGIN {exit !(p <= 0.1)}' && echo "  target 1 connection p50 <= 0.1 ms: PASS" \
            || { echo "  target 1 connection p50 <= 0.1 ms: FAIL"; failed=1; }
    fi
    if [ "$connections" = 32 ]; then
        awk -v r="$rps" -v p="$p99" 'BEGIN {exit !(r >= 27500 && p <= 5)}' \
            && echo "  target 32 connections >= 27,500 req/s, p99 <= 5 ms: PASS" \
            || { echo "  target 32 connections >= 27,500 req/s, p99 <= 5 ms: FAIL"; failed=1; }
    fi
done
stop_server

echo
echo "== batching trade-off at 32 connections"
printf '%10s %10s %12s %9s %9s %9s %11s\n' max-batch delay-us requests/s "p50 ms" "p90 ms" "p99 ms" "mean batch"
for batch in $BATCH_SIZES; do
    for delay in $QUEUE_DELAYS; do
        start_server "$batch" "$delay"
        read -r rps p50 p90 p99 errors < <(measure 32)
        printf '%10s %10s %12s %9s %9s %9s %11s\n' "$batch" "$delay" "$rps" "$p50" "$p90" "$p99" "$(mean_batch)"
        [ "$errors" = 0 ] || { echo "  $errors non-2xx responses"; failed=1; }
        stop_server
    done
done
exit "$failed"
