#!/usr/bin/env bash
# The demo: a real PostgreSQL and an auth server stand-in under PM2, started by
# pm2dock from examples/devstack. Provisions like `make test` does first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH=/usr/local/go/bin:$PATH

scripts/provision.sh
go build -o bin/pm2dock ./cmd/pm2dock

cd examples/devstack
if [ ! -f .env ]; then
  # A fresh password per checkout; .env is ignored by git and read by compose and pm2dock.
  umask 077
  printf 'POSTGRES_PASSWORD=demo-%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > .env
  # A database volume left by an earlier demo was initialised with a password
  # nobody has any more: start the demo's database afresh.
  "$ROOT/bin/pm2dock" stop >/dev/null 2>&1 || true
  docker volume rm -f devstack_pgdata >/dev/null
fi

echo "== pm2dock start (returns when every service is healthy)"
"$ROOT/bin/pm2dock" start
echo
echo "== pm2 ls"
"$ROOT/node_modules/.bin/pm2" ls
echo
echo "== pm2dock status"
"$ROOT/bin/pm2dock" status || true
cat <<MSG

The stack runs under PM2 (namespace devstack). From examples/devstack:
  $ROOT/bin/pm2dock status            one view of PM2 and the containers
  $ROOT/node_modules/.bin/pm2 logs db live lines of the database
  $ROOT/bin/pm2dock logs db --since 10m   stored lines, by time
  $ROOT/bin/pm2dock restart auth      graceful restart, waits until healthy
  $ROOT/bin/pm2dock stop              stop everything (containers too)
MSG
