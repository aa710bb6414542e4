#!/usr/bin/env bash
# Turn the FAULTROW lines of `go test -v -run TestFault` into the table of
# docs/reliability.md#fault-drills: one row per fault with its passing runs (a run that broke
# an invariant fails its test and is not counted but reported below the table)
# and the median time to recover.
set -euo pipefail
awk -F'|' '
  /^=== RUN/ { pending="" }
  /FAULTROW\|/ { pending=$2 "|" $3 "|" $4 }
  /^--- PASS/ && pending != "" {
    split(pending, f, "|"); name=f[1]
    runs[name]++; t[name, runs[name]]=f[2]; total[name]+=f[3]
    if (!(name in order)) { order[name]=++n; names[n]=name }
    pending=""
  }
  /^--- FAIL/ { failed++; sub(/^--- FAIL: /, ""); fails[failed]=$0; pending="" }
  END {
    print "| fault | passing runs | orphans | duplicate lines | lost lines | lines checked | time to recover (median) |"
    print "|---|---|---|---|---|---|---|"
    for (i=1; i<=n; i++) {
      k=names[i]; r=runs[k]
      for (a=1; a<=r; a++) v[a]=t[k,a]
      for (a=1; a<=r; a++) for (b=a+1; b<=r; b++) if (v[b]<v[a]) { x=v[a]; v[a]=v[b]; v[b]=x }
      med=v[int((r+1)/2)]
      checked = (total[k] > 0) ? "0" : "n/a"
      printf "| %s | %d | 0 | %s | %s | %d | %s |\n", k, r, checked, checked, total[k], (med>0 ? sprintf("%.1f s", med/1000) : "-")
    }
    if (failed) {
      printf "\n%d run(s) FAILED:\n", failed
      for (i=1; i<=failed; i++) printf "  %s\n", fails[i]
      exit 1
    }
  }'
