#!/bin/sh
# Installs reco from this offline bundle, with no network: every file is checked against
# SHA256SUMS first, and a bundle with a missing, altered or unlisted file is refused (each one
# named). Then either the .deb and its dependencies (dpkg -i) or the image (docker load).
#
# Usage: ./install.sh [--verify-only] [--deb | --docker]
#   --verify-only  check SHA256SUMS and exit (0: intact, 1: refused)
#   --deb          dpkg -i debs/deps/*.deb debs/reco_*.deb; models/ (when bundled) goes to
#                  /var/lib/reco/models unless models are already there
#   --docker       docker load -i image/*.tar (then docker-compose, see README.md)
# Without --deb or --docker: --deb when the bundle has no image, else you must choose.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DATA_DIR=/var/lib/reco
MODE="" VERIFY_ONLY=0
for arg in "$@"; do
  case $arg in
    --verify-only) VERIFY_ONLY=1 ;;
    --deb) MODE=deb ;;
    --docker) MODE=docker ;;
    -h|--help) sed -n '6,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $arg (--verify-only, --deb, --docker)" >&2; exit 2 ;;
  esac
done

say() { echo "install.sh: $*"; }

# Every listed file exists with its checksum, and every file is listed (an unlisted .deb in
# debs/ would otherwise be installed unchecked). Prints one line per problem.
verify() {
  cd "$HERE"
  if [ ! -f SHA256SUMS ]; then
    echo "install.sh: REFUSED: SHA256SUMS is missing; this bundle cannot be verified" >&2
    return 1
  fi
  bad=0
  listed=$(mktemp)
  while read -r sum path; do
    [ -n "$path" ] || continue
    echo "$path" >>"$listed"
    if [ ! -f "$path" ]; then
      echo "install.sh: missing file: $path" >&2; bad=$((bad + 1)); continue
    fi
    actual=$(sha256sum "$path" | cut -d' ' -f1)
    if [ "$actual" != "$sum" ]; then
      echo "install.sh: altered file (sha256 differs from SHA256SUMS): $path" >&2
      bad=$((bad + 1))
    fi
  done <SHA256SUMS
  LC_ALL=C sort -o "$listed" "$listed"
  unlisted=$(find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort |
             LC_ALL=C comm -23 - "$listed")
  rm -f "$listed"
  for path in $unlisted; do
    echo "install.sh: file not in SHA256SUMS: $path" >&2; bad=$((bad + 1))
  done
  if [ "$bad" -ne 0 ]; then
    echo "install.sh: REFUSED: $bad file(s) of the bundle do not match SHA256SUMS; nothing was installed" >&2
    return 1
  fi
  say "verified $(grep -c . SHA256SUMS) files against SHA256SUMS"
}

verify || exit 1
[ "$VERIFY_ONLY" -eq 1 ] && exit 0

VERSION=$(cat "$HERE/VERSION")
IMAGE=$(ls "$HERE"/image/*.tar 2>/dev/null | head -n 1 || true)
if [ -z "$MODE" ]; then
  if [ -z "$IMAGE" ]; then MODE=deb; else
    echo "install.sh: this bundle has both the image and the .deb: pass --deb or --docker" >&2
    exit 2
  fi
fi
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (sudo ./install.sh --$MODE)" >&2; exit 1; }

install_models() {  # the bundled models, only where none are yet (an upgrade keeps its models)
  [ -d "$HERE/models" ] || return 0
  if [ -d "$DATA_DIR/models" ] && [ -n "$(ls -A "$DATA_DIR/models")" ]; then
    say "$DATA_DIR/models already has models; the bundled ones were not copied (kept: $(ls "$DATA_DIR/models" | wc -l) entries)"
    return 0
  fi
  mkdir -p "$DATA_DIR"
  cp -a "$HERE/models" "$DATA_DIR/models"
  chown -R reco:reco "$DATA_DIR"
  chmod 0750 "$DATA_DIR"
  say "copied the bundled models to $DATA_DIR/models (verified again by reco serve at start-up)"
}

if [ "$MODE" = deb ]; then
  command -v dpkg >/dev/null || { echo "install.sh: dpkg not found; use --docker" >&2; exit 1; }
  say "dpkg -i: reco $VERSION and $(ls "$HERE"/debs/deps/*.deb | wc -l) dependency packages"
  DEBIAN_FRONTEND=noninteractive dpkg -i "$HERE"/debs/deps/*.deb "$HERE"/debs/reco_*.deb
  install_models
  if [ -d /run/systemd/system ]; then
    say "installed; systemctl status reco-serve (started by the package)"
  else
    say "installed; systemd is not running here, start the server with:"
    say "  su -s /bin/sh reco -c 'reco serve --data-dir $DATA_DIR --config /etc/reco/reco.toml'"
  fi
else
  [ -n "$IMAGE" ] || { echo "install.sh: this bundle has no image (made with --no-image); use --deb" >&2; exit 1; }
  command -v docker >/dev/null || { echo "install.sh: docker not found; use --deb" >&2; exit 1; }
  docker load -i "$IMAGE"
  say "loaded reco:$VERSION; next: cd $HERE/deploy/compose && cp .env.example .env" \
      "(set MODEL_RELOAD_TOKEN) && docker-compose up -d"
  [ -d "$HERE/models" ] && say "bundled models: copy $HERE/models into the reco-models volume" \
      "before the first start (README.md)"
fi
exit 0
