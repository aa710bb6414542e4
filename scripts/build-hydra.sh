#!/usr/bin/env bash
# Build pm2dock-test/hydra:v2.3.0 locally (there is no registry): Ory Hydra built
# from the Go module proxy as a static binary, FROM scratch, with our healthcheck
# probe (internal/testsupport/hydraprobe). The image carries the hash of its
# sources in the label org.pm2dock.source-hash and is rebuilt only when that hash
# changes. Idempotent, never asks questions. About 2 min with an empty Go build
# cache, a few seconds with a warm one, instant when the image is current.
# Usage: build-hydra.sh
#
# Why not `go install github.com/ory/hydra/v2@v2.3.0`: hydra's go.mod has replace
# directives, which go install refuses, and one of them points at the nested
# module internal/httpclient, which the module zip does not contain. So: copy the
# module out of the (read-only) module cache, drop that replace (the published
# github.com/ory/hydra-client-go/v2 at the version hydra's go.mod requires is used
# instead; the pop replace stays, it points at a real module) and build there.
# No build tags: `-tags sqlite` would need cgo; without it hydra supports
# PostgreSQL, CockroachDB and MySQL (driver/registry_nosqlite.go).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
command -v go >/dev/null 2>&1 || export PATH=/usr/local/go/bin:$PATH
HYDRA_MODULE=github.com/ory/hydra/v2
HYDRA_VERSION=v2.3.0
TAG=pm2dock-test/hydra:$HYDRA_VERSION
DIR=images/hydra
PROBE=internal/testsupport/hydraprobe

log() { printf 'build-hydra: %s\n' "$*" >&2; }

# shellcheck source=image-lib.sh
. scripts/image-lib.sh

# run LOG CMD...: run quietly, show the output only if the command fails.
run() {
  local logf=$1; shift
  "$@" >"$logf" 2>&1 || { cat "$logf" >&2; log "failed: $*"; return 1; }
}

hash=$( { printf '%s@%s\n' "$HYDRA_MODULE" "$HYDRA_VERSION"
          source_hash scripts/build-hydra.sh $(find $DIR $PROBE -maxdepth 1 -type f \
            \( -path "$PROBE/*.go" ! -name '*_test.go' -o -path "$DIR/*" \) | sort)
        } | sha256sum | cut -c1-16)
if [ "$(current_hash "$TAG")" = "$hash" ]; then log "$TAG is current ($hash)"; exit 0; fi

work=$(mktemp -d)
# The module copy keeps the cache's read-only modes on some files: make it removable.
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/ctx/tmp"
chmod 1777 "$work/ctx/tmp"

log "building $TAG: downloading $HYDRA_MODULE@$HYDRA_VERSION from the module proxy"
# Only hydra's build gets these (the probe is built like build-images.sh builds).
hydra_go() { GOTOOLCHAIN=local GOWORK=off GOFLAGS='-mod=mod -buildvcs=false' CGO_ENABLED=0 go "$@"; }
moddir=$(cd "$work" && hydra_go mod download -json "$HYDRA_MODULE@$HYDRA_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$moddir" ] && [ -f "$moddir/go.mod" ] || { log "go mod download gave no module directory"; exit 1; }
cp -r "$moddir" "$work/src"
chmod -R u+w "$work/src"

log "compiling hydra $HYDRA_VERSION (static, no cgo, no sqlite; up to 2 min)"
(
  cd "$work/src"
  hydra_go mod edit -dropreplace=github.com/ory/hydra-client-go/v2
  # -mod=mod (GOFLAGS) records the published client's checksum in go.sum.
  run "$work/go-build.log" hydra_go build -trimpath \
    -ldflags="-s -w -X github.com/ory/hydra/v2/driver/config.Version=$HYDRA_VERSION" \
    -o "$work/ctx/hydra" .
)
CGO_ENABLED=0 run "$work/probe-build.log" go build -trimpath -ldflags='-s -w' -o "$work/ctx/hydraprobe" "./$PROBE"
cp "$DIR/Dockerfile" "$work/ctx/Dockerfile"

log "building the image ($(du -m "$work/ctx/hydra" | cut -f1) MB hydra binary)"
# The classic builder works on every engine and needs no registry for FROM scratch.
DOCKER_BUILDKIT=0 run "$work/docker-build.log" docker build -q --label "$LABEL=$hash" -t "$TAG" "$work/ctx"
log "built $TAG ($hash)"
