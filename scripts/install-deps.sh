#!/usr/bin/env bash
# Installs the Debian 12 packages reco needs to build, test and benchmark (docs/dependencies.md
# says why each one). Idempotent: packages already installed are skipped, and apt is not
# touched at all when nothing is missing. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost-dev libsqlite3-dev libpq-dev postgresql-15 libssl-dev libfmt-dev libspdlog-dev libsimdjson-dev
  libcli11-dev libtomlplusplus-dev libeigen3-dev libxgboost-dev libmariadb-dev mariadb-server
  libgtest-dev libgmock-dev libbenchmark-dev
  curl wrk nginx sqlite3 python3 ccache openssl
  prometheus prometheus-alertmanager python3-yaml
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf
  librdkafka-dev libhiredis-dev redis-server libhnswlib-dev
  libjpeg-dev libpng-dev python3-torch python3-numpy
  docker-compose systemd dpkg-dev docker.io debootstrap iproute2
  chromium chromium-driver python3-selenium fonts-wqy-microhei
)
if [[ "${1:-}" == "--with-node" ]]; then
  # The Gorse JS SDK compatibility test runs under Node.js; use the machine's node if present.
  command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
