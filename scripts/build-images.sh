#!/usr/bin/env bash
# Build the images pm2dock's tests and demo use, locally (there is no registry):
#   pm2dock-test/postgres:15   Debian's postgresql-15 (mmdebstrap → docker import)
#   pm2dock-test/fixture:dev   the fixture service (FROM scratch, static Go binary)
#   pm2dock-test/authstub:dev  the Zitadel stand-in (FROM scratch, static Go binary)
#   pm2dock-test/hydra:v2.3.0  Ory Hydra from the Go module proxy (scripts/build-hydra.sh)
# Each image carries the hash of its sources in the label org.pm2dock.source-hash
# and is rebuilt only when that hash changes. Idempotent, never asks questions.
# Usage: build-images.sh [postgres|fixture|authstub|hydra]...   (default: all)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
command -v go >/dev/null 2>&1 || export PATH=/usr/local/go/bin:$PATH

log() { printf 'build-images: %s\n' "$*" >&2; }

# shellcheck source=image-lib.sh
. scripts/image-lib.sh

# debian_mirror prints the Debian mirror this machine's apt uses (never hard-coded).
debian_mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  fi
  [ -n "$uri" ] || { log "no Debian mirror found in /etc/apt/sources.list{,.d}"; return 1; }
  printf '%s\n' "$uri"
}

# build_postgres: the Debian root filesystem is cached as its own image (it only
# depends on the package list); the entrypoint, stop signal and healthcheck are a
# Dockerfile layer on top, rebuilt in a second when they change.
build_postgres() {
  local tag=pm2dock-test/postgres:15 rootfs=pm2dock-test/postgres-rootfs:15 dir=images/postgres hash rhash
  rhash=$(printf 'bookworm postgresql-15 v1\n' | sha256sum | cut -c1-16)
  if [ "$(current_hash $rootfs)" != "$rhash" ]; then
    build_postgres_rootfs $rootfs "$rhash"
  fi
  hash=$(source_hash scripts/build-images.sh $dir/Dockerfile $dir/docker-entrypoint.sh)-$rhash
  if [ "$(current_hash $tag)" = "$hash" ]; then log "$tag is current ($hash)"; return; fi
  # The classic builder works on every engine and needs no registry for FROM a local image.
  DOCKER_BUILDKIT=0 docker build -q --label "$LABEL=$hash" -t $tag $dir >/dev/null 2>"$dir/.build.log" ||
    { cat "$dir/.build.log" >&2; return 1; }
  rm -f "$dir/.build.log"
  log "built $tag ($hash)"
}

build_postgres_rootfs() {
  local tag=$1 hash=$2
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { log "mmdebstrap is needed: sudo apt-get install mmdebstrap"; return 1; }
    log "installing mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null; }
  fi
  local mirror; mirror=$(debian_mirror)
  log "building $tag from Debian bookworm's postgresql-15 via $mirror (about a minute)"
  local work; work=$(mktemp -d)
  mmdebstrap --quiet --variant=apt --include=postgresql-15 \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -rf "$1"/var/lib/postgresql/15/main "$1"/etc/postgresql/15/main "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
    bookworm "$work/rootfs.tar" "$mirror"
  docker import --change "LABEL $LABEL=$hash" "$work/rootfs.tar" "$tag" >/dev/null
  rm -rf "$work"
}

# build_go_image NAME PKG BIN: a FROM scratch image of one static Go binary.
build_go_image() {
  local name=$1 pkg=$2 bin=$3 tag=pm2dock-test/$1:dev hash
  # The binary depends on its package, the module's dependencies and this script.
  hash=$(source_hash scripts/build-images.sh go.mod go.sum $(find "$pkg" -name '*.go' ! -name '*_test.go' | sort))
  if [ "$(current_hash "$tag")" = "$hash" ]; then log "$tag is current ($hash)"; return; fi
  log "building $tag"
  local work; work=$(mktemp -d)
  mkdir -p "$work/rootfs/tmp"
  chmod 1777 "$work/rootfs/tmp"
  CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/rootfs/$bin" "./$pkg"
  tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
  docker import \
    --change "ENTRYPOINT [\"/$bin\"]" \
    --change "LABEL $LABEL=$hash" \
    "$work/rootfs.tar" "$tag" >/dev/null
  rm -rf "$work"
  log "built $tag ($hash)"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fixture authstub postgres hydra)
for t in "${targets[@]}"; do
  case $t in
    postgres) build_postgres ;;
    fixture) build_go_image fixture internal/testsupport/fixture fixture ;;
    authstub) build_go_image authstub internal/testsupport/authstub authstub ;;
    hydra) scripts/build-hydra.sh ;;
    *) log "unknown image $t (postgres, fixture, authstub, hydra)"; exit 2 ;;
  esac
done
