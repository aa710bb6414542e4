#!/usr/bin/env bash
# Headless Chromium from Debian's packages, for the dashboard's browser test and
# its bench row (make test, make bench). Idempotent: does nothing when a chromium
# binary is there. PM2DOCK_CHROMIUM names another Chrome or Chromium to use.
set -euo pipefail
log() { echo "provision-browser: $*" >&2; }
if [ -n "${PM2DOCK_CHROMIUM:-}" ] && [ -x "$PM2DOCK_CHROMIUM" ]; then exit 0; fi
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  log "no chromium here and this is not root on Debian: install Chromium or Chrome, or set PM2DOCK_CHROMIUM"
  exit 1
fi
log "installing chromium with apt-get (about a minute)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
