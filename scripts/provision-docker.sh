#!/usr/bin/env bash
# Make a Docker engine answer. Idempotent, never asks questions.
#  - engine already answers: nothing to do;
#  - root on Debian: install docker.io (apt) and start dockerd in the background;
#  - anywhere else: say how to install it and fail.
set -euo pipefail

log() { printf 'provision-docker: %s\n' "$*" >&2; }

engine_up() { timeout 10 docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_up; then
  log "engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  log "no Docker engine answers and this is not root on Debian."
  log "install Docker Engine (https://docs.docker.com/engine/install/) or start Docker Desktop, then run this again."
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # iptables and the containerd/runc it pulls in are what dockerd needs to run here.
  apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
fi

# The docker.io package ships its own client; an older one earlier on PATH is fine too.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd in the background (log: /var/log/pm2dock-dockerd.log)"
  # setsid: dockerd must outlive this script and the CI job step that ran it.
  setsid dockerd >/var/log/pm2dock-dockerd.log 2>&1 < /dev/null &
fi

for _ in $(seq 1 60); do
  if engine_up; then
    log "engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; its log follows"
tail -n 40 /var/log/pm2dock-dockerd.log >&2 || true
exit 1
