#!/usr/bin/env bash
# /predict load benchmark (issues 4 and 15): wrk posting one real MNIST test digit as 784 raw
# bytes (application/octet-stream) to `mnist-cnn serve` on loopback, and to FastAPI + uvicorn +
# ONNX Runtime serving the same model file (scripts/predict-fastapi.py) in the same run.
#
#   MNIST_DIR=/path/to/mnist scripts/bench-predict.sh
#
# 1. `mnist-cnn bench` on the model's architecture: the single-image forward median (one thread),
#    the floor a one-connection round trip is measured against, and the same pass split over
#    two threads as the service runs a lone request.
# 2. Both servers at their default settings and logging, at 1, 8, 32 and 128 connections, the
#    two measured back to back at each count: requests/s, p50 and p99, and the ratios.
# 3. The batching trade-off at 32 connections: --max-batch-size {1, 16, 64} x
#    --max-queue-delay-us {0, 200, 1000}, with the mean batch size the server reports
#    (skipped with BATCH_SIZES="").
#
# Targets (issue 15): at 32 connections >= 5x FastAPI + ORT's requests/s with p99 <= 5 ms and
# no errors; one-connection p50 <= 1/3 of FastAPI + ORT's and within 40 us of the bench
# median. Exit status 1 when a target is missed.
#
# Environment:
#   MNIST_DIR           the MNIST directory (t10k-images-idx3-ubyte, plain or .gz); required
#   BENCH_DIGIT         index of the test digit to send (0)
#   MODEL               model file (models/mnist-cnn.safetensors)
#   MNIST_CNN_BIN       a built mnist-cnn; default: build release into BENCH_SCRATCH_PATH
#   BENCH_SCRATCH_PATH  SwiftPM scratch path for that build (.build-bench)
#   SERVE_ARGS          extra `mnist-cnn serve` arguments for step 2 (e.g. "--precision fp32")
#   FASTAPI_PYTHON      a python with fastapi, uvicorn, onnx, onnxruntime, numpy, safetensors;
#                       unset: step 2 measures mnist-cnn alone
#   BENCH_PORT (18090)  FASTAPI_PORT (18091)  WRK_THREADS (1)  WRK_DURATION (10s)
#   IDLE_CONNECTIONS    keep-alive connections held open and idle to mnist-cnn beside wrk's, each
#                       after one GET /healthz, as a Prometheus scraper's between scrapes (0)
#   CONNECTION_COUNTS ("1 8 32 128")  BATCH_SIZES ("1 16 64")  QUEUE_DELAYS ("0 200 1000")
#
# Needs wrk and curl (Debian: apt-get install -y wrk curl). The machine should be otherwise
# idle: wrk and the servers share its cores.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_DIGIT="${BENCH_DIGIT:-0}"
MODEL="${MODEL:-$repo/models/mnist-cnn.safetensors}"
BENCH_SCRATCH_PATH="${BENCH_SCRATCH_PATH:-$repo/.build-bench}"
BENCH_PORT="${BENCH_PORT:-18090}"
FASTAPI_PORT="${FASTAPI_PORT:-18091}"
SERVE_ARGS="${SERVE_ARGS:-}"
WRK_THREADS="${WRK_THREADS:-1}"
WRK_DURATION="${WRK_DURATION:-10s}"
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-0}"
CONNECTION_COUNTS="${CONNECTION_COUNTS:-1 8 32 128}"
BATCH_SIZES="${BATCH_SIZES-1 16 64}"
QUEUE_DELAYS="${QUEUE_DELAYS:-0 200 1000}"

for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "error: $tool is not installed (apt-get install -y wrk curl)" >&2; exit 1; }
done
[ -n "${MNIST_DIR:-}" ] || { echo "error: set MNIST_DIR to the MNIST directory" >&2; exit 1; }
[ -f "$MODEL" ] || { echo "error: no model at $MODEL (set MODEL)" >&2; exit 1; }

work="$(mktemp -d /tmp/bench-predict.XXXXXX)"
server_pid=""
fastapi_pid=""
idle_fds=()
stop_server() {
    for fd in "${idle_fds[@]}"; do exec {fd}>&-; done
    idle_fds=()
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
stop_fastapi() {
    if [ -n "$fastapi_pid" ]; then
        kill "$fastapi_pid" 2>/dev/null || true
        wait "$fastapi_pid" 2>/dev/null || true
        fastapi_pid=""
    fi
}
cleanup() {
    stop_server
    stop_fastapi
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
fastapi_url="http://127.0.0.1:$FASTAPI_PORT"

# start_server ARGS...: serves the model with those extra arguments, waits for /readyz.
start_server() {
    "$MNIST_CNN_BIN" serve --host 127.0.0.1 --port "$BENCH_PORT" --model "$MODEL" --state-dir "$work/state" \
        "$@" 2>>"$work/server.log" &
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
    local fd
    for _ in $(seq 1 "$IDLE_CONNECTIONS"); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$BENCH_PORT"
        printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&"$fd"
        idle_fds+=("$fd")
    done
}

# start_fastapi: FastAPI + uvicorn + ONNX Runtime on FASTAPI_PORT, its access log to a file.
start_fastapi() {
    MODEL="$MODEL" "$FASTAPI_PYTHON" "$repo/scripts/predict-fastapi.py" --port "$FASTAPI_PORT" >>"$work/fastapi.log" 2>&1 &
    fastapi_pid=$!
    for _ in $(seq 1 400); do
        curl -fsS -o /dev/null -X POST --data-binary "@$work/digit.bin" "$fastapi_url/predict" 2>/dev/null && return
        kill -0 "$fastapi_pid" 2>/dev/null || { cat "$work/fastapi.log" >&2; echo "error: FastAPI exited" >&2; exit 1; }
        sleep 0.05
    done
    echo "error: FastAPI never answered /predict" >&2
    exit 1
}

# wrk prints latencies as 812.00us, 1.23ms or 2.01s; this prints milliseconds.
to_ms() {
    awk '/us$/ {sub("us","",$1); printf "%.3f", $1/1000; next}
         /ms$/ {sub("ms","",$1); printf "%.3f", $1; next}
         /s$/  {sub("s","",$1);  printf "%.3f", $1*1000}' <<< "$1"
}

# measure CONNECTIONS [BASE_URL]: prints "requests/s p50 p90 p99 errors" (latencies in ms;
# errors counts non-2xx answers and socket errors).
measure() {
    local output threads
    threads=$(( WRK_THREADS < $1 ? WRK_THREADS : $1 ))
    output="$(wrk -t"$threads" -c"$1" -d"$WRK_DURATION" --latency -s "$work/predict.lua" "${2:-$url}/predict")"
    echo "$output" >> "$work/wrk.log"
    local rps p50 p90 p99 errors
    rps="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<< "$output")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<< "$output")")"
    p90="$(to_ms "$(awk '$1 == "90%" {print $2}' <<< "$output")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<< "$output")")"
    errors="$(awk '/Non-2xx or 3xx responses:/ {n += $5}
                   /Socket errors:/ {for (i = 4; i <= NF; i += 2) {v = $i; sub(",", "", v); n += v}}
                   END {print n + 0}' <<< "$output")"
    echo "$rps $p50 $p90 $p99 $errors"
}

# The mean images per forward pass since the server started, from /metrics.
mean_batch() {
    curl -fsS "$url/metrics" | awk '
        /^mnist_inference_batch_size_sum/   {sum = $NF}
        /^mnist_inference_batch_size_count/ {count = $NF}
        END {if (count > 0) printf "%.1f", sum / count; else print "-"}'
}

failed=0
echo
echo "== mnist-cnn bench --arch mnist-bn --precision int8 (single image, one thread)"
bench_json="$("$MNIST_CNN_BIN" bench --arch mnist-bn --precision int8 --seconds 2 --json)"
# The int8 figures are an object inside the report: its median is the first, fp32's the last.
bench_int8_us="$(grep -o '"single_image_us_median":[0-9.]*' <<< "$bench_json" | head -1 | cut -d: -f2)"
bench_fp32_us="$(grep -o '"single_image_us_median":[0-9.]*' <<< "$bench_json" | tail -1 | cut -d: -f2)"
# The fp32 pass split over two threads, as the service runs a lone request (absent on one core).
bench_split_us="$(grep -o '"single_image_split_us_median":[0-9.]*' <<< "$bench_json" | cut -d: -f2)"
printf '   forward pass median: fp32 %.1f us (split over two threads: %s us), int8 %.1f us\n' \
    "$bench_fp32_us" "$(printf '%.1f' "${bench_split_us:-0}" | sed 's/^0.0$/-/')" "$bench_int8_us"

echo
echo "== /predict, 784 raw bytes, default settings and logging${SERVE_ARGS:+ (+ $SERVE_ARGS)}, wrk -t$WRK_THREADS -d$WRK_DURATION\
$([ "$IDLE_CONNECTIONS" -gt 0 ] && echo ", + $IDLE_CONNECTIONS idle keep-alive connections")"
# shellcheck disable=SC2086  # SERVE_ARGS is a word list
start_server $SERVE_ARGS
precision="$(curl -fsS "$url/readyz" | grep -o '"precision":"[a-z0-9]*"' | cut -d'"' -f4)"
if [ "$precision" = int8 ]; then bench_us="$bench_int8_us"; else bench_us="$bench_fp32_us"; fi
echo "   (serving ${precision:-fp32}; digit test[$BENCH_DIGIT], answered $(head -c 40 "$work/answer.json")...)"
[ -n "${FASTAPI_PYTHON:-}" ] && start_fastapi
printf '%5s | %10s %8s %8s %6s | %10s %8s %8s %6s | %7s %7s\n' conns "mnist r/s" "p50 ms" "p99 ms" errors \
    "ORT r/s" "p50 ms" "p99 ms" errors "r/s x" "p50 /"
for connections in $CONNECTION_COUNTS; do
    read -r rps p50 _ p99 errors < <(measure "$connections")
    [ "$errors" = 0 ] || failed=1
    frps="-" fp50="-" fp99="-" ferrors="-" speedup="-" latency="-"
    if [ -n "$fastapi_pid" ]; then
        read -r frps fp50 _ fp99 ferrors < <(measure "$connections" "$fastapi_url")
        speedup="$(awk -v a="$rps" -v b="$frps" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
        latency="$(awk -v a="$p50" -v b="$fp50" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
    fi
    printf '%5s | %10s %8s %8s %6s | %10s %8s %8s %6s | %7s %7s\n' "$connections" "$rps" "$p50" "$p99" "$errors" \
        "$frps" "$fp50" "$fp99" "$ferrors" "$speedup" "$latency"
    if [ "$connections" = 1 ]; then
        one_p50="$p50" one_ratio="$latency"
    elif [ "$connections" = 32 ]; then
        many_p99="$p99" many_speedup="$speedup"
    fi
done
stop_fastapi
stop_server
# check NAME CONDITION: prints PASS or FAIL for a target and remembers a failure.
check() {
    if awk "BEGIN {exit !($2)}"; then echo "  $1: PASS"; else echo "  $1: FAIL"; failed=1; fi
}
if [ -n "${one_p50:-}" ]; then
    check "1 connection p50 ${one_p50} ms within 40 us of the ${precision:-fp32} forward pass (${bench_us} us)" "$one_p50 * 1000 <= $bench_us + 40"
    [ "${one_ratio:--}" = - ] || check "1 connection p50 <= 1/3 of FastAPI + ORT's (${one_ratio})" "$one_ratio <= 0.3334"
fi
if [ -n "${many_p99:-}" ]; then
    check "32 connections p99 ${many_p99} ms <= 5 ms" "$many_p99 <= 5"
    [ "${many_speedup:--}" = - ] || check "32 connections >= 5x FastAPI + ORT's requests/s (${many_speedup}x)" "$many_speedup >= 5"
fi

[ -n "$BATCH_SIZES" ] || exit "$failed"
echo
echo "== batching trade-off at 32 connections"
printf '%10s %10s %12s %9s %9s %9s %11s\n' max-batch delay-us requests/s "p50 ms" "p90 ms" "p99 ms" "mean batch"
for batch in $BATCH_SIZES; do
    for delay in $QUEUE_DELAYS; do
        start_server --log-level warning --max-batch-size "$batch" --max-queue-delay-us "$delay"
        read -r rps p50 p90 p99 errors < <(measure 32)
        printf '%10s %10s %12s %9s %9s %9s %11s\n' "$batch" "$delay" "$rps" "$p50" "$p90" "$p99" "$(mean_batch)"
        [ "$errors" = 0 ] || { echo "  $errors non-2xx responses"; failed=1; }
        stop_server
    done
done
exit "$failed"
