#!/bin/sh
# Builds and runs the Imaging libFuzzer harnesses.
#
#   Fuzz/run-imaging.sh [SECONDS] [TARGET...]     (default: 60 seconds each; all four targets)
#
# Targets: ImagingPNG ImagingPGM ImagingBase64 ImagingJPEG. Each harness is compiled into the
# Imaging module (so it may use internal API), with the tests' encoders from Tests/TestSupport
# that the round-trip harnesses re-encode with, using -sanitize=fuzzer,address, against a
# separately built Zlib wrapper module and the JPEGShim C file (instrumented too, so coverage
# reaches the shim; libjpeg-turbo itself is Debian's uninstrumented libjpeg.so, from
# libjpeg62-turbo-dev). Binaries go to .build-fuzz/, corpora and crash files to
# fuzz-out/TARGET/ (both git-ignored). A crash stops that target's run and leaves
# fuzz-out/TARGET/crash-*; turn it into a named regression test in
# Tests/ImagingTests/FuzzRegressionTests.swift.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER_TARGET=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-"ImagingPNG ImagingPGM ImagingBase64 ImagingJPEG"}
BUILD="$ROOT/.build-fuzz"
OUT="$ROOT/fuzz-out"
mkdir -p "$BUILD" "$OUT"

# The Zlib wrapper as a module of its own, as SwiftPM builds it.
swiftc -parse-as-library -O -module-name Zlib -emit-module -emit-module-path "$BUILD/Zlib.swiftmodule" \
    -I "$ROOT/Sources/CZlib" -c "$ROOT/Sources/Zlib/Zlib.swift" -o "$BUILD/Zlib.o"

# The JPEG shim as SwiftPM builds it: its C file, and a module map naming its header.
mkdir -p "$BUILD/JPEGShim"
printf 'module JPEGShim {\n    header "%s"\n    export *\n}\n' "$ROOT/Sources/JPEGShim/include/jpeg_shim.h" \
    > "$BUILD/JPEGShim/module.modulemap"
clang -O1 -g -fsanitize=fuzzer-no-link,address -I "$ROOT/Sources/JPEGShim/include" \
    -c "$ROOT/Sources/JPEGShim/jpeg_shim.c" -o "$BUILD/jpeg_shim.o"

# Test-only encoders (not in the Imaging module itself), compiled into each harness.
ENCODERS="$ROOT/Tests/TestSupport/PNGEncoder.swift $ROOT/Tests/TestSupport/PGMEncoder.swift $ROOT/Tests/TestSupport/Base64+Encode.swift"

status=0
for target in $TARGETS; do
    echo "== $target: building"
    # The linker's "Cannot export local symbol '__asan_...'" warnings are noise: keep the log,
    # show it only when the build fails.
    if ! swiftc -parse-as-library -O -g -sanitize=fuzzer,address -module-name Imaging \
            -I "$BUILD" -I "$ROOT/Sources/CZlib" -I "$BUILD/JPEGShim" \
            "$ROOT"/Sources/Imaging/*.swift "$ROOT/Fuzz/$target"/*.swift $ENCODERS "$BUILD/Zlib.o" -lz \
            "$BUILD/jpeg_shim.o" -ljpeg \
            -o "$BUILD/$target" > "$BUILD/$target.build.log" 2>&1; then
        cat "$BUILD/$target.build.log"
        exit 1
    fi
    mkdir -p "$OUT/$target/corpus"
    cp "$ROOT/Fuzz/$target"/seeds/* "$OUT/$target/corpus/" 2>/dev/null || true
    echo "== $target: fuzzing for $SECONDS_PER_TARGET s"
    if ! (cd "$OUT/$target" && "$BUILD/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
            -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 corpus); then
        echo "== $target: FOUND A CRASH (see $OUT/$target)"
        status=1
    fi
done
exit $status
