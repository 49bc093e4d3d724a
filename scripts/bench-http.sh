#!/usr/bin/env bash
# HTTP benchmark: our HTTP1 server against nginx, both on loopback, measured by wrk.
#
#   scripts/bench-http.sh
#
# Target (issue 3): at least 50 % of nginx's requests/s with the same wrk run, and p99 < 5 ms.
# With ACCESS_LOG=on (issue 11) both servers log every request to a file and the target is
# 70 %: the service at its default log level against nginx with its access log on.
#
#   ACCESS_LOG=on SERVER_CMD="mnist-cnn serve --host 127.0.0.1 --port 18080" scripts/bench-http.sh
#
# Environment:
#   SERVER_CMD    command that starts the server under test on $SERVER_PORT serving
#                 GET $SERVER_PATH. Default: a tiny server built from Sources/HTTP1 in a
#                 throwaway package (no target is added to the project). Later:
#                 SERVER_CMD="mnist-cnn serve --port 18080"
#   SERVER_PORT   (18080)   NGINX_PORT (18081)   SERVER_PATH (/healthz)
#   SERVER_READY_PATH  (SERVER_PATH) what must answer 2xx before measuring; /readyz for the
#                 service, so its model warm-up does not overlap the nginx run
#   WRK_THREADS   (1)       WRK_CONNECTIONS (64)  WRK_DURATION (10s)
#   BENCH_BUILD_DIR  where the default server is built (cached between runs)
#   ACCESS_LOG    (off)  on: nginx writes its access log to a file, and the server's stderr
#                 (where the service's access log goes) is redirected to a file
#   TARGET_PERCENT  (50, or 70 with ACCESS_LOG=on)
#
# Needs wrk and nginx (Debian: apt-get install -y nginx wrk).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
SERVER_PORT="${SERVER_PORT:-18080}"
NGINX_PORT="${NGINX_PORT:-18081}"
SERVER_PATH="${SERVER_PATH:-/healthz}"
SERVER_READY_PATH="${SERVER_READY_PATH:-$SERVER_PATH}"
WRK_THREADS="${WRK_THREADS:-1}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-64}"
WRK_DURATION="${WRK_DURATION:-10s}"
BENCH_BUILD_DIR="${BENCH_BUILD_DIR:-/tmp/http1-bench-$(id -u)}"
ACCESS_LOG="${ACCESS_LOG:-off}"
if [ "$ACCESS_LOG" = on ]; then
    TARGET_PERCENT="${TARGET_PERCENT:-70}"
else
    TARGET_PERCENT="${TARGET_PERCENT:-50}"
fi

for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || { echo "error: $tool is not installed (apt-get install -y nginx wrk curl)" >&2; exit 1; }
done

work="$(mktemp -d /tmp/bench-http.XXXXXX)"
server_pid=""
nginx_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

build_default_server() {
    mkdir -p "$BENCH_BUILD_DIR/Sources/http1-bench"
    ln -sfn "$repo/Sources/HTTP1" "$BENCH_BUILD_DIR/Sources/HTTP1"
    ln -sfn "$repo/Sources/Platform" "$BENCH_BUILD_DIR/Sources/Platform"
    ln -sfn "$repo/Sources/CPlatform" "$BENCH_BUILD_DIR/Sources/CPlatform"
    cat > "$BENCH_BUILD_DIR/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "http1-bench",
    dependencies: [.package(url: "https://github.com/apple/swift-log", from: "1.16.2")],
    targets: [
        .target(name: "CPlatform"),
        .target(name: "Platform", dependencies: ["CPlatform"]),
        .target(name: "HTTP1", dependencies: ["Platform", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "http1-bench", dependencies: ["HTTP1", .product(name: "Logging", package: "swift-log")]),
    ],
    swiftLanguageModes: [.v5]
)
SWIFT
    cat > "$BENCH_BUILD_DIR/Sources/http1-bench/main.swift" <<'SWIFT'
import HTTP1
import Logging

// GET /healthz on the HTTP1 server, access log off (warning level), SIGTERM stops it.
var port = 18080
if let index = CommandLine.arguments.firstIndex(of: "--port"), index + 1 < CommandLine.arguments.count {
    port = Int(CommandLine.arguments[index + 1]) ?? port
}
var logger = Logger(label: "http1-bench")
logger.logLevel = .warning
let router = Router()
router.add(method: "GET", path: "/healthz") { _ in .text(200, "ok\n") }
let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port), router: router, logger: logger)
server.installSignalHandlers()
try server.start()
server.waitUntilStopped()
SWIFT
    echo "building the benchmark server (release) in $BENCH_BUILD_DIR ..." >&2
    swift build -c release --package-path "$BENCH_BUILD_DIR" --product http1-bench >&2
    echo "$BENCH_BUILD_DIR/.build/release/http1-bench --port $SERVER_PORT"
}

wait_for() {
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "error: nothing answers at $1" >&2
    exit 1
}

# Runs wrk and prints "requests_per_second p99_milliseconds".
measure() {
    local output
    output="$(wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency "$1")"
    echo "$output" >&2
    local rps p99
    rps="$(echo "$output" | awk '/^Requests\/sec:/ {print $2}')"
    p99="$(echo "$output" | awk '$1 == "99%" {print $2}')"
    # wrk prints latencies as 812.00us, 1.23ms or 2.01s.
    p99="$(echo "$p99" | awk '/us$/ {sub("us","");print $1/1000; next} /ms$/ {sub("ms","");print $1; next} /s$/ {sub("s","");print $1*1000}')"
    echo "$rps $p99"
}

SERVER_CMD="${SERVER_CMD:-$(build_default_server)}"

mkdir -p "$work/nginx"
if [ "$ACCESS_LOG" = on ]; then
    nginx_access_log="access_log $work/nginx/access.log;"
    server_log="$work/server.log"
else
    nginx_access_log="access_log off;"
    server_log=/dev/stderr
fi
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    $nginx_access_log
    keepalive_requests 1000000;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { default_type text/plain; return 200 "ok\n"; }
    }
}
NGINX

nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
echo "starting: $SERVER_CMD" >&2
$SERVER_CMD 2>>"$server_log" &
server_pid=$!
wait_for "http://127.0.0.1:$NGINX_PORT/"
wait_for "http://127.0.0.1:$SERVER_PORT$SERVER_READY_PATH"

echo "== nginx: wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION --latency http://127.0.0.1:$NGINX_PORT/" >&2
read -r nginx_rps nginx_p99 < <(measure "http://127.0.0.1:$NGINX_PORT/")
echo "== server: wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION --latency http://127.0.0.1:$SERVER_PORT$SERVER_PATH" >&2
read -r server_rps server_p99 < <(measure "http://127.0.0.1:$SERVER_PORT$SERVER_PATH")

ratio="$(awk -v a="$server_rps" -v b="$nginx_rps" 'BEGIN {printf "%.1f", 100 * a / b}')"
printf '\n%-8s %14s %10s\n' "" "requests/s" "p99 ms"
printf '%-8s %14s %10s\n' "nginx" "$nginx_rps" "$nginx_p99"
printf '%-8s %14s %10s\n' "server" "$server_rps" "$server_p99"
if [ "$ACCESS_LOG" = on ]; then
    echo "access logs: nginx $(wc -l < "$work/nginx/access.log") lines, server $(wc -l < "$server_log") lines"
fi
echo "ratio: server / nginx = $ratio %  (target >= $TARGET_PERCENT %, p99 < 5 ms)"
if awk -v r="$ratio" -v p="$server_p99" -v t="$TARGET_PERCENT" 'BEGIN {exit !(r >= t && p < 5)}'; then
    echo "PASS"
else
    echo "FAIL"
    exit 1
fi
