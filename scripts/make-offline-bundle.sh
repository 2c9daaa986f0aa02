#!/usr/bin/env bash
# Builds the offline bundle reco-offline-VERSION-amd64.tar on a machine with the Debian archive
# reachable: the .deb plus every .deb it needs on a bare Debian 12 (minbase), the image (docker
# save), deploy/, optionally a trained models/ directory, docs, the smoke test, SHA256SUMS and
# install.sh (deploy/bundle/install.sh). docs/deploy.md, "Offline bundle", says how to use it.
#
# Usage: scripts/make-offline-bundle.sh --out DIR [--with-models DATA_DIR]
#          [--image-tar FILE | --no-image] [--build-dir DIR] [--base-status FILE]
#        scripts/make-offline-bundle.sh --minbase-tar   (prints the cached minbase tar's path,
#                                                        creating it with debootstrap if needed)
#
#   --build-dir    the Release build whose `cpack -G DEB` makes the .deb (default: build)
#   --with-models  copy DATA_DIR/models (a trained registry) into the bundle
#   --image-tar    the image as written by `docker save` (default: `docker save reco:VERSION`
#                  when that image exists locally; without either, --no-image is required)
#   --base-status  dpkg status file of the target system; its packages are not bundled
#                  (default: the status of a debootstrap --variant=minbase bookworm root, cached
#                  in ${RECO_CACHE_DIR:-/var/cache/reco-ci}/bookworm-minbase.tar)
# Extra runtime tools bundled with their dependencies: curl (scripts/smoke_test.sh uses it).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE_DIR=${RECO_CACHE_DIR:-/var/cache/reco-ci}
MINBASE_TAR=$CACHE_DIR/bookworm-minbase.tar
MIRROR=${RECO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
EXTRA_PACKAGES=(curl)

die() { echo "make-offline-bundle: $*" >&2; exit 1; }
usage() { sed -n '7,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# The cached minbase root as a tar (debootstrap only on the first run).
ensure_minbase() {
  [[ -f $MINBASE_TAR ]] && return 0
  command -v debootstrap >/dev/null || die "debootstrap is not installed (scripts/install-deps.sh)"
  mkdir -p "$CACHE_DIR"
  local tmp
  tmp=$(mktemp -d "$CACHE_DIR/minbase.XXXXXX")
  echo "make-offline-bundle: debootstrap --variant=minbase bookworm (cached in $MINBASE_TAR)" >&2
  debootstrap --variant=minbase bookworm "$tmp/root" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 ||
    die "debootstrap failed, see $tmp/debootstrap.log"
  tar -C "$tmp/root" -cf "$tmp/minbase.tar" .
  mv "$tmp/minbase.tar" "$MINBASE_TAR"
  rm -rf "$tmp"
}

OUT="" BUILD_DIR=$ROOT/build MODELS_FROM="" IMAGE_TAR="" NO_IMAGE=0 BASE_STATUS=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --build-dir) BUILD_DIR=${2:?--build-dir needs a directory}; shift 2 ;;
    --with-models) MODELS_FROM=${2:?--with-models needs a data directory}; shift 2 ;;
    --image-tar) IMAGE_TAR=${2:?--image-tar needs a file}; shift 2 ;;
    --no-image) NO_IMAGE=1; shift ;;
    --base-status) BASE_STATUS=${2:?--base-status needs a file}; shift 2 ;;
    --minbase-tar) ensure_minbase; echo "$MINBASE_TAR"; exit 0 ;;
    -h|--help) usage ;;
    *) echo "make-offline-bundle: unknown argument $1" >&2; usage ;;
  esac
done
[[ -n $OUT ]] || { echo "make-offline-bundle: --out DIR is required" >&2; usage; }
[[ -f $BUILD_DIR/CPackConfig.cmake ]] ||
  die "$BUILD_DIR is not a configured build (no CPackConfig.cmake); run scripts/build.sh first"
if [[ -n $MODELS_FROM && ! -d $MODELS_FROM/models ]]; then
  die "--with-models $MODELS_FROM: no models/ directory there (run reco train --data-dir first)"
fi
VERSION=$(sed -n 's/^project(reco VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
[[ -n $VERSION ]] || die "no version in project() of $ROOT/CMakeLists.txt"

# The image: explicit tar, else the local reco:VERSION, else only with --no-image.
if [[ -n $IMAGE_TAR ]]; then
  [[ -f $IMAGE_TAR ]] || die "--image-tar $IMAGE_TAR: no such file"
elif [[ $NO_IMAGE -eq 0 ]]; then
  if ! command -v docker >/dev/null || ! docker image inspect "reco:$VERSION" >/dev/null 2>&1; then
    die "no image reco:$VERSION in the local Docker (build it with deploy/docker/build-base-image.sh" \
        "and docker build), and no --image-tar FILE; pass --no-image for a bundle that installs" \
        "with dpkg only"
  fi
fi

NAME=reco-offline-$VERSION-amd64
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "$OUT/.bundle.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
B=$WORK/$NAME
mkdir -p "$B/debs/deps" "$B/docs" "$B/scripts"

echo "make-offline-bundle: cpack -G DEB ($BUILD_DIR)" >&2
cpack -G DEB --config "$BUILD_DIR/CPackConfig.cmake" -B "$WORK/cpack" >"$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log" >&2; die "cpack failed"; }
DEB=$WORK/cpack/reco_${VERSION}_amd64.deb
[[ -f $DEB ]] || die "cpack did not write $DEB"
cp "$DEB" "$B/debs/"

# Runtime dependencies: apt resolves the .deb (and the extra tools) against the target's dpkg
# status, so exactly what a bare minbase lacks is downloaded, with alternatives chosen as apt
# would choose them on that machine.
if [[ -z $BASE_STATUS ]]; then
  ensure_minbase
  tar -C "$WORK" -xf "$MINBASE_TAR" ./var/lib/dpkg/status
  BASE_STATUS=$WORK/var/lib/dpkg/status
fi
[[ -f $BASE_STATUS ]] || die "--base-status $BASE_STATUS: no such file"
mkdir -p "$WORK/apt/archives/partial" "$WORK/apt/state"
: >"$WORK/apt/state/extended_states"
echo "make-offline-bundle: resolving dependencies against $(grep -c '^Package:' "$BASE_STATUS") base packages" >&2
apt-get install -y -q --download-only --no-install-recommends \
  -o Dir::State::status="$BASE_STATUS" -o Dir::State::extended_states="$WORK/apt/state/extended_states" \
  -o Dir::Cache::archives="$WORK/apt/archives" -o Dir::Cache::pkgcache="" \
  -o Dir::Cache::srcpkgcache="" -o Debug::NoLocking=1 -o APT::Sandbox::User=root \
  "$B/debs/reco_${VERSION}_amd64.deb" "${EXTRA_PACKAGES[@]}" >"$WORK/apt.log" 2>&1 ||
  { cat "$WORK/apt.log" >&2; die "apt-get could not resolve or download the dependencies"; }
shopt -s nullglob
deps=("$WORK"/apt/archives/*.deb)
[[ ${#deps[@]} -gt 0 ]] || die "apt downloaded no dependency (see $WORK/apt.log)"
mv "${deps[@]}" "$B/debs/deps/"

if [[ -n $IMAGE_TAR ]]; then
  mkdir -p "$B/image" && cp "$IMAGE_TAR" "$B/image/reco-$VERSION.tar"
elif [[ $NO_IMAGE -eq 0 ]]; then
  mkdir -p "$B/image"
  echo "make-offline-bundle: docker save reco:$VERSION" >&2
  docker save -o "$B/image/reco-$VERSION.tar" "reco:$VERSION"
fi

if [[ -n $MODELS_FROM ]]; then
  cp -a "$MODELS_FROM/models" "$B/models"
  # Temporary files of an interrupted training run are not part of a model.
  find "$B/models" -name '*.tmp' -delete
fi

cp -a "$ROOT/deploy" "$B/deploy"
rm -rf "$B/deploy/bundle"
for f in deploy.md deploy.zh-CN.md configuration.md operations.md operations.zh-CN.md registry.md; do
  [[ -f $ROOT/docs/$f ]] && cp "$ROOT/docs/$f" "$B/docs/"
done
cp "$ROOT/reco.toml.example" "$B/docs/"
cp "$ROOT/scripts/smoke_test.sh" "$B/scripts/"
cp "$ROOT/deploy/bundle/install.sh" "$B/install.sh"
cp "$ROOT/deploy/bundle/README.md" "$B/README.md"
chmod 0755 "$B/install.sh" "$B/scripts/smoke_test.sh"
echo "$VERSION" >"$B/VERSION"

# Every file but SHA256SUMS itself, sorted, paths relative to the bundle root.
(cd "$B" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum \
   >"$WORK/SHA256SUMS")
mv "$WORK/SHA256SUMS" "$B/SHA256SUMS"

tar -C "$WORK" -cf "$OUT/$NAME.tar.part" "$NAME"
mv "$OUT/$NAME.tar.part" "$OUT/$NAME.tar"
echo "make-offline-bundle: wrote $OUT/$NAME.tar ($(du -h "$OUT/$NAME.tar" | cut -f1)," \
     "$(($(wc -l <"$B/SHA256SUMS"))) files, $(ls "$B/debs/deps" | wc -l) dependency packages)"
