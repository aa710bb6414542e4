#!/usr/bin/env bash
# Everything the tests and the demo need on this machine, in order. Idempotent and
# non-interactive: each step checks first and does nothing when its part is there.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null 2>&1 || export PATH=/usr/local/go/bin:$PATH

scripts/provision-docker.sh
scripts/provision-compose.sh
if [ ! -x node_modules/.bin/pm2 ] || [ ! -x node_modules/.bin/nx ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "provision: npm ci (PM2 and Nx, pinned in package-lock.json)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
scripts/provision-registry.sh
scripts/build-images.sh
