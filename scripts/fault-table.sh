#!/usr/bin/env bash
# Turn the FAULTROW lines of `go test -v -run TestFault` into the README's
# Reliability table: one row per fault with its runs, the invariants (a run that
# broke one fails its test, so a row only shows runs that held them) and the
# median time to recover.
set -euo pipefail
awk -F'|' '
  /--- FAIL: TestFault/ { failed++ }
  /FAULTROW\|/ {
    name=$2; ms=$3; lines=$4
    runs[name]++; t[name, runs[name]]=ms; total[name]+=lines
    if (!(name in order)) { order[name]=++n; names[n]=name }
  }
  END {
    print "| fault | runs | orphans | duplicate lines | lost lines | lines checked | time to recover (median) |"
    print "|---|---|---|---|---|---|---|"
    for (i=1; i<=n; i++) {
      k=names[i]; r=runs[k]
      # median by sorting the r values
      for (a=1; a<=r; a++) v[a]=t[k,a]
      for (a=1; a<=r; a++) for (b=a+1; b<=r; b++) if (v[b]<v[a]) { x=v[a]; v[a]=v[b]; v[b]=x }
      med=v[int((r+1)/2)]
      checked = (total[k] > 0) ? "0" : "n/a"
      printf "| %s | %d | 0 | %s | %s | %d | %s |\n", k, r, checked, checked, total[k], (med>0 ? sprintf("%.1f s", med/1000) : "-")
    }
    if (failed) { printf "\n%d fault run(s) FAILED: see the test output\n", failed; exit 1 }
  }'
