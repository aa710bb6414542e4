// Package stack starts, stops and restarts a profile's services through PM2, in
// compose dependency order and in parallel where dependencies allow, and waits
// for each service's shim to report the outcome in its state file, read again
// on each change of it (package changes: file-system notifications, with a
// bounded fallback poll). Its decisions are tested against a strict fake PM2
// (the PM2 interface); the real one is pm2.Driver.
//
// PM2 is only ever changed through its CLI, one call at a time (concurrent pm2
// CLIs race to spawn the daemon). A service whose shim fails while `start` waits
// is left stopped in PM2, never looping; its exit code and reason are the shim's.
// Apps are addressed by pm_id, never by name (names are unique only within a
// namespace).
package stack
