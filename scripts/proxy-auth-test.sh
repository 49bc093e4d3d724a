#!/usr/bin/env bash
# Admin auth behind a same-host reverse proxy: nginx on loopback in front of the release
# server, as a proxy or a service-mesh sidecar runs. Every client the service sees is then
# 127.0.0.1, so trusting loopback would make every internet client an admin. Checks that
# through the proxy anonymous (and wrong-token) admin calls get 401 and the token the server
# generated into its state directory (printed by `mnist-cnn token`) works; reads need none.
#
#   scripts/proxy-auth-test.sh [BINARY] [MODEL]
#     BINARY  default .build/release/mnist-cnn
#     MODEL   default models/mnist-cnn.safetensors
#
# Needs nginx (Debian: nginx-light) and curl; runs nginx as the current user with its files in
# a temporary directory. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-.build/release/mnist-cnn}
model=${2:-models/mnist-cnn.safetensors}
[[ -x $binary ]] || { echo "proxy-auth-test: no executable at $binary" >&2; exit 2; }
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || { echo "proxy-auth-test: nginx is not installed" >&2; exit 2; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/mnist-cnn-proxy.XXXXXX)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
service_port=$(free_port)
proxy_port=$(free_port)
server=""
cleanup() {
    [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "proxy-auth-test: FAIL: $*" >&2; echo "--- server log" >&2; tail -20 "$work/server.log" >&2; exit 1; }

mkdir -p "$work/state"
env -u MNIST_CNN_ADMIN_TOKEN -u MNIST_DIR "$binary" serve --host 127.0.0.1 --port "$service_port" --model "$model" \
    --state-dir "$work/state" --log-level notice >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$service_port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$service_port/readyz" >/dev/null || fail "the server did not become ready"

# The log says where the token is, never the token itself.
token=$("$binary" token --state-dir "$work/state")
[[ ${#token} -ge 32 ]] || fail "the generated token is too short: ${#token} characters"
grep -q "admin-token" "$work/server.log" || fail "the log does not say where the admin token is"
! grep -qF "$token" "$work/server.log" || fail "the log contains the token"
[[ $(stat -c %a "$work/state/admin-token") == 600 ]] || fail "the token file is not mode 0600"

cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
daemon on;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    server {
        listen 127.0.0.1:$proxy_port;
        location / {
            proxy_pass http://127.0.0.1:$service_port;
            proxy_http_version 1.1;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }
}
NGINX
"$nginx_bin" -c "$work/nginx.conf" -e "$work/nginx-error.log" || fail "nginx did not start"
proxy="http://127.0.0.1:$proxy_port"
for _ in $(seq 1 50); do curl -fs "$proxy/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# status METHOD PATH [curl args...]: the HTTP status through the proxy.
status() { local method=$1 path=$2; shift 2; curl -s -o "$work/body.json" -w '%{http_code}' -X "$method" "$@" "$proxy$path"; }
expect() {
    local want=$1 what=$2; shift 2
    local got; got=$(status "$@")
    [[ $got == "$want" ]] || fail "$what: $got, expected $want: $(head -c 300 "$work/body.json")"
    echo "proxy-auth-test: $what: $got"
}

expect 200 "GET /readyz through the proxy" GET /readyz
expect 200 "GET /models (a read) without a token" GET /models
expect 401 "anonymous activate" POST /models/shipped/activate
grep -q '"status":401' "$work/body.json" || fail "the 401 is not a problem document"
expect 401 "anonymous POST /train" POST /train -H 'Content-Type: application/json' -d '{}'
expect 401 "anonymous DELETE /train/{id}" DELETE /train/job-19700101T000000Z-000000
expect 401 "activate with a wrong token" POST /models/shipped/activate -H "Authorization: Bearer not-the-token"
expect 401 "activate with a forged X-Forwarded-For" POST /models/shipped/activate -H "X-Forwarded-For: 127.0.0.1"
expect 200 "activate with the token" POST /models/shipped/activate -H "Authorization: Bearer $token"
expect 503 "POST /train with the token (no training data)" POST /train -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{}'
expect 503 "DELETE with the token (a read-only process: no training data)" DELETE /train/job-19700101T000000Z-000000 -H "Authorization: Bearer $token"

kill -TERM "$server"
wait "$server" || fail "the server did not exit cleanly on SIGTERM"
server=""
echo "proxy-auth-test: passed"
