#!/usr/bin/env bash
# Build the sandbox root filesystem shared by both backends, then import it as a Docker image.
#
#   sudo bash sandbox/image/build.sh            # or: python -m sandbox.image build
#
# * rootfs:  ${CODEALIGN_SANDBOX_ROOTFS:-/var/cache/codealign/sandbox-rootfs} (bwrap binds it read-only)
# * image:   ${CODEALIGN_SANDBOX_IMAGE:-codealign-sandbox:latest}          (docker import of the same tree)
#
# Debian bookworm, debootstrap --variant=minbase, toolchains installed with --no-install-recommends, docs, man pages,
# locales and apt caches stripped. We use debootstrap + `docker import` rather than a Dockerfile because CI machines
# reach the Debian mirror but no image registry; sandbox/image/Dockerfile is the equivalent for users with a registry.
#
# Idempotent: a stamp file inside the rootfs holds a hash of this script; a matching stamp skips the build, and an
# image whose label carries the same hash skips the import. Set CODEALIGN_SANDBOX_REBUILD=1 to force both.
set -euo pipefail

ROOTFS=${CODEALIGN_SANDBOX_ROOTFS:-/var/cache/codealign/sandbox-rootfs}
IMAGE=${CODEALIGN_SANDBOX_IMAGE:-codealign-sandbox:latest}
MIRROR=${CODEALIGN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
SANDBOX_UID=10001 # the unprivileged user every program runs as (both backends)
# Toolchains: Python (+pytest), C, C++, Java, JavaScript, Go (+testify, which HumanEval-X's Go tests import; in
# GOPATH /usr/share/gocode), Rust.
PACKAGES="python3 python3-pytest gcc g++ libc6-dev openjdk-17-jdk-headless nodejs golang-go golang-github-stretchr-testify-dev rustc"

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
STAMP_HASH=$(sha256sum "$SCRIPT_PATH" | cut -c1-16)
STAMP_FILE="$ROOTFS/etc/codealign-sandbox.stamp"
START_S=$(date +%s)

log() { echo "[sandbox-image] $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root (debootstrap and chroot need it); try: sudo bash $SCRIPT_PATH"
  exit 1
fi

cleanup_mounts() {
  for m in proc dev/pts; do
    if mountpoint -q "$ROOTFS/$m" 2>/dev/null; then umount -l "$ROOTFS/$m" || true; fi
  done
}

build_rootfs() {
  command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -q debootstrap >/dev/null; }
  local tmp="$ROOTFS.partial"
  cleanup_mounts
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "debootstrap $SUITE (minbase) from $MIRROR into $tmp"
  debootstrap --variant=minbase "$SUITE" "$tmp" "$MIRROR" >"$tmp.debootstrap.log" 2>&1 ||
    { tail -30 "$tmp.debootstrap.log" >&2; exit 1; }
  configure_apt "$tmp"
  log "installing toolchains: $PACKAGES"
  mount -t proc proc "$tmp/proc"
  trap 'umount -l "$tmp/proc" 2>/dev/null || true' EXIT
  chroot "$tmp" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends $PACKAGES >"$tmp.apt.log" 2>&1 ||
    { tail -30 "$tmp.apt.log" >&2; exit 1; }
  prewarm "$tmp"
  umount -l "$tmp/proc"
  trap - EXIT
  add_user "$tmp"
  strip_rootfs "$tmp"
  echo "$STAMP_HASH" >"$tmp/etc/codealign-sandbox.stamp"
  rm -rf "$ROOTFS.old" "$tmp.debootstrap.log" "$tmp.apt.log"
  # Swap, then delete: sandboxes running meanwhile keep the old tree (bind-mounted), new ones get the new one.
  if [[ -d "$ROOTFS" ]]; then mv "$ROOTFS" "$ROOTFS.old"; fi
  mv "$tmp" "$ROOTFS"
  rm -rf "$ROOTFS.old"
}

configure_apt() {
  local root=$1
  # Never install docs/man pages/locales; never start services; dpkg without fsync (a throwaway build).
  cat >"$root/etc/dpkg/dpkg.cfg.d/01-codealign-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
EOF
  echo "force-unsafe-io" >"$root/etc/dpkg/dpkg.cfg.d/02-codealign-unsafe-io"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/01-codealign"
  echo "deb $MIRROR $SUITE main" >"$root/etc/apt/sources.list"
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get update -q >/dev/null
}

prewarm() {
  local root=$1
  # Bytecode for the standard library and pytest, so `import pytest` does not compile on every run.
  chroot "$root" /usr/bin/python3 -m compileall -q -j 0 /usr/lib/python3.11 /usr/lib/python3/dist-packages \
    >/dev/null 2>&1 || true
  # Go 1.19 ships a precompiled standard library (pkg/linux_amd64); check a build works with only a tmp GOCACHE.
  mkdir -p "$root/tmp/gowarm"
  printf 'package main\nimport "fmt"\nfunc main() { fmt.Println("ok") }\n' >"$root/tmp/gowarm/main.go"
  chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp GOCACHE=/tmp/gowarm/cache GO111MODULE=off \
    go build -o /tmp/gowarm/main /tmp/gowarm/main.go
  rm -rf "$root/tmp/gowarm"
}

add_user() {
  local root=$1
  chroot "$root" groupadd -g "$SANDBOX_UID" sandbox
  chroot "$root" useradd -u "$SANDBOX_UID" -g "$SANDBOX_UID" -d /work -M -s /usr/sbin/nologin sandbox
  # /work is the tmpfs work directory mount point in both backends.
  mkdir -p "$root/work"
  chmod 1777 "$root/tmp" "$root/work"
}

strip_rootfs() {
  local root=$1
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  rm -rf "$root"/var/log/* "$root"/tmp/* "$root"/var/cache/debconf/*-old "$root"/usr/sbin/policy-rc.d
  rm -f "$root/etc/dpkg/dpkg.cfg.d/02-codealign-unsafe-io"
}

import_image() {
  if ! docker info >/dev/null 2>&1; then
    log "no Docker engine reachable; skipped 'docker import' (run sandbox/image/start_docker.sh, then this again)"
    return 0
  fi
  local have
  have=$(docker image inspect -f '{{ index .Config.Labels "codealign.stamp" }}' "$IMAGE" 2>/dev/null || true)
  if [[ "$have" == "$STAMP_HASH" && -z "${CODEALIGN_SANDBOX_REBUILD:-}" ]]; then
    log "image $IMAGE is up to date (stamp $STAMP_HASH)"
    return 0
  fi
  log "importing $ROOTFS as $IMAGE"
  tar -C "$ROOTFS" --numeric-owner -c . | docker import \
    --change "LABEL codealign.stamp=$STAMP_HASH" \
    --change "USER $SANDBOX_UID:$SANDBOX_UID" \
    --change "WORKDIR /work" \
    --change "ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8" \
    - "$IMAGE" >/dev/null
}

if [[ -f "$STAMP_FILE" && "$(cat "$STAMP_FILE")" == "$STAMP_HASH" && -z "${CODEALIGN_SANDBOX_REBUILD:-}" ]]; then
  log "rootfs $ROOTFS is up to date (stamp $STAMP_HASH)"
else
  build_rootfs
fi
import_image
log "done in $(($(date +%s) - START_S)) s; rootfs $(du -sh "$ROOTFS" | cut -f1) at $ROOTFS"
