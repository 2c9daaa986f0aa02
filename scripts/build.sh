#!/usr/bin/env bash
# Configures and builds reco with CMake + Ninja. Usage: scripts/build.sh [BUILD_DIR] [TARGET...]
# BUILD_DIR defaults to build/; RECO_BUILD_TESTS=OFF skips the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DRECO_BUILD_TESTS="${RECO_BUILD_TESTS:-ON}" -DRECO_BUILD_BENCHMARKS="${RECO_BUILD_BENCHMARKS:-OFF}" >/dev/null
ninja -C "$BUILD_DIR" -j"$(nproc)" "$@"
