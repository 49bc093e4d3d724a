#!/usr/bin/env bash
# The KServe v2 (Open Inference Protocol) API checked with NVIDIA's real client: installs
# tritonclient[http] and numpy (PyPI) into a venv, starts the release server with a second
# registered model, and runs scripts/tritonclient-check.py against it (live/ready, server and
# model metadata, 100 MNIST test images in batches with JSON and with binary tensors, >= 99 %
# right, and the registered model read by version).
#
#   scripts/tritonclient-check.sh [BINARY] [MODEL]
#     BINARY  default .build/release/mnist-cnn
#     MODEL   default models/mnist-cnn.safetensors
#   Environment: MNIST_DIR (required: the MNIST test files), TRITONCLIENT_VENV (default
#                /tmp/mnist-cnn-tritonclient).
#
# The second model is registered the way the registry finds models at start: a model file and
# its record in <state-dir>/models/ (the record is the shipped model's, as GET /models/shipped
# shows it, under a new id). Needs python3 with venv and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-.build/release/mnist-cnn}
model=${2:-models/mnist-cnn.safetensors}
venv=${TRITONCLIENT_VENV:-/tmp/mnist-cnn-tritonclient}
version_id=model-tritonclient-check

[[ -x $binary ]] || { echo "tritonclient-check.sh: no executable at $binary" >&2; exit 2; }
[[ -n ${MNIST_DIR:-} ]] || { echo "tritonclient-check.sh: set MNIST_DIR to the MNIST directory" >&2; exit 2; }

if ! "$venv/bin/python" -c 'import tritonclient.http, numpy' 2>/dev/null; then
    echo "installing tritonclient[http] and numpy into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'tritonclient[http]' numpy
fi

scratch=$(mktemp -d /tmp/mnist-cnn-tritonclient.XXXXXX)
state=$scratch/state
mkdir -p "$state"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server=""
stop_server() {
    if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server"
        wait "$server" || true
    fi
    server=""
}
trap 'stop_server; rm -rf "$scratch"' EXIT
start_server() {
    # A configured admin token: none of this script's requests needs one, and the server
    # then writes no token file of its own into the state directory.
    env -u MNIST_CNN_ADMIN_TOKEN "$binary" serve --host 127.0.0.1 --port "$port" --model "$model" \
        --state-dir "$state" --admin-token "tritonclient-check-token" --log-level warning >>"$scratch/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 120); do
        curl -fsS "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && return 0
        kill -0 "$server" 2>/dev/null || { echo "tritonclient-check.sh: the server exited:" >&2; cat "$scratch/server.log" >&2; exit 1; }
        sleep 0.5
    done
    echo "tritonclient-check.sh: not ready after 60 s" >&2
    exit 1
}

# Register a second model: the shipped one under another id, found by the registry at start.
start_server
curl -fsS "http://127.0.0.1:$port/models/shipped" >"$scratch/shipped.json"
stop_server
mkdir -p "$state/models"
cp "$model" "$state/models/$version_id.safetensors"
python3 - "$scratch/shipped.json" "$state/models/$version_id.json" "$version_id" <<'PYTHON'
import json, sys
record = json.load(open(sys.argv[1]))
record.update(id=sys.argv[3], active=False, read_only=False)
json.dump(record, open(sys.argv[2], "w"))
PYTHON

start_server
"$venv/bin/python" scripts/tritonclient-check.py --url "127.0.0.1:$port" --mnist-dir "$MNIST_DIR" --version "$version_id"
stop_server
