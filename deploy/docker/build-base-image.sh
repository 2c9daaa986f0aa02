#!/usr/bin/env bash
# Builds the Debian 12 base image `reco-base:bookworm` from Debian packages, for machines that
# reach a Debian mirror but no container registry: debootstrap --variant=minbase bookworm, then
# `docker import`. The Dockerfile takes it with --build-arg BASE_IMAGE=reco-base:bookworm.
#
#   deploy/docker/build-base-image.sh [--out FILE] [--mirror URL] [--tag TAG]
#
#   --out FILE    keep the root filesystem tarball in FILE; when FILE already exists it is
#                 imported as it is (no debootstrap), so a cache directory pays debootstrap once
#   --mirror URL  the Debian mirror (default: the first deb.debian.org-style URI of the machine's
#                 /etc/apt/sources.list{,.d}, else http://deb.debian.org/debian)
#   --tag TAG     the image tag (default reco-base:bookworm)
#   --no-import   only write the tarball (--out), do not call docker
#
# DOCKER (default /usr/bin/docker, Debian's docker.io) and DOCKER_HOST pick the daemon. Run as
# root (debootstrap needs it).
set -euo pipefail

out="" mirror="" tag="reco-base:bookworm" do_import=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --mirror) mirror="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --no-import) do_import=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "build-base-image: unknown argument $1" >&2; exit 2 ;;
  esac
done
DOCKER=${DOCKER:-/usr/bin/docker}

# The mirror apt already uses: the first URI of a bookworm (not -security) source.
apt_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [[ -r "$f" ]] || continue
    awk '/^URIs:/ {u=$2} /^Suites:/ && u != "" && /bookworm( |$)/ {print u; exit}
         /^deb / && $3 == "bookworm" {print $2; exit}' "$f"
  done | grep -v security | head -1
}
[[ -n "$mirror" ]] || mirror=$(apt_mirror || true)
[[ -n "$mirror" ]] || mirror=http://deb.debian.org/debian

if [[ -z "$out" || ! -s "$out" ]]; then
  command -v debootstrap >/dev/null || { echo "build-base-image: debootstrap missing (scripts/install-deps.sh)" >&2; exit 1; }
  work=$(mktemp -d /tmp/reco-base.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  echo "build-base-image: debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  root="$work/root"
  # apt inside the image uses the same mirror; no caches, docs or man pages in the base.
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
SOURCES
  cat >"$root/etc/dpkg/dpkg.cfg.d/reco-nodoc" <<'NODOC'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
NODOC
  cat >"$root/etc/apt/apt.conf.d/reco-slim" <<'SLIM'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
SLIM
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
         "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
         "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/*
  tarball=${out:-$work/rootfs.tar}
  mkdir -p "$(dirname "$tarball")"
  tar --numeric-owner --xattrs -C "$root" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
else
  tarball="$out"
  echo "build-base-image: reusing $tarball"
fi

if [[ $do_import -eq 1 ]]; then
  "$DOCKER" import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$tarball" "$tag" >/dev/null
  echo "build-base-image: imported $tag ($(du -h "$tarball" | cut -f1) tarball)"
fi
