// Package stack starts, stops and restarts a profile's services through PM2, in
// compose dependency order and in parallel where dependencies allow, and waits
// for each service's shim to report the outcome in its state file (polled every
// 50 ms: cheap, portable, and far below the time a container takes to start).
//
// PM2 is only ever changed through its CLI, one call at a time (concurrent pm2
// CLIs race to spawn the daemon). A service whose shim fails while `start` waits
// is left stopped in PM2, never looping; its exit code and reason are the shim's.
package stack
