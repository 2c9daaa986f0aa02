#!/bin/sh
# Installs reco from this offline bundle, with no network: every file is checked against
# SHA256SUMS first, and a bundle with a missing, altered or unlisted file is refused (each one
# named). Then either the .deb and its dependencies (dpkg -i) or the image (docker load).
#
# Usage: ./install.sh [--verify-only] [--deb | --docker [--site-dir DIR] [--no-start]]
#   --verify-only  check SHA256SUMS and exit (0: intact, 1: refused)
#   --deb          dpkg -i debs/deps/*.deb debs/reco_*.deb; models/ (when bundled) goes to
#                  /var/lib/reco/models unless models are already there
#   --docker       docker load -i image/*.tar; the Compose files into DIR/compose (default
#                  /opt/reco); .env made from .env.example on the first install (values of the
#                  same names in this script's environment are used, MODEL_RELOAD_TOKEN is
#                  generated when empty), kept on an upgrade with RECO_IMAGE moved to this
#                  version; bundled models into the reco-models volume when it has none; then
#                  `docker-compose up -d` (or `docker compose`) unless --no-start
# Without --deb or --docker: --deb when the bundle has no image, else you must choose.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DATA_DIR=/var/lib/reco
MODE="" VERIFY_ONLY=0 SITE_DIR=/opt/reco START=1
while [ $# -gt 0 ]; do
  case $1 in
    --verify-only) VERIFY_ONLY=1 ;;
    --deb) MODE=deb ;;
    --docker) MODE=docker ;;
    --site-dir) [ $# -ge 2 ] || { echo "install.sh: --site-dir needs a directory" >&2; exit 2; }
                SITE_DIR=$2; shift ;;
    --no-start) START=0 ;;
    -h|--help) sed -n '6,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (--verify-only, --deb, --docker, --site-dir DIR, --no-start)" >&2
       exit 2 ;;
  esac
  shift
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

# The Compose command this machine has: Debian's docker-compose 1.29 or the v2 plugin, run in
# the site's compose directory with .env as the only source of its variables (a variable of the
# same name in the installer's environment would otherwise win over .env).
compose() (
  cd "$SITE_DIR/compose"
  if [ -f .env ]; then
    for key in $(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env); do unset "$key"; done
  fi
  if command -v docker-compose >/dev/null; then docker-compose "$@"
  elif docker compose version >/dev/null 2>&1; then docker compose "$@"
  else echo "install.sh: neither docker-compose nor the docker compose plugin is installed" >&2
       return 1
  fi
)

# .env of the site: made once from .env.example (the installer's environment may set any of its
# names), kept on an upgrade except RECO_IMAGE, which moves to this bundle's image.
write_env() {
  env_file=$SITE_DIR/compose/.env
  if [ -f "$env_file" ]; then
    sed -i "s|^RECO_IMAGE=.*|RECO_IMAGE=reco:$VERSION|" "$env_file"
    say "kept $env_file (RECO_IMAGE=reco:$VERSION)"
    return 0
  fi
  tmp=$env_file.part
  while IFS= read -r line; do
    case $line in
      [A-Z]*=*)
        key=${line%%=*}
        value=$(printenv "$key" || true)
        if [ -n "$value" ]; then line="$key=$value"; fi ;;
    esac
    echo "$line"
  done <"$HERE/deploy/compose/.env.example" >"$tmp"
  sed -i "s|^RECO_IMAGE=.*|RECO_IMAGE=reco:$VERSION|" "$tmp"
  if grep -q '^MODEL_RELOAD_TOKEN=$' "$tmp"; then
    token=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    sed -i "s|^MODEL_RELOAD_TOKEN=$|MODEL_RELOAD_TOKEN=$token|" "$tmp"
  fi
  chmod 0600 "$tmp"
  mv "$tmp" "$env_file"
  say "wrote $env_file (a new MODEL_RELOAD_TOKEN; edit the ports and secrets there)"
}

# The bundled models go into the reco-models volume through the image itself (no host path of
# the volume is assumed), only when the volume has no models yet: an upgrade keeps the site's.
docker_models() {
  [ -d "$HERE/models" ] || return 0
  compose run --rm --no-deps -T --entrypoint sh \
     -v "$HERE/models:/srv/reco/bundled-models:ro" reco-volumes -c '
       if [ -n "$(ls -A /var/lib/reco/models)" ]; then
         echo "install.sh: the reco-models volume already has models; the bundled ones were not copied"
       else
         cp -a /srv/reco/bundled-models/. /var/lib/reco/models/ &&
         chown -R 50000:50000 /var/lib/reco /var/lib/reco/models &&
         echo "install.sh: copied the bundled models into the reco-models volume (verified again by reco serve at start-up)"
       fi'
}

install_docker() {
  [ -n "$IMAGE" ] || { echo "install.sh: this bundle has no image (made with --no-image); use --deb" >&2; exit 1; }
  command -v docker >/dev/null || { echo "install.sh: docker not found; use --deb" >&2; exit 1; }
  mkdir -p "$SITE_DIR/compose"
  compose version >/dev/null
  say "docker load -i ${IMAGE#$HERE/}"
  docker load -i "$IMAGE"
  # compose/ refers to ../monitoring/alert_rules.yml: both directories side by side.
  mkdir -p "$SITE_DIR/compose" "$SITE_DIR/monitoring"
  cp "$HERE"/deploy/compose/docker-compose.yml "$HERE"/deploy/compose/prometheus.yml \
     "$HERE"/deploy/compose/alertmanager.yml "$HERE"/deploy/compose/.env.example "$SITE_DIR/compose/"
  cp "$HERE"/deploy/monitoring/*.yml "$SITE_DIR/monitoring/"
  write_env
  docker_models
  if [ "$START" -eq 0 ]; then
    say "installed into $SITE_DIR; start with: cd $SITE_DIR/compose && docker-compose up -d"
    return 0
  fi
  compose up -d
  say "started; check with: scripts/smoke_test.sh http://127.0.0.1:$(sed -n 's/^RECOMMEND_API_HOST_PORT=//p' "$SITE_DIR/compose/.env")"
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
  install_docker
fi
exit 0
