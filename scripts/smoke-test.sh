#!/usr/bin/env bash
# End-to-end smoke test of the real server: start the release binary on a free port, wait for
# readiness, exercise every /predict body form with a real MNIST test digit, the probes and
# /metrics, then SIGTERM and require a clean exit 0.
#
#   scripts/smoke-test.sh [path/to/mnist-cnn] [model]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/mnist-cnn}
MODEL=${2:-models/mnist-cnn.safetensors}
MNIST_DIR=${MNIST_DIR:-../shared/data/mnist}
PORT=${SMOKE_PORT:-$((20000 + RANDOM % 20000))}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

fail() { echo "smoke: FAIL: $*" >&2; echo "--- server log"; tail -20 "$WORK/server.log" >&2; exit 1; }

# A real test digit (index 0, a 7) as raw bytes, PGM, PNG (via python's zlib) and base64.
python3 - "$MNIST_DIR" "$WORK" <<'PY'
import base64, gzip, json, struct, sys, zlib
mnist, out = sys.argv[1], sys.argv[2]
images = gzip.open(f"{mnist}/t10k-images-idx3-ubyte.gz").read()[16:]
digit = images[:784]
open(f"{out}/digit.raw", "wb").write(digit)
open(f"{out}/digit.pgm", "wb").write(b"P5\n# a seven\n28 28\n255\n" + digit)
# Black ink on white paper, 112x112: what a user's drawing looks like.
big = bytearray()
for y in range(112):
    big.append(0)
    for x in range(112):
        big.append(255 - digit[(y // 4) * 28 + x // 4])
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 112, 112, 8, 0, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(bytes(big))) + chunk(b"IEND", b"")
open(f"{out}/digit.png", "wb").write(png)
b64 = base64.b64encode(png).decode()
open(f"{out}/digit.b64", "w").write(b64)
json.dump({"images": [b64, base64.b64encode(digit).decode()]}, open(f"{out}/batch.json", "w"))
json.dump({"instances": [{"b64": b64}]}, open(f"{out}/tfserving.json", "w"))
PY

"$BIN" serve --host 127.0.0.1 --port "$PORT" --model "$MODEL" --state-dir "$WORK/state" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || fail "server exited during start"
  sleep 0.1
done
URL="http://127.0.0.1:$PORT"
curl -fs "$URL/readyz" >/dev/null || fail "/readyz never answered 200"
"$BIN" healthcheck --url "$URL/healthz" || fail "healthcheck"

expect_digit() { # name, curl args...
  local name=$1; shift
  local body
  body=$(curl -s -w '\n%{http_code}' "$@") || fail "$name: curl failed"
  local status=${body##*$'\n'}
  body=${body%$'\n'*}
  [ "$status" = 200 ] || fail "$name: status $status: $body"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); ps=d.get("predictions",[d]); assert all(p["digit"]==7 for p in ps), d' "$body" \
    || fail "$name: wrong answer $body"
  echo "smoke: ok: $name"
}
expect_digit "raw bytes" -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$WORK/digit.raw" "$URL/predict"
expect_digit "PGM" -X POST -H 'Content-Type: image/x-portable-graymap' --data-binary @"$WORK/digit.pgm" "$URL/predict"
expect_digit "PNG, black on white, 112x112" -X POST -H 'Content-Type: image/png' --data-binary @"$WORK/digit.png" "$URL/predict"
expect_digit "base64 text" -X POST -H 'Content-Type: text/plain' --data-binary @"$WORK/digit.b64" "$URL/predict"
expect_digit "JSON batch" -X POST -H 'Content-Type: application/json' --data-binary @"$WORK/batch.json" "$URL/predict"
expect_digit "TF Serving instances" -X POST -H 'Content-Type: application/json' --data-binary @"$WORK/tfserving.json" "$URL/predict"
expect_digit "multipart upload" -F "image=@$WORK/digit.png;type=image/png" "$URL/predict"
expect_digit "no content type (sniffed)" -X POST -H 'Content-Type:' --data-binary @"$WORK/digit.png" "$URL/predict"

status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/octet-stream' --data-binary 'short' "$URL/predict")
[ "$status" = 422 ] || fail "5 raw bytes gave $status, not 422"
# Fetch to a file before grepping: `curl | grep -q` under pipefail fails at random when grep
# exits on the first line and curl is still writing a body larger than the pipe buffer.
curl -fs -o "$WORK/metrics" "$URL/metrics" || fail "/metrics did not answer"
grep -q '^mnist_predictions_total' "$WORK/metrics" || fail "/metrics has no prediction counter"
curl -fs -o "$WORK/openapi.yaml" "$URL/openapi.yaml" || fail "/openapi.yaml did not answer"
grep -q '^openapi: 3\.1' "$WORK/openapi.yaml" || fail "/openapi.yaml is not an OpenAPI 3.1 document"
echo "smoke: ok: errors, metrics, openapi"

kill -TERM $SERVER
wait $SERVER && code=0 || code=$?
[ "$code" = 0 ] || fail "server exited $code after SIGTERM"
echo "smoke: ok: SIGTERM, exit 0"
