#!/usr/bin/env bash
# Builds the libFuzzer harness for the HTTP1 parsers and runs it.
#
#   Fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
#
# The harness is compiled with `swiftc -sanitize=fuzzer,address -parse-as-library` together
# with the parser sources only (they need neither Logging nor sockets). The corpus lives
# outside the repository in $FUZZ_CORPUS_DIR (seeded from the request shapes below on first
# run); crashing inputs are written to $FUZZ_CRASH_DIR. Keep any crash as a named constant in
# Tests/HTTP1Tests/FuzzRegressions.swift.
set -euo pipefail

seconds="${1:-120}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
sources="$here/../Sources/HTTP1"
work="$here/HTTP1Parser"
build="${FUZZ_BUILD_DIR:-$(mktemp -d /tmp/http1-fuzz.XXXXXX)}"
corpus="${FUZZ_CORPUS_DIR:-/tmp/http1-fuzz-corpus-$(id -u)}"
crashes="${FUZZ_CRASH_DIR:-/tmp/http1-fuzz-crashes-$(id -u)}"
mkdir -p "$build" "$corpus" "$crashes"

swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    -module-name HTTP1Fuzz \
    "$work/FuzzHTTP1Parser.swift" \
    "$sources/ASCII.swift" \
    "$sources/HTTPHeaders.swift" \
    "$sources/HTTPVersion.swift" \
    "$sources/HTTPRequest.swift" \
    "$sources/HTTPParseError.swift" \
    "$sources/HTTPLimits.swift" \
    "$sources/HTTPRequestParser.swift" \
    "$sources/HTTPRequestParser+Lines.swift" \
    "$sources/RequestTarget.swift" \
    "$sources/MediaType.swift" \
    "$sources/MultipartFormData.swift" \
    -o "$build/fuzz-http1-parser"

# Seed inputs: the first byte picks the slice length, the rest is the request stream.
seed() { printf '%b' "$2" > "$corpus/$1"; }
if [ -z "$(ls -A "$corpus")" ]; then
    seed get '\x00GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n'
    seed post '\x01POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'
    seed chunked '\x02POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a="b"\r\nhello\r\n0\r\nT: v\r\n\r\n'
    seed pipelined '\x03GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.0\r\n\r\n'
    seed expect '\x04PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi'
    seed multipart '\x05--b\r\nContent-Disposition: form-data; name="f"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nDATA\r\n--b--\r\n'
    seed mediatype '\x06multipart/form-data; boundary="x y"; charset=utf-8'
fi

cd "$crashes"
status=0
"$build/fuzz-http1-parser" -max_total_time="$seconds" -max_len=2048 -timeout=5 \
    -artifact_prefix="$crashes/" "$@" "$corpus" || status=$?
if [ "$status" -ne 0 ]; then
    echo "fuzzer stopped with status $status; crashing inputs are in $crashes" >&2
fi
exit "$status"
