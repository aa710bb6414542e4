// Package shim is `pm2dock run SERVICE`, the process PM2 supervises for one
// service (docs/architecture.md#shim-lifetime). It lives exactly as long as its container runs:
//
//  1. preflight, each failing fast with its exit code: required env (2), image
//     present or pulled/built per policy (3), every published host port free (4);
//  2. `docker compose up --detach --no-deps` — or, when the service's container
//     is already running (the shim was killed, or plain compose started it),
//     adoption without recreating it;
//  3. attachment through the Engine API: the container's log lines with the
//     engine's timestamps go to the shim's own stdout/stderr (so `pm2 logs`
//     shows them live) and to a LineSink (the log store); health comes from
//     engine events, with a once-a-second inspect as a fallback; the state file
//     records every change;
//  4. the end: the container exits unexpectedly → its exit code, OOM flag,
//     engine error and last lines go to the state file and the shim exits 1
//     (PM2 restarts it); SIGINT/SIGTERM → the container is stopped with its
//     grace period and the shim exits 0.
package shim
