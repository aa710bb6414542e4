#!/usr/bin/env bash
# The demo: a real PostgreSQL, Hydra's migration job and Ory Hydra (OAuth2) under
# PM2, started by pm2dock from examples/devstack, then a real OAuth2 call.
# Provisions like `make test` does first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH=/usr/local/go/bin:$PATH

scripts/provision.sh
go build -o bin/pm2dock ./cmd/pm2dock
go build -o bin/oauth2check ./internal/testsupport/oauth2check

cd examples/devstack
if [ ! -f .env ]; then
  # A fresh password and Hydra system secret per checkout; .env is ignored by git
  # and read by compose and pm2dock (never by PM2).
  umask 077
  printf 'POSTGRES_PASSWORD=demo-%s\nHYDRA_SECRETS_SYSTEM=demo-%s\n' \
    "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" > .env
  # A database volume left by an earlier demo was initialised with a password
  # nobody has any more: start the demo's database afresh.
  "$ROOT/bin/pm2dock" stop >/dev/null 2>&1 || true
  docker volume rm -f devstack_pgdata >/dev/null
fi
if ! grep -q '^HYDRA_SECRETS_SYSTEM=' .env; then # a .env of the demo before Hydra
  printf 'HYDRA_SECRETS_SYSTEM=demo-%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >> .env
fi

echo "== pm2dock start (returns when every service is healthy)"
"$ROOT/bin/pm2dock" start
echo
echo "== pm2 ls"
"$ROOT/node_modules/.bin/pm2" ls
echo
echo "== pm2dock status"
"$ROOT/bin/pm2dock" status || true
echo
echo "== an OAuth2 client-credentials flow against Hydra"
"$ROOT/bin/oauth2check" -admin "http://127.0.0.1:${HYDRA_ADMIN_PORT:-54445}" -public "http://127.0.0.1:${HYDRA_PUBLIC_PORT:-54444}"
cat <<MSG

The stack runs under PM2 (namespace devstack). From examples/devstack:
  $ROOT/bin/pm2dock status            one view of PM2 and the containers
  $ROOT/node_modules/.bin/pm2 logs db live lines of the database
  $ROOT/bin/pm2dock logs db --since 10m   stored lines, by time
  $ROOT/bin/pm2dock restart auth      graceful restart of Hydra, waits until healthy
  $ROOT/bin/pm2dock stop              stop everything (containers too)
MSG
