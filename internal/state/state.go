// Package state is the shim's state file, <state_dir>/<service>.json: what the
// shim of one service is doing, its container, and why it last failed. Only that
// shim writes it (atomically: a temporary file renamed over the old one), so a
// reader never sees a torn file; `start` waits on it and `status` joins it with
// PM2 and the engine. It holds no environment values.
package state

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
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
)

// File is the content of a state file.
type File struct {
	Service       string     `json:"service"`
	Phase         Phase      `json:"phase"`
	ShimPID       int        `json:"shim_pid"`
	ShimStartedAt time.Time  `json:"shim_started_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	ReadyAt       *time.Time `json:"ready_at,omitempty"`
	Container     *Container `json:"container,omitempty"`
	Adopted       bool       `json:"adopted,omitempty"` // the container was running when the shim came
	ExitCode      *int       `json:"exit_code,omitempty"`
	Reason        string     `json:"reason,omitempty"` // why the shim failed or exited
	Hint          string     `json:"hint,omitempty"`   // what to do about it
	LastFailure   *Failure   `json:"last_failure,omitempty"`
	StoreError    string     `json:"store_error,omitempty"`
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

// A person's `pm2dock start`/`restart` leaves a reset marker for the next
// shim: clear the failure history (the state file has one writer, the shim),
// and answer this request. Each request has a marker of its own,
// <service>.reset.<token>, so two requests never overwrite each other's.
func resetPrefix(dir, service string) string { return filepath.Join(dir, service+".reset.") }

// RequestReset leaves a marker and returns its token, which the shim that
// takes it records in File.Requests: `start` recognises the state written for
// its own request by the token, not by comparing clocks.
func RequestReset(dir, service string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b[:])
	f, err := os.OpenFile(resetPrefix(dir, service)+token, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	return token, f.Close()
}

// WithdrawReset removes the marker of a request that started no shim.
func WithdrawReset(dir, service, token string) {
	if isToken(token) {
		os.Remove(resetPrefix(dir, service) + token)
	}
}

// PendingResets returns the tokens of the markers no shim has taken yet.
func PendingResets(dir, service string) []string {
	entries, _ := os.ReadDir(dir)
	var tokens []string
	for _, e := range entries {
		if t, ok := strings.CutPrefix(e.Name(), service+".reset."); ok && isToken(t) {
			tokens = append(tokens, t)
		}
	}
	return tokens
}

// TakeReset consumes the pending markers and returns their tokens (none: no
// reset was requested). A marker is taken by removing it, so each is taken
// by one shim only.
func TakeReset(dir, service string) []string {
	var taken []string
	for _, t := range PendingResets(dir, service) {
		if os.Remove(resetPrefix(dir, service)+t) == nil {
			taken = append(taken, t)
		}
	}
	return taken
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

func isToken(s string) bool {
	if len(s) != 24 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Container is what the shim knows of its container.
type Container struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Image     string    `json:"image"`
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"started_at"`
	Health    string    `json:"health,omitempty"` // "", starting, healthy, unhealthy
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

// Path is the state file of service in dir.
func Path(dir, service string) string { return filepath.Join(dir, service+".json") }

// ErrNone means the service has no state file yet (never started here).
var ErrNone = errors.New("no state file")

// Read returns the state of service, or ErrNone.
func Read(dir, service string) (*File, error) {
	raw, err := os.ReadFile(Path(dir, service))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNone
	}
	if err != nil {
		return nil, fmt.Errorf("read state of %s: %w", service, err)
	}
	f := &File{}
	if err := json.Unmarshal(raw, f); err != nil {
		return nil, fmt.Errorf("read state of %s: %s is not valid JSON: %w", service, Path(dir, service), err)
	}
	return f, nil
}

// Write replaces the state file atomically; the file is 0644, the folder 0755.
func Write(dir string, f *File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create state folder: %w", err)
	}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+f.Service+".*.tmp")
	if err != nil {
		return fmt.Errorf("write state of %s: %w", f.Service, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write state of %s: %w", f.Service, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state of %s: %w", f.Service, err)
	}
	if err := os.Rename(tmp.Name(), Path(dir, f.Service)); err != nil {
		return fmt.Errorf("write state of %s: %w", f.Service, err)
	}
	return nil
}
