#!/usr/bin/env bash
# Make `docker compose` (the v2 CLI plugin) answer. Idempotent, never asks questions.
# When it is missing, build it from the Go module proxy inside a throwaway helper
# module (compose's own go.mod has exclude directives, so `go install pkg@version`
# refuses it) and install it where the docker CLI finds it whatever DOCKER_CONFIG
# says: as root /usr/local/lib/docker/cli-plugins (a system plugin folder; a
# DOCKER_CONFIG of a test or a user's own would hide ~/.docker/cli-plugins),
# else ~/.docker/cli-plugins.
set -euo pipefail

COMPOSE_VERSION=${COMPOSE_VERSION:-v2.40.3}
USER_DIR=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
if [ "$(id -u)" = 0 ]; then PLUGIN_DIR=/usr/local/lib/docker/cli-plugins; else PLUGIN_DIR=$USER_DIR; fi

log() { printf 'provision-compose: %s\n' "$*" >&2; }

if docker compose version >/dev/null 2>&1; then
  if [ ! -x "$PLUGIN_DIR/docker-compose" ] && [ -x "$USER_DIR/docker-compose" ]; then
    log "copying $USER_DIR/docker-compose to $PLUGIN_DIR (found there whatever DOCKER_CONFIG is)"
    mkdir -p "$PLUGIN_DIR"
    cp "$USER_DIR/docker-compose" "$PLUGIN_DIR/docker-compose.tmp"
    mv "$PLUGIN_DIR/docker-compose.tmp" "$PLUGIN_DIR/docker-compose"
  fi
  log "compose answers ($(docker compose version --short 2>/dev/null))"
  exit 0
fi

command -v go >/dev/null 2>&1 || export PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null 2>&1 || { log "Go is needed to build the compose plugin; install Go 1.24+"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "building docker compose $COMPOSE_VERSION from the Go module proxy (a few minutes the first time)"
cd "$work"
go mod init pm2dock.local/compose-build >/dev/null 2>&1
cat > tools.go <<'EOF'
//go:build tools

package tools

import _ "github.com/docker/compose/v2/cmd"
EOF
go get "github.com/docker/compose/v2@${COMPOSE_VERSION}" >/dev/null 2>&1 || go get "github.com/docker/compose/v2@${COMPOSE_VERSION}"
go mod tidy >/dev/null 2>&1 || true
mkdir -p "$PLUGIN_DIR"
CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=${COMPOSE_VERSION}" \
  -o "$PLUGIN_DIR/docker-compose.tmp" github.com/docker/compose/v2/cmd
mv "$PLUGIN_DIR/docker-compose.tmp" "$PLUGIN_DIR/docker-compose"
docker compose version
