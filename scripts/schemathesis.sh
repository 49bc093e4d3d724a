#!/usr/bin/env bash
# Property-based check of openapi.yaml against the live release server, with Schemathesis
# (PyPI). It generates requests from the spec (its examples, boundary values, then random
# valid and invalid data) and fails on any 5xx, any status the spec does not document, and
# any response whose media type, headers or body does not match the spec.
#
#   scripts/schemathesis.sh [BINARY] [MODEL]
#     BINARY  default .build/release/mnist-cnn
#     MODEL   default models/mnist-cnn.safetensors
#   Environment: SCHEMATHESIS_MAX_EXAMPLES (default 50 per operation),
#                SCHEMATHESIS_MAX_TIME (seconds for the whole run, default 240),
#                SCHEMATHESIS_VENV (default /tmp/mnist-cnn-schemathesis), SCHEMATHESIS_SEED.
#
# The server's training-data directory is empty (--mnist-dir pointing at an empty directory),
# so POST /train can be fuzzed like every other operation without real training: each accepted
# job fails at once saying the data is unreadable. (With no --mnist-dir at all, every valid
# POST /train would be 503 and the accepting path would go unfuzzed.) No admin token is
# configured, so the server generates one into its state directory; every request carries it
# (read with `mnist-cnn token`), and Schemathesis' ignored_auth check sends requests without
# it to make sure they are refused.
#
# Needs python3 with the venv module (Debian: python3-venv) and curl. Exits non-zero on any
# failure, including the server dying or not exiting cleanly on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-.build/release/mnist-cnn}
model=${2:-models/mnist-cnn.safetensors}
version=4.32.5
venv=${SCHEMATHESIS_VENV:-/tmp/mnist-cnn-schemathesis}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-50}
max_time=${SCHEMATHESIS_MAX_TIME:-240}
seed=${SCHEMATHESIS_SEED:-20261125}

[[ -x $binary ]] || { echo "schemathesis.sh: no executable at $binary (build it: swift build -c release --product mnist-cnn)" >&2; exit 2; }
[[ -f $model ]] || { echo "schemathesis.sh: no model at $model" >&2; exit 2; }

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    echo "installing schemathesis $version into $venv"
    python3 -m venv "$venv" || { echo "schemathesis.sh: python3 -m venv failed; install python3-venv" >&2; exit 2; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
scratch=$(mktemp -d /tmp/mnist-cnn-schemathesis.XXXXXX)
state=$scratch/state
log=$scratch/server.log
mkdir -p "$state" "$scratch/run" "$scratch/empty-mnist"
# An empty training-data directory and a generated admin token: see above.
env -u MNIST_DIR -u MNIST_CNN_ADMIN_TOKEN \
    "$binary" serve --host 127.0.0.1 --port "$port" --model "$model" --state-dir "$state" \
    --mnist-dir "$scratch/empty-mnist" --log-level warning >"$log" 2>&1 &
server=$!
stop_server() {
    if kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server"
        wait "$server"
        return $?
    fi
    return 0
}
trap 'stop_server || true; rm -rf "$scratch"' EXIT

for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { echo "schemathesis.sh: the server exited during start:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "schemathesis.sh: not ready after 60 s" >&2; cat "$log" >&2; exit 1; }
token=$("$binary" token --state-dir "$state")

# Every check Schemathesis has (--checks all: not_a_server_error, status_code_conformance,
# content_type_conformance, response_headers_conformance, response_schema_conformance,
# negative_data_rejection, positive_data_acceptance, missing_required_header,
# unsupported_method, use_after_free, ensure_resource_availability, ...) and every phase,
# stateful included (it follows links, e.g. from POST /train to the job it made). All checks
# are Schemathesis 4's default; `--checks all` is not passed because on the command line it
# would override the per-operation exceptions of the config file, which turns two checks off
# for the operations where the spec cannot say what they test:
#  - positive_data_acceptance on the tensor inference operations (KServe v2 infer, TF Serving
#    predict): a tensor's data must hold exactly as many values as its shape says, and the
#    binary extension's header must give the JSON's length; JSON Schema cannot relate two
#    fields, so schema-valid requests are rightly refused 400. Every other check stays on
#    for them, negative_data_rejection included.
#  - positive_data_acceptance on POST /predict: the spec cannot say "a valid PNG" in JSON
#    Schema, so schema-valid bodies (random bytes as image/png, random base64) are rightly
#    answered 400/415/422.
#  - positive_data_acceptance on POST /train: an architecture's layers must fit together (a
#    kernel no larger than its input, a known name), which JSON Schema cannot say either.
#  - use_after_free on GET /train/{id}: DELETE /train/{id} cancels a job (the contract), and
#    the cancelled job stays readable with its status and history; Schemathesis reads every
#    DELETE as removal.
cat >"$scratch/run/schemathesis.toml" <<'TOML'
[[operations]]
include-operation-id = "inferKServe"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "inferKServeVersion"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "predictTFServing"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "predictTFServingVersion"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "predict"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "submitTrainingJob"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "getTrainingJob"
checks.use_after_free.enabled = false
TOML
# Schemathesis has no serializer for image/x-portable-graymap: this hook sends the generated
# value as the body bytes (strings as UTF-8, anything else as JSON). The other hook keeps the
# binary examples (x-value-base64) out of Schemathesis' examples phase.
cat >"$scratch/run/pgm_serializer.py" <<'PYTHON'
import json

import schemathesis


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    # Binary request examples keep their bytes in x-value-base64 (OpenAPI cannot hold bytes
    # inline) for the conformance test, which also knows the status each must get; without a
    # `value` Schemathesis would send the example object itself, so they are left to that test.
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                examples = content.get("examples", {})
                for name in [name for name, example in examples.items() if "value" not in example]:
                    del examples[name]


@schemathesis.serializer("image/x-portable-graymap")
def pgm(ctx, value):
    if isinstance(value, bytes):
        return {"data": value}
    if isinstance(value, str):
        return {"data": value.encode("utf-8")}
    return {"data": json.dumps(value).encode("utf-8")}
PYTHON

# It runs in the temporary directory so its caches (.schemathesis/) stay out of the repository.
# One worker: with several, Hypothesis calls ast.parse from concurrent threads, which on some
# CPython versions fails with "AST constructor recursion depth mismatch" (CPython gh-106905).
spec=$(pwd)/openapi.yaml
status=0
(cd "$scratch/run" && PYTHONPATH=. SCHEMATHESIS_HOOKS=pgm_serializer "$venv/bin/schemathesis" --config-file schemathesis.toml run "$spec" \
    --url "http://127.0.0.1:$port" \
    --header "Authorization: Bearer $token" \
    --max-examples "$max_examples" \
    --max-time "$max_time" \
    --seed "$seed" \
    --phases examples,coverage,fuzzing,stateful \
    --workers 1 \
    --request-timeout 30 \
    --suppress-health-check all \
    --generation-database none \
    --no-color) || status=$?

if ! kill -0 "$server" 2>/dev/null; then
    echo "schemathesis.sh: the server died during the run:" >&2
    cat "$log" >&2
    exit 1
fi
stop_server || { echo "schemathesis.sh: the server did not exit cleanly on SIGTERM:" >&2; cat "$log" >&2; exit 1; }
if [[ $status -ne 0 ]]; then
    echo "schemathesis.sh: schemathesis found failures (exit $status); server log:" >&2
    tail -50 "$log" >&2
fi
exit "$status"
