#!/usr/bin/env bash
# Run every fuzz target for FUZZTIME each (default 5s: the short run of
# `make test`; `make fuzz` runs them longer). Seeds are committed under each
# package's testdata/fuzz/; a failure found is written there too.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null 2>&1 || export PATH=/usr/local/go/bin:$PATH
FUZZTIME=${FUZZTIME:-5s}
targets=(
  "./internal/profile FuzzReadFile"
  "./internal/profile FuzzParseSize"
  "./internal/profile FuzzParseDuration"
  "./internal/when FuzzParse"
  "./internal/pm2/rpc FuzzDecode"
  "./internal/logstore FuzzReadSegment"
  "./internal/logstore FuzzRecordRoundTrip"
)
for t in "${targets[@]}"; do
  set -- $t
  echo "fuzz $2 ($1) for $FUZZTIME"
  go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME"
done
