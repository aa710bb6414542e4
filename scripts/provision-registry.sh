#!/usr/bin/env bash
# Build the distribution registry (docs/architecture.md#test-rig) that pull tests run on 127.0.0.1,
# into .cache/bin/registry. Idempotent; built from the Go module proxy inside a
# throwaway helper module.
set -euo pipefail
cd "$(dirname "$0")/.."
REGISTRY_VERSION=${REGISTRY_VERSION:-v3.0.0}
out=$PWD/.cache/bin/registry
command -v go >/dev/null 2>&1 || export PATH=/usr/local/go/bin:$PATH
if [ -x "$out" ] && [ "$(cat "$out.version" 2>/dev/null)" = "$REGISTRY_VERSION" ]; then
  echo "provision-registry: $out is $REGISTRY_VERSION" >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "provision-registry: building distribution registry $REGISTRY_VERSION" >&2
cd "$work"
go mod init pm2dock.local/registry-build >/dev/null 2>&1
printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/distribution/distribution/v3/cmd/registry"\n' > tools.go
go get "github.com/distribution/distribution/v3@${REGISTRY_VERSION}" >/dev/null 2>&1 || go get "github.com/distribution/distribution/v3@${REGISTRY_VERSION}"
go mod tidy >/dev/null 2>&1 || true
mkdir -p "$(dirname "$out")"
CGO_ENABLED=0 go build -trimpath -o "$out.tmp" github.com/distribution/distribution/v3/cmd/registry
mv "$out.tmp" "$out"
echo "$REGISTRY_VERSION" > "$out.version"
