#!/usr/bin/env bash
# Parse time of the request bodies the tensor protocols carry (issue 17): a KServe v2 infer
# request of 8 images x 784 pixels, as FP32 (Float32 values as clients print them) and as UINT8,
# parsed by the JSON module's JSONParser of the working tree, and with REV given by the request
# parser of that revision too (its Sources/Service/JSONAnyParser.swift where it has one, else its
# Sources/JSON), both built with swiftc -O and measured back to back in one run.
#
#   scripts/bench-json-parse.sh [REV]
#
# Prints the median of ROUNDS (400) parses of each body. Only the parse is timed; the bodies
# are built once, outside the loop.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-400}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

build() { # build NAME SOURCE_DIR PARSE_EXPRESSION
    local name="$1" sources="$2" parse="$3"
    mkdir -p "$work/$name-driver"
    sed -e "s|@NAME@|$name|" -e "s|@PARSE@|$parse|" -e "s|@ROUNDS@|$ROUNDS|" scripts/bench-json/main.swift.in \
        >"$work/$name-driver/main.swift"
    swiftc -O -module-name JSONBench -o "$work/$name" "$sources"/*.swift scripts/bench-json/body.swift "$work/$name-driver/main.swift"
}

mkdir -p "$work/current-sources"
cp Sources/JSON/*.swift "$work/current-sources/"
build current "$work/current-sources" 'try JSONParser.parse(body)'
if [[ $# -ge 1 ]]; then
    mkdir -p "$work/base-sources"
    if git cat-file -e "$1:Sources/Service/JSONAnyParser.swift" 2>/dev/null; then
        git show "$1:Sources/Service/JSONAnyParser.swift" >"$work/base-sources/JSONAnyParser.swift"
        build "$1" "$work/base-sources" 'try JSONAnyParser.parse(body)'
    else
        for file in $(git ls-tree --name-only "$1" Sources/JSON/); do git show "$1:$file" >"$work/base-sources/$(basename "$file")"; done
        build "$1" "$work/base-sources" 'try JSONParser.parse(body)'
    fi
    for _ in 1 2; do "$work/$1"; "$work/current"; done
else
    "$work/current"
fi
