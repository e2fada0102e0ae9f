#!/usr/bin/env bash
# Start a Docker engine for the sandbox tests if none is reachable, and wait until `docker info` answers.
#
#   sudo bash sandbox/image/start_docker.sh
#
# For machines without systemd (CI VMs, containers): installs docker.io when dockerd is missing and runs
# `dockerd --iptables=false --ip6tables=false --bridge=none` in the background, logging to $DOCKERD_LOG.
# The sandbox only ever uses network_mode=none, so the engine needs no bridge or NAT rules.
# Idempotent: does nothing when an engine (local or $DOCKER_HOST) already answers.
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/codealign-dockerd.log}
WAIT_S=${DOCKERD_WAIT_S:-60}

log() { echo "[start-docker] $*" >&2; }

if docker info >/dev/null 2>&1; then
  log "engine already running: $(docker info -f '{{.ServerVersion}} ({{.Driver}}, cgroup {{.CgroupVersion}})')"
  exit 0
fi
if [[ -n "${DOCKER_HOST:-}" ]]; then
  log "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine in its place"
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  log "no engine running and not root; run: sudo bash $0"
  exit 1
fi
if ! command -v dockerd >/dev/null; then
  log "installing docker.io"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null
fi
if ! pgrep -x dockerd >/dev/null; then
  log "starting dockerd (log: $DOCKERD_LOG)"
  nohup dockerd --iptables=false --ip6tables=false --bridge=none >>"$DOCKERD_LOG" 2>&1 </dev/null &
fi
for _ in $(seq "$WAIT_S"); do
  if docker info >/dev/null 2>&1; then
    log "engine up: $(docker info -f '{{.ServerVersion}} ({{.Driver}}, cgroup {{.CgroupVersion}})')"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within ${WAIT_S} s; last log lines:"
tail -20 "$DOCKERD_LOG" >&2
exit 1
