#!/usr/bin/env bash
# Cross-builds pm2dock and packs the npm packages into OUT (default dist/npm):
#   pm2dock-VERSION.tgz                 the launcher, the Nx plugin (pm2dock/nx), the PM2 helper
#   pm2dock-OS-CPU-VERSION.tgz          @pm2dock/OS-CPU, the native binary (os/cpu set)
# VERSION is the repository's VERSION file, for every package and for
# `pm2dock version`. PLATFORMS (e.g. "linux-x64") limits the platform packages
# built; the pm2dock package always lists all five as optionalDependencies.
# Nothing is published.
set -euo pipefail
# OUT is taken from where the script was called; the default is in the repository.
if [ -n "${1:-}" ]; then out=$(mkdir -p "$1" && cd "$1" && pwd); fi
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
out=${out:-$(mkdir -p dist/npm && cd dist/npm && pwd)}
version=$(tr -d ' \n' < VERSION)
all="linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64"
platforms=${PLATFORMS:-$all}
for p in $platforms; do
  case " $all " in
    *" $p "*) ;;
    *) echo "npm-pack: PLATFORMS: $p is not one of: $all" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

goos() { case $1 in win32) echo windows ;; *) echo "$1" ;; esac; }
goarch() { case $1 in x64) echo amd64 ;; *) echo "$1" ;; esac; }

for p in $platforms; do
  os=${p%-*} cpu=${p#*-}
  exe=pm2dock; [ "$os" = win32 ] && exe=pm2dock.exe
  dir=$work/$p
  mkdir -p "$dir/bin"
  CGO_ENABLED=0 GOOS=$(goos "$os") GOARCH=$(goarch "$cpu") go build -trimpath \
    -ldflags "-s -w -X github.com/pm2dock/pm2dock/internal/buildinfo.Version=$version" \
    -o "$dir/bin/$exe" ./cmd/pm2dock
  chmod 0755 "$dir/bin/$exe"
  sed "s/PLATFORM/$p/g" npm/platform/README.md > "$dir/README.md"
  cp LICENSE "$dir/"
  cat > "$dir/package.json" <<JSON
{
  "name": "@pm2dock/$p",
  "version": "$version",
  "description": "The pm2dock binary for $os $cpu (installed by the pm2dock package).",
  "license": "MIT",
  "os": ["$os"],
  "cpu": ["$cpu"],
  "files": ["bin/$exe", "README.md", "LICENSE"],
  "preferUnplugged": true
}
JSON
  (cd "$dir" && npm pack --silent --pack-destination "$out" >/dev/null)
  echo "npm-pack: @pm2dock/$p@$version" >&2
done

main=$work/pm2dock
cp -r npm/pm2dock "$main"
cp LICENSE "$main/"
node - "$main/package.json" "$version" "$all" <<'JS'
const fs = require('fs');
const [file, version, all] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
pkg.version = version;
pkg.optionalDependencies = {};
for (const p of all.split(' ')) pkg.optionalDependencies[`@pm2dock/${p}`] = version;
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
JS
(cd "$main" && npm pack --silent --pack-destination "$out" >/dev/null)
echo "npm-pack: pm2dock@$version -> $out" >&2
