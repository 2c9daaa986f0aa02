#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: install dependencies, build (Release, with
# tests), run every test with ctest. Ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --with-node
./scripts/build.sh build
cd build
ctest --output-on-failure --timeout 600 -j"$(nproc)"
