#!/usr/bin/env bash
# What the engine tests (test/e2e/engines_test.go) need besides dockerd:
# openssh-server (an sshd of the test's own on 127.0.0.1, reached through the
# docker CLI's ssh connection helper) and podman (its Docker-compatible API
# service on a unix socket of the test's own). Idempotent, never asks
# questions. Neither is started here: each test starts and stops its own.
#
# Podman's network backend is named (netavark, harness/podman.go), and
# Debian's podman only recommends it: with --no-install-recommends, apt picks
# containernetworking-plugins and `podman system service` exits at once
# ("could not find netavark"). So netavark (with aardvark-dns, its DNS) is
# asked for by name, also on a machine that has podman already. Each is
# checked as a package, not a command: netavark is no command on PATH
# (/usr/lib/podman/netavark). Not crun: Podman prefers it when present, and
# it refuses a host with cgroups in hybrid mode ("drop all controllers from
# cgroupv2"); runc, which docker.io brings, runs on both.
set -euo pipefail
log() { echo "provision-engines: $*" >&2; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v podman >/dev/null 2>&1 || need+=(podman)
if command -v dpkg-query >/dev/null 2>&1; then
  for p in netavark aardvark-dns; do installed "$p" || need+=("$p"); done
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  log "missing ${need[*]} and this is not root on Debian: install them, or the engine tests skip (fail under PM2DOCK_E2E_DISALLOW_SKIP=1)"
  exit 1
fi
log "installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
