package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/pm2dock/pm2dock/internal/atomicfile"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/service"
)

// Phase is where a shim is in a service's life.
type Phase string

// The phases, in the order a healthy run goes through them.
const (
	Preflight Phase = "preflight" // checking env, image, ports
	Starting  Phase = "starting"  // container started, not yet healthy
	Ready     Phase = "ready"     // healthy, or running without a healthcheck
	Unhealthy Phase = "unhealthy" // was ready, healthcheck now fails
	Stopping  Phase = "stopping"  // stop requested, container stopping
	Backoff   Phase = "backoff"   // waiting before restarting a failed container
	Stopped   Phase = "stopped"   // stopped on request; the shim exited 0
	Exited    Phase = "exited"    // container exited unexpectedly; the shim exited 1
	Failed    Phase = "failed"    // the shim gave up with a no-restart code (see Reason)
	Detached  Phase = "detached"  // the PM2 daemon died; the container runs unsupervised until adopted
	Completed Phase = "completed" // the container exited 0 and that ended the service (a job, or compose's no/on-failure: profile.Service.ExitZeroCompletes); the shim exited 9 (exitcode.JobDone)
)

// File is the content of a state file.
type File struct {
	Service       service.Key `json:"service"`
	Phase         Phase       `json:"phase"`
	ShimPID       int         `json:"shim_pid"`
	ShimStartedAt time.Time   `json:"shim_started_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	ReadyAt       *time.Time  `json:"ready_at,omitempty"`
	Container     *Container  `json:"container,omitempty"`
	Adopted       bool        `json:"adopted,omitempty"` // the container was running when the shim came
	// Engine is the endpoint the shim talks to (endpoint.Endpoint.Host), so a
	// command from a shell that chooses another engine can say so.
	Engine      string   `json:"engine,omitempty"`
	ExitCode    *int     `json:"exit_code,omitempty"`
	Reason      string   `json:"reason,omitempty"` // why the shim failed or exited
	Hint        string   `json:"hint,omitempty"`   // what to do about it
	LastFailure *Failure `json:"last_failure,omitempty"`
	StoreError  string   `json:"store_error,omitempty"`
	// Requests are the tokens of the people's start/restart requests that
	// shims of this line answered (see RequestReset), newest last, at most 8;
	// kept across shims.
	Requests []string `json:"requests,omitempty"`

	// Restart governance (kept across shims, cleared by a person's start).
	Failures    []Failure `json:"failures,omitempty"`    // unexpected ends within the restart window
	Consecutive int       `json:"consecutive,omitempty"` // failures since the service last stayed ready
	Alerted     string    `json:"alerted,omitempty"`     // the last alert sent, until "recovered"
	Warned      bool      `json:"warned,omitempty"`      // the engine restart policy warning was shown
}

// maxRequests bounds File.Requests.
const maxRequests = 8

// Answer records tokens as requests this shim answers, keeping the newest.
func (f *File) Answer(tokens ...string) {
	f.Requests = append(f.Requests, tokens...)
	if n := len(f.Requests); n > maxRequests {
		f.Requests = append([]string(nil), f.Requests[n-maxRequests:]...)
	}
}

// Answers reports whether a shim of this line answered the request token.
func (f *File) Answers(token string) bool {
	return token != "" && slices.Contains(f.Requests, token)
}

// Container is what the shim knows of its container.
type Container struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Image     string    `json:"image"`
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"started_at"`
	Health    string    `json:"health,omitempty"` // "", starting, healthy, unhealthy
	// Ports are the published ports as the engine bound them (an ephemeral
	// host port resolved), HOST:PUBLISHED->TARGET/PROTO, sorted.
	Ports []string `json:"ports,omitempty"`
	// FinishedAt is when the container completed (Phase Completed).
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Failure records one unexpected end of a service.
type Failure struct {
	At        time.Time `json:"at"`
	ExitCode  int       `json:"exit_code"`
	OOMKilled bool      `json:"oom_killed,omitempty"`
	Error     string    `json:"error,omitempty"` // the engine's error text
	Reason    string    `json:"reason"`          // for a person
	LastLines []string  `json:"last_lines,omitempty"`
}

// ErrNone means the service has no state file yet (never started here).
var ErrNone = errors.New("no state file")

// Read returns the state of service, or ErrNone.
func (d Dir) Read(key service.Key) (*File, error) {
	raw, err := os.ReadFile(d.State(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNone
	}
	if err != nil {
		return nil, fmt.Errorf("read state of %s: %w", key, err)
	}
	f := &File{}
	if err := json.Unmarshal(raw, f); err != nil {
		return nil, fmt.Errorf("read state of %s: %s is not valid JSON: %w", key, d.State(key), err)
	}
	return f, nil
}

// Write replaces the state file atomically; the file is 0644, the folder 0755.
func (d Dir) Write(f *File) error {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return fmt.Errorf("create state folder: %w", err)
	}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(d.State(f.Service), append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write state of %s: %w", f.Service, err)
	}
	return nil
}

// Fail records the end of a shim with err: its exit code, the phase that code
// means (Exited when PM2 restarts the shim, Failed when it gives up), and the
// reason and hint of err (an *exitcode.Err carries its hint apart). It is the
// one translation from a shim's ending error to its record.
func (f *File) Fail(err error) {
	code := exitcode.FromError(err)
	f.Phase = Failed
	if exitcode.PM2Restarts(code) {
		f.Phase = Exited
	}
	c := int(code)
	f.ExitCode, f.Reason, f.Hint = &c, err.Error(), ""
	var ce *exitcode.Err
	if errors.As(err, &ce) {
		f.Reason, f.Hint = ce.Err.Error(), ce.Hint
	}
}

// Code is the exit code the shim that wrote f ended with (OK while it runs or
// when none was recorded).
func (f *File) Code() exitcode.Code {
	if f == nil || f.ExitCode == nil {
		return exitcode.OK
	}
	return exitcode.Code(*f.ExitCode)
}

// Stats are a container's latest resource figures, from the engine's stats
// stream the shim follows (<service>.stats.json).
type Stats struct {
	At            time.Time `json:"at"`
	Container     string    `json:"container"`       // the container's id
	CPUPercent    float64   `json:"cpu_percent"`     // % of one core
	MemBytes      int64     `json:"mem_bytes"`       // used, less page cache
	MemLimitBytes int64     `json:"mem_limit_bytes"` // 0: no limit
}

// statsFresh is how old a sample may be and still describe its container.
const statsFresh = 5 * time.Second

// Of reports whether s describes container id at now: its sample, and fresh.
func (s *Stats) Of(id string, now time.Time) bool {
	return s != nil && s.Container == id && now.Sub(s.At) <= statsFresh
}

// ReadStats returns the service's latest figures, or nil.
func (d Dir) ReadStats(key service.Key) *Stats {
	raw, err := os.ReadFile(d.Stats(key))
	if err != nil {
		return nil
	}
	st := &Stats{}
	if json.Unmarshal(raw, st) != nil {
		return nil
	}
	return st
}
