// Package status joins, for every service of a profile, PM2's view (apps of the
// profile's namespace), the engine's (containers found by compose labels,
// inspected in parallel) and the shim's (its state file) into one row whose
// field names are the `status --json` contract (docs/contracts.md#status-json). `state` is
// package verdict's, and it is the truth: PM2's own status can lie (a no-restart exit under a
// restart delay shows "waiting restart" forever).
package status

import (
	"time"

	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/verdict"
)

// Row is one service.
type Row struct {
	Name    service.Key   `json:"name"`
	Service string        `json:"service"`
	State   verdict.State `json:"state"` // Verdict.State
	// Verdict is the one answer to "ready, or failed for good?" for this row
	// (package verdict); State is its word.
	Verdict     verdict.Verdict `json:"-"`
	PM2         PM2             `json:"pm2"`
	Container   *Container      `json:"container"`
	LastFailure *Failure        `json:"last_failure"`
	Job         bool            `json:"job"`
	Completed   *Completion     `json:"completed"` // the last completion; null otherwise
	StoreError  string          `json:"store_error,omitempty"`
}

// PM2 is PM2's view of the service's app.
type PM2 struct {
	Status    string     `json:"status"` // PM2's status, or "not registered"
	PID       int        `json:"pid"`
	Restarts  int        `json:"restarts"`
	LastStart *time.Time `json:"last_start"`
	UptimeS   int64      `json:"uptime_s"`
}

// NotRegistered is PM2.Status for a service PM2 does not know.
const NotRegistered = "not registered"

// Container is the engine's view of the service's container.
type Container struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Image     string     `json:"image"`
	State     string     `json:"state"`
	Health    string     `json:"health"`
	PID       int        `json:"pid"`
	StartedAt *time.Time `json:"started_at"`
	UptimeS   int64      `json:"uptime_s"`
	ExitCode  int        `json:"exit_code"`
	OOMKilled bool       `json:"oom_killed"`
	Ports     []string   `json:"ports"`
	// Resource figures from the shim's stats stream; null when the container
	// does not run or no sample is fresh (docs/contracts.md#status-json).
	CPUPercent    *float64 `json:"cpu_percent"`
	MemBytes      *int64   `json:"mem_bytes"`
	MemLimitBytes *int64   `json:"mem_limit_bytes"`
	// HealthOutput is the last health probe's output while the container is
	// unhealthy (null otherwise): what the probe said when it failed.
	HealthOutput *string `json:"health_output"`
}

// Failure is the last unexpected end (or failed start) of the service.
//
// ExitCode is the container's exit code when a container ended (also for
// the failure that tripped a crash loop), else — a start that failed before
// any container ran — the shim's own code. ShimExitCode is the shim's
// verdict when it gave up (2–6: 5 for a crash loop), null otherwise.
type Failure struct {
	At           time.Time `json:"at"`
	ExitCode     int       `json:"exit_code"`
	OOMKilled    bool      `json:"oom_killed"`
	Reason       string    `json:"reason"`
	LastLines    []string  `json:"last_lines"`
	ShimExitCode *int      `json:"shim_exit_code"`
}

// Completion is when a job last completed and how long it ran.
type Completion struct {
	At   time.Time `json:"at"`
	RanS float64   `json:"ran_s"`
}
