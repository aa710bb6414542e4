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
  "./internal/figures FuzzParseFast"
)
# `go test -fuzz` sometimes ends a clean run with "context deadline exceeded"
# when -fuzztime runs out mid-input (no failing input is written then): such a
# run is retried once; a real finding ("Failing input written to …") is not.
for t in "${targets[@]}"; do
  set -- $t
  echo "fuzz $2 ($1) for $FUZZTIME"
  for try in 1 2; do
    if out=$(go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" 2>&1); then
      printf '%s\n' "$out" | tail -n 1
      break
    fi
    printf '%s\n' "$out"
    if [ "$try" = 2 ] || ! grep -q 'context deadline exceeded' <<<"$out" || grep -q 'Failing input written' <<<"$out"; then
      exit 1
    fi
    echo "fuzz $2: the fuzzer's own deadline, not a finding; once more"
  done
done
