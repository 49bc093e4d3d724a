#!/usr/bin/env bash
# Proves the Dockerfile's runtime stage without a Docker engine.
#
# The Dockerfile itself is the specification: this script reads it and
#   1. builds the binary with the build stage's own `swift build` command (scratch path
#      .build-static) and stages the same files the build stage installs into /staging;
#   2. makes the base image the way Debian's official images are made, with
#      `debootstrap --variant=minbase bookworm` (cached under $ROOTFS_CACHE, so reruns are
#      fast), with the same apt sources as debian:bookworm-slim;
#   3. applies the runtime stage to a fresh copy of it, instruction by instruction: every RUN
#      verbatim through /bin/sh in the root (the apt install of the runtime packages, the user,
#      the state directory), every COPY, the WORKDIR, the VOLUME as a fresh directory that
#      takes the image directory's owner and mode, as Docker's volume copy-up does;
#   4. runs ENTRYPOINT + CMD like a container under Kubernetes' securityContext: as USER (via
#      chroot --userspec), with exactly the Dockerfile's ENV, as PID 1 of its own PID namespace
#      (so SIGTERM reaches it only if the service handles it), in its own network namespace
#      (so it binds 0.0.0.0:8080 as configured, reachable only from inside), on a read-only
#      root with a tmpfs /tmp (readOnlyRootFilesystem + the emptyDir) and the volume writable;
#   5. checks it from the host side: the HEALTHCHECK command (entered like `docker exec`),
#      GET /healthz, /readyz, the web page, /openapi.yaml and /metrics (all embedded in the
#      binary: the image has no resource directory), POST /predict of a real MNIST test
#      digit (expects 200 and the right digit), a short training job that writes its model
#      into the volume (skip with SMOKE_TRAIN=0), every log line JSON, then STOPSIGNAL and an
#      exit status of 0; and prints what the binary links (`ldd`, inside the root).
#
# Every mount lives in a private mount namespace and disappears with it, and the per-run root
# is removed on exit, so the script is idempotent and leaves only the cache behind.
#
#   scripts/rootfs-smoke.sh            (as root: debootstrap, chroot and namespaces need it)
#
# Environment: MNIST_DIR (MNIST files; default ../shared/data/mnist), SMOKE_MODEL (model to
# bake in instead of models/mnist-cnn.safetensors), ROOTFS_CACHE (default
# /var/tmp/mnist-cnn-rootfs), DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR (default: the URIs this
# machine's own apt sources give for bookworm and bookworm-security, so the repository names no
# mirror), SMOKE_TRAIN (1; 0 skips the training job).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
MNIST_DIR=$(cd "${MNIST_DIR:-$REPO/../shared/data/mnist}" && pwd)
CACHE=${ROOTFS_CACHE:-/var/tmp/mnist-cnn-rootfs}
SUITE=bookworm
SMOKE_TRAIN=${SMOKE_TRAIN:-1}
STAGE_ROOT=/staging   # where the Dockerfile's build stage installs what the runtime stage copies

say() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
fail() {
  echo "rootfs-smoke: FAIL: $*" >&2
  if [ -n "${RUN:-}" ] && [ -s "$RUN/server.log" ]; then echo "--- server log (last 30 lines)" >&2; tail -30 "$RUN/server.log" >&2; fi
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root: debootstrap, chroot, mounts and namespaces need it"
for tool in swift python3 curl unshare nsenter chroot ip; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi
mkdir -p "$CACHE"

# apt_uri SUITE: the first URI the machine's apt sources give for SUITE (deb822 stanzas in
# /etc/apt/sources.list.d/*.sources, then one-line `deb` entries in sources.list and *.list).
apt_uri() {
  python3 - "$1" <<'PY'
import glob, re, sys

suite = sys.argv[1]
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1].isspace() and key:            # a continuation line
                fields[key] += line.split()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.split()
        if ("deb" in fields.get("types", []) and suite in fields.get("suites", [])
                and fields.get("enabled", ["yes"])[0].lower() != "no" and fields.get("uris")):
            print(fields["uris"][0])
            sys.exit(0)
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = re.sub(r"\[[^]]*\]", " ", line.split("#")[0]).split()   # drop [options]
        if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
            print(words[1])
            sys.exit(0)
sys.exit(1)
PY
}
MIRROR=${DEBIAN_MIRROR:-$(apt_uri "$SUITE")} \
  || fail "no apt source for $SUITE on this machine: set DEBIAN_MIRROR to a Debian mirror's URL"
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$(apt_uri "$SUITE-security")} \
  || fail "no apt source for $SUITE-security on this machine: set DEBIAN_SECURITY_MIRROR"
MIRROR=${MIRROR%/} SECURITY_MIRROR=${SECURITY_MIRROR%/}
echo "Debian mirrors: $MIRROR and $SECURITY_MIRROR"

# ---- cleanup ------------------------------------------------------------------------------
RUN=""
UNSHARE_PID=""
BUILDING=""
# rm -rf only what has nothing mounted inside (a leftover bind mount would let it delete the
# mounted host directory's files).
safe_rm() {
  local dir=$1
  [ -n "$dir" ] && [ -e "$dir" ] || return 0
  if awk '{print $5}' /proc/self/mountinfo | grep -q "^$(realpath "$dir")\(/\|$\)"; then
    echo "rootfs-smoke: something is still mounted under $dir; not removing it" >&2
    return 1
  fi
  rm -rf "$dir"
}
cleanup() {
  local status=$?
  if [ -n "$UNSHARE_PID" ] && kill -0 "$UNSHARE_PID" 2>/dev/null; then
    # Killing PID 1 of the container's namespace kills everything in it; --kill-child does
    # the same should unshare itself die first.
    [ -z "${SERVER_PID:-}" ] || kill -KILL "$SERVER_PID" 2>/dev/null || true
    kill -KILL "$UNSHARE_PID" 2>/dev/null || true
    wait "$UNSHARE_PID" 2>/dev/null || true
  fi
  safe_rm "$RUN" || status=1
  safe_rm "$BUILDING" || status=1
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the Dockerfile, read -----------------------------------------------------------------
# One instruction per line: kind<TAB>fields. Continuation lines are joined and comment lines
# inside them dropped, as Docker's parser does.
SPEC=$(mktemp)
python3 - Dockerfile >"$SPEC" <<'PY'
import json, re, shlex, sys

instructions, current = [], ""
for raw in open(sys.argv[1]).read().split("\n"):
    line = raw.strip()
    if line.startswith("#") or (current and not line):
        continue
    if not current and not line:
        continue
    if raw.rstrip().endswith("\\"):
        current += raw.rstrip()[:-1] + " "
        continue
    instructions.append((current + raw).strip())
    current = ""

stages, stage = [], None
for text in instructions:
    keyword, _, rest = text.partition(" ")
    keyword, rest = keyword.upper(), rest.strip()
    if keyword == "FROM":
        stage = []
        stages.append(stage)
    if stage is None:
        continue
    stage.append((keyword, rest))
if len(stages) < 2:
    sys.exit("the Dockerfile has no separate runtime stage")

def emit(*fields):
    assert all("\t" not in f and "\n" not in f for f in fields), fields
    print("\t".join(fields))

builds = [m.group(1).strip() for keyword, rest in stages[0] if keyword == "RUN"
          for m in [re.search(r"(swift build [^&;|]*)", rest)] if m]
if not builds:
    sys.exit("no `swift build` in the build stage")
emit("build", builds[0])

for keyword, rest in stages[-1]:
    if keyword == "FROM":
        emit("from", rest.split()[0])
    elif keyword == "RUN":
        emit("run", rest)
    elif keyword == "COPY":
        words = shlex.split(rest)
        flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--"))
        paths = [w for w in words if not w.startswith("--")]
        if len(paths) != 2 or set(flags) - {"from"}:
            sys.exit(f"unsupported COPY: {rest}")
        emit("copy", flags.get("from", "-"), paths[0], paths[1])
    elif keyword == "ENV":
        for assignment in shlex.split(rest):
            if "=" not in assignment:
                sys.exit(f"ENV must use KEY=VALUE: {rest}")
            emit("env", assignment)
    elif keyword in ("USER", "WORKDIR", "STOPSIGNAL"):
        emit(keyword.lower(), rest)
    elif keyword == "VOLUME":
        for path in (json.loads(rest) if rest.startswith("[") else rest.split()):
            emit("volume", path)
    elif keyword in ("ENTRYPOINT", "CMD"):
        for word in json.loads(rest):
            emit(keyword.lower(), word)
    elif keyword == "HEALTHCHECK":
        command = re.search(r"\bCMD\s+(\[.*\])\s*$", rest)
        if not command:
            sys.exit(f"HEALTHCHECK must be CMD [exec form]: {rest}")
        for word in json.loads(command.group(1)):
            emit("healthcheck", word)
    elif keyword in ("ARG", "LABEL", "EXPOSE"):
        pass
    else:
        sys.exit(f"this script does not emulate {keyword}")
PY

BUILD_COMMAND="" BASE_IMAGE="" USER_SPEC="0:0" WORKDIR_PATH=/ STOP_SIGNAL=SIGTERM
RUNS=() COPIES=() ENVS=() VOLUMES=() ENTRY=() CMD=() HEALTH=()
while IFS=$'\t' read -r kind a b c; do
  case $kind in
    build) BUILD_COMMAND=$a ;;
    from) BASE_IMAGE=$a ;;
    run) RUNS+=("$a") ;;
    copy) COPIES+=("$a"$'\t'"$b"$'\t'"$c") ;;
    env) ENVS+=("$a") ;;
    user) USER_SPEC=$a ;;
    workdir) WORKDIR_PATH=$a ;;
    stopsignal) STOP_SIGNAL=$a ;;
    volume) VOLUMES+=("$a") ;;
    entrypoint) ENTRY+=("$a") ;;
    cmd) CMD+=("$a") ;;
    healthcheck) HEALTH+=("$a") ;;
  esac
done <"$SPEC"
rm -f "$SPEC"
[ "$BASE_IMAGE" = "debian:$SUITE-slim" ] || fail "runtime stage is FROM $BASE_IMAGE; this script makes debian:$SUITE-slim"
[[ "$USER_SPEC" =~ ^[0-9]+(:[0-9]+)?$ ]] || fail "USER $USER_SPEC must be numeric uid[:gid]"
[[ "$USER_SPEC" == *:* ]] || USER_SPEC="$USER_SPEC:$USER_SPEC"
[ "${USER_SPEC%%:*}" != 0 ] || fail "the runtime stage runs as root"
# What Docker puts in every container's environment, then the image's ENV.
CONTAINER_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "HOSTNAME=mnist-cnn-smoke" "HOME=/nonexistent" "${ENVS[@]}")
env_value() { local entry; for entry in "${ENVS[@]}"; do [ "${entry%%=*}" = "$1" ] && { echo "${entry#*=}"; return; }; done; }
PORT=$(env_value MNIST_CNN_PORT); PORT=${PORT:-8080}
STATE_DIR=$(env_value MNIST_CNN_STATE_DIR)
echo "Dockerfile: build '$BUILD_COMMAND'; runtime FROM $BASE_IMAGE, ${#RUNS[@]} RUN, ${#COPIES[@]} COPY, USER $USER_SPEC, WORKDIR $WORKDIR_PATH, VOLUME ${VOLUMES[*]}, port $PORT"
echo "command: ${ENTRY[*]} ${CMD[*]}; healthcheck: ${HEALTH[*]}; stop signal: $STOP_SIGNAL"

# ---- 1. the build stage ---------------------------------------------------------------------
say "build: $BUILD_COMMAND --scratch-path .build-static"
# shellcheck disable=SC2086  # the command is words, as in the Dockerfile's RUN
$BUILD_COMMAND --scratch-path .build-static
BIN="$($BUILD_COMMAND --scratch-path .build-static --show-bin-path)/mnist-cnn"
SWIFT_ROOT=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
BACKTRACER="$SWIFT_ROOT/libexec/swift/linux/swift-backtrace-static"
[ -x "$BIN" ] || fail "no binary at $BIN"
[ -x "$BACKTRACER" ] || fail "no swift-backtrace-static at $BACKTRACER"
ls -l "$BIN"
size "$BIN"
# No module imports full Foundation (FoundationEssentials suffices), so neither
# FoundationInternationalization nor ICU's 34 MB of data may be linked in.
if nm "$BIN" | grep -q -e 'icudt[0-9]*_dat' -e FoundationInternationalization; then
  fail "the binary links ICU: some module imports Foundation where FoundationEssentials would do"
fi
echo "no ICU in the binary"
echo "host ldd:"; ldd "$BIN"

RUN=$(mktemp -d "$CACHE/run.XXXXXX")
STAGE="$RUN/staging"
# The build stage's installs into /staging (see the Dockerfile's build RUN).
install -D -m 0755 "$BIN" "$STAGE/usr/local/bin/mnist-cnn"
install -D -m 0755 "$BACKTRACER" "$STAGE/usr/local/libexec/swift-backtrace"

# ---- 2. the base image --------------------------------------------------------------------
# Runs a command chrooted into $1 with /proc and /dev mounted, all of it in a private mount
# namespace so that nothing stays mounted afterwards.
in_root() {
  local root=$1; shift
  # shellcheck disable=SC2016  # expanded by the inner shell
  unshare --mount --propagation private -- /bin/sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" "$@"' sh "$root" "$@"
}

ARCH=$(dpkg --print-architecture)
BASE="$CACHE/$SUITE-minbase-$ARCH-$(printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY_MIRROR" "$ARCH" | sha256sum | cut -c1-12)"
if [ ! -e "$BASE/.complete" ]; then
  say "base image: debootstrap --variant=minbase $SUITE (cached in $BASE)"
  BUILDING=$(mktemp -d "$CACHE/.building.XXXXXX")
  debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$BUILDING/root" "$MIRROR" >"$BUILDING/debootstrap.log" 2>&1 \
    || { tail -20 "$BUILDING/debootstrap.log" >&2; fail "debootstrap failed"; }
  # debian:bookworm-slim's apt sources: the release, its updates and the security archive.
  rm -f "$BUILDING/root/etc/apt/sources.list"
  cat >"$BUILDING/root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${SECURITY_MIRROR}
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  in_root "$BUILDING/root" apt-get clean
  rm -rf "$BUILDING/root/var/lib/apt/lists/"*
  touch "$BUILDING/root/.complete"
  rm -rf "$BASE"
  mv "$BUILDING/root" "$BASE"
  safe_rm "$BUILDING"; BUILDING=""
else
  say "base image: cached $BASE"
fi

# ---- 3. the runtime stage -----------------------------------------------------------------
ROOT="$RUN/root"
cp -a "$BASE" "$ROOT"
rm -f "$ROOT/.complete"
for command in "${RUNS[@]}"; do
  say "RUN $command"
  in_root "$ROOT" /bin/sh -c "$command"
done
for copy in "${COPIES[@]}"; do
  IFS=$'\t' read -r from source target <<<"$copy"
  if [ "$from" = build ]; then
    source="$STAGE${source#"$STAGE_ROOT"}"
  elif [ "$from" != - ]; then
    fail "COPY --from=$from is not emulated"
  elif [ "$source" = models/mnist-cnn.safetensors ] && [ -n "${SMOKE_MODEL:-}" ]; then
    source=$SMOKE_MODEL
  fi
  say "COPY $source $target"
  [ -e "$source" ] || fail "COPY source $source does not exist"
  if [ -d "$source" ]; then
    mkdir -p "$ROOT$target"
    cp -a --no-preserve=ownership "$source/." "$ROOT$target"
  else
    mkdir -p "$(dirname "$ROOT$target")"
    cp --no-preserve=ownership "$source" "$ROOT$target"
  fi
done
mkdir -p "$ROOT$WORKDIR_PATH"
echo "root size: $(du -sh --exclude=proc "$ROOT" | cut -f1)"
# shellcheck disable=SC2016  # dpkg-query's format, not shell
in_root "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' zlib1g libjpeg62-turbo ca-certificates libc6 libstdc++6 libgcc-s1

say "ldd inside the root"
in_root "$ROOT" ldd /usr/local/bin/mnist-cnn | tee "$RUN/ldd.txt"
if grep -q "not found" "$RUN/ldd.txt"; then fail "a library the binary needs is missing from the runtime root"; fi

# The VOLUME: a fresh directory, initialised like Docker's copy-up from the image's directory.
VOLUME_MOUNTS=()
for volume in "${VOLUMES[@]}"; do
  host="$RUN/volume$(echo "$volume" | tr / _)"
  mkdir -p "$host"
  chown --reference="$ROOT$volume" "$host"
  chmod --reference="$ROOT$volume" "$host"
  VOLUME_MOUNTS+=("$host:$volume")
done

# ---- 4. the container ---------------------------------------------------------------------
# start_container MOUNTS... -- COMMAND...: in new mount, PID and network namespaces: loopback
# up, a Docker-like /dev, /proc, tmpfs /tmp, the volumes, the root read-only, then the command
# as PID 1 under USER with exactly the container's environment, in WORKDIR.
# shellcheck disable=SC2016  # expanded by the inner shell
CONTAINER_SCRIPT='
  set -e
  root=$1 userspec=$2 workdir=$3; shift 3
  ip link set lo up
  mount --bind "$root" "$root"
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  mount -t tmpfs -o nosuid,mode=0755 tmpfs "$root/dev"
  for device in null zero full random urandom tty; do
    : >"$root/dev/$device"; mount --bind "/dev/$device" "$root/dev/$device"
  done
  mkdir "$root/dev/shm" "$root/dev/pts"
  mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"; ln -s /proc/self/fd/1 "$root/dev/stdout"; ln -s /proc/self/fd/2 "$root/dev/stderr"
  mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"
  while [ "$1" != "--" ]; do   # HOST:TARGET[:ro]
    host=${1%%:*} target=${1#*:}; options=${target#*:}; target=${target%%:*}
    mkdir -p "$root$target"; mount --bind "$host" "$root$target"
    [ "$options" != ro ] || mount -o remount,bind,ro "$root$target"
    shift
  done
  shift
  mount -o remount,bind,ro "$root"
  exec chroot --userspec="$userspec" "$root" /usr/bin/env -i -C "$workdir" "$@"
'
# Sets UNSHARE_PID (wait for it: the container's exit status) and SERVER_PID, the container's
# PID 1 as the host sees it (unshare's one child), which stays empty when the command has
# already exited before it was seen: a one-shot command such as `--help` can finish within
# milliseconds, and then only its exit status matters.
start_container() {
  unshare --mount --pid --net --fork --kill-child --propagation private -- /bin/sh -c "$CONTAINER_SCRIPT" sh \
    "$ROOT" "$USER_SPEC" "$WORKDIR_PATH" "$@" >"$RUN/server.log" 2>&1 &
  UNSHARE_PID=$!
  SERVER_PID=""
  for _ in $(seq 1 500); do
    SERVER_PID=$(awk '{print $1}' "/proc/$UNSHARE_PID/task/$UNSHARE_PID/children" 2>/dev/null || true)
    [ -n "$SERVER_PID" ] && return 0
    # unshare gone or a zombie: the command ran and exited.
    [ "$(awk '{print $3}' "/proc/$UNSHARE_PID/stat" 2>/dev/null || echo Z)" != Z ] || return 0
    sleep 0.01
  done
  fail "the container did not start within 5 s"
}
# Like `docker exec`: the container's namespaces, root, working directory, user, environment.
container_exec() {
  nsenter --target "$SERVER_PID" --mount --net --pid --root --wd \
    --setuid "${USER_SPEC%%:*}" --setgid "${USER_SPEC#*:}" -- /usr/bin/env -i "${CONTAINER_ENV[@]}" "$@"
}
# curl from the host, on the container's loopback (its network namespace).
container_curl() { nsenter --target "$SERVER_PID" --net -- curl -sS --max-time 30 "$@"; }

say "mnist-cnn --help, inside the root as $USER_SPEC"
start_container "${VOLUME_MOUNTS[@]}" -- "${CONTAINER_ENV[@]}" "${ENTRY[@]}" --help
wait "$UNSHARE_PID" || fail "mnist-cnn --help exited $?"
UNSHARE_PID=""
head -12 "$RUN/server.log"

# A real test digit: image 0 of the MNIST test set as 784 raw bytes, and its label.
python3 - "$MNIST_DIR" "$RUN" <<'PY'
import gzip, sys
mnist, out = sys.argv[1], sys.argv[2]
def read(name):
    try:
        return gzip.open(f"{mnist}/{name}.gz").read()
    except FileNotFoundError:
        return open(f"{mnist}/{name}", "rb").read()
images, labels = read("t10k-images-idx3-ubyte"), read("t10k-labels-idx1-ubyte")
open(f"{out}/digit.raw", "wb").write(images[16:16 + 784])
open(f"{out}/digit.label", "w").write(str(labels[8]))
PY
LABEL=$(cat "$RUN/digit.label")

MOUNTS=("${VOLUME_MOUNTS[@]}")
RUN_ENV=("${CONTAINER_ENV[@]}")
if [ "$SMOKE_TRAIN" = 1 ]; then
  # The training data, mounted into the container as an operator would (read-only).
  MOUNTS+=("$MNIST_DIR:/data/mnist:ro")
  RUN_ENV+=("MNIST_DIR=/data/mnist")
  CONTAINER_ENV+=("MNIST_DIR=/data/mnist")
fi
say "${ENTRY[*]} ${CMD[*]} as PID 1, user $USER_SPEC, read-only root, port $PORT in its own network namespace"
STARTED=$(date +%s.%N)
start_container "${MOUNTS[@]}" -- "${RUN_ENV[@]}" "${ENTRY[@]}" "${CMD[@]}"
[ -n "$SERVER_PID" ] || fail "the server exited at once"
echo "container PID 1 is host PID $SERVER_PID"
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 600); do
  [ "$(container_curl -o /dev/null -w '%{http_code}' "$URL/readyz" 2>/dev/null)" = 200 ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited during start"
  sleep 0.1
done
[ "$(container_curl -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200 ] || fail "/readyz never answered 200"
echo "ready after $(python3 -c "import time; print(round(time.time() - $STARTED, 2))") s"

say "HEALTHCHECK: ${HEALTH[*]}"
container_exec "${HEALTH[@]}" || fail "the HEALTHCHECK command exited $?"
echo "exit 0"

expect_status() { # status, path, curl args...
  local want=$1 path=$2; shift 2
  local got
  got=$(container_curl -o "$RUN/body" -w '%{http_code}' "$@" "$URL$path") || fail "$path: curl failed"
  [ "$got" = "$want" ] || fail "$path answered $got, expected $want: $(head -c 300 "$RUN/body")"
  echo "$path -> $got"
}
say "probes, web page, spec, metrics"
expect_status 200 /healthz
expect_status 200 /readyz
expect_status 200 /
grep -qi '<html' "$RUN/body" || fail "/ is not the embedded web page"
expect_status 200 /openapi.yaml
grep -q '^openapi: 3\.1' "$RUN/body" || fail "/openapi.yaml is not the embedded OpenAPI 3.1 spec"
expect_status 200 /metrics
grep -q '^# TYPE ' "$RUN/body" || fail "/metrics is not Prometheus text"

say "POST /predict: MNIST test image 0 (label $LABEL), 784 raw bytes"
expect_status 200 /predict -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$RUN/digit.raw"
cat "$RUN/body"; echo
python3 - "$RUN/body" "$LABEL" <<'PY' || fail "/predict did not give the right digit"
import json, sys
answer = json.load(open(sys.argv[1]))
assert answer["digit"] == int(sys.argv[2]), answer
assert 0 <= answer["confidence"] <= 1 and len(answer["probabilities"]) == 10, answer
PY

if [ "$SMOKE_TRAIN" = 1 ]; then
  say "POST /train: a short job that writes its model into the volume"
  # The admin token the service generated at its first start on the volume (mode 0600).
  TOKEN=$(cat "$RUN/volume$(echo "$STATE_DIR" | tr / _)/admin-token")
  expect_status 401 /train -X POST -H 'Content-Type: application/json' --data '{}'
  expect_status 202 /train -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data '{"epochs": 1, "limit": 2000, "activate": "never", "seed": 1}'
  JOB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$RUN/body")
  STATUS=""
  for _ in $(seq 1 300); do
    container_curl -o "$RUN/job" "$URL/train/$JOB" || true
    STATUS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$RUN/job" 2>/dev/null || true)
    case $STATUS in succeeded|failed|cancelled) break ;; esac
    sleep 1
  done
  [ "$STATUS" = succeeded ] || fail "training job $JOB ended $STATUS: $(head -c 600 "$RUN/job")"
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("job", j["id"], j["status"], "model", j.get("model_id"), "metrics", j["metrics"][-1])' "$RUN/job"
  expect_status 200 /models
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("models:", [x["id"] for x in m["models"]], "active:", m["active"])' "$RUN/body"
  echo "written to the volume (host view):"
  (cd "$RUN" && find volume* -type f -printf '%u:%g %m %s %p\n' | sort)
fi

say "stop: $STOP_SIGNAL to PID 1"
STOPPING=$(date +%s.%N)
kill -s "${STOP_SIGNAL#SIG}" "$SERVER_PID"
STATUS=0
wait "$UNSHARE_PID" || STATUS=$?
UNSHARE_PID=""
echo "exit status $STATUS after $(python3 -c "import time; print(round(time.time() - $STOPPING, 2))") s"
[ "$STATUS" = 0 ] || fail "the server exited $STATUS after $STOP_SIGNAL"

cp "$RUN/server.log" "$RUN/serve.log"
if [ "$SMOKE_TRAIN" = 1 ]; then
  # deploy/kubernetes.yaml's training Job, scaled down: its init container's mkdir, then
  # `mnist-cnn train` writing into the volume, in the same container setup.
  say "the training Job: mkdir -p, then mnist-cnn train into the volume (1 epoch, 2000 images)"
  start_container "${MOUNTS[@]}" -- "${CONTAINER_ENV[@]}" mkdir -p "$STATE_DIR/trained"
  wait "$UNSHARE_PID" || fail "the Job's mkdir exited $?: $(cat "$RUN/server.log")"
  start_container "${MOUNTS[@]}" -- "${CONTAINER_ENV[@]}" "${ENTRY[@]}" train --mnist-dir=/data/mnist \
    --out="$STATE_DIR/trained/smoke-job.safetensors" --checkpoint="$STATE_DIR/trained/smoke-job.checkpoint.safetensors" \
    --epochs=1 --limit=2000 --threads=1 --json
  wait "$UNSHARE_PID" || fail "mnist-cnn train exited $?: $(tail -5 "$RUN/server.log")"
  UNSHARE_PID=""
  tail -1 "$RUN/server.log"
  (cd "$RUN" && find volume*/trained -type f -printf '%u:%g %m %s %p\n' | sort)
  [ -s "$RUN/volume$(echo "$STATE_DIR" | tr / _)/trained/smoke-job.safetensors" ] || fail "the Job wrote no model"
fi

say "server log ($(wc -l <"$RUN/serve.log") lines)"
head -5 "$RUN/serve.log"
echo "..."
tail -3 "$RUN/serve.log"
python3 - "$RUN/serve.log" <<'PY' || fail "MNIST_CNN_LOG_FORMAT=json, but a log line is not a JSON object"
import json, sys
for number, line in enumerate(open(sys.argv[1]), 1):
    if line.strip():
        try:
            assert isinstance(json.loads(line), dict)
        except Exception:
            sys.exit(f"line {number}: {line.rstrip()[:200]}")
PY

say "rootfs smoke test passed"
