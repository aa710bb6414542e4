// Package exitcode is the one place where pm2dock's exit codes (docs/contracts.md#exit-codes) are
// defined, described and derived from errors. The CLI and the shim both exit through
// FromError, and the PM2 ecosystem lists NoRestart as stop_exit_codes.
package exitcode

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Code is a process exit status with a documented meaning.
type Code int

// The exit codes.
const (
	OK           Code = 0   // success, or stopped on request
	Error        Code = 1   // error; for the shim: the container exited unexpectedly
	Usage        Code = 2   // bad flag, invalid profile or compose file, unknown service, missing env
	ImageMissing Code = 3   // image absent with pull disabled, or pull/build failed
	PortConflict Code = 4   // a published host port is taken
	CrashLoop    Code = 5   // restart limit reached
	NotHealthy   Code = 6   // health timeout, unhealthy, exited while starting; status --check
	EngineDown   Code = 7   // Docker engine unreachable
	PM2Missing   Code = 8   // PM2 unavailable
	JobDone      Code = 9   // the shim: its container completed (exit 0 of a job, or under compose's no/on-failure)
	Interrupted  Code = 130 // Ctrl-C
)

type entry struct {
	code    Code
	meaning string
	restart string // does PM2 restart the shim on this code?
}

var table = []entry{
	{OK, "success / stopped on request", "no"},
	{Error, "error; for the shim: the container exited unexpectedly", "yes"},
	{Usage, "usage or configuration error (bad flag, invalid profile or compose file, unknown service, missing required env)", "no"},
	{ImageMissing, "image unavailable (absent and pull disabled, or pull or build failed)", "no"},
	{PortConflict, "port conflict (the holder named; the service's own container is waited for, not a conflict)", "no"},
	{CrashLoop, "crash loop: restart limit reached", "no"},
	{NotHealthy, "not healthy: health timeout, unhealthy, or exited while starting (status --check: some service not healthy)", "no"},
	{EngineDown, "Docker engine unreachable", "yes, with delay"},
	{PM2Missing, "PM2 unavailable", "n/a"},
	{JobDone, "for the shim only: its container completed with exit 0 (a job, or under compose's no/on-failure restart policy; not an error; the CLI never exits 9)", "no"},
	{Interrupted, "interrupted", "n/a"},
}

// NoRestart lists the codes after which PM2 must not restart the shim (the
// ecosystem's stop_exit_codes). 0 is not among them although a shim exits 0 only
// when asked to stop: PM2 records a death by signal as exit code 0, so listing 0
// would leave a `kill -9`ed shim dead and its container unsupervised. After a
// stop through PM2 (the only way the shim exits 0 in practice) PM2 does not
// restart anyway.
func NoRestart() []int {
	return []int{int(Usage), int(ImageMissing), int(PortConflict), int(CrashLoop), int(NotHealthy), int(JobDone)}
}

// PM2Restarts reports whether PM2 restarts a shim that exits with code: the
// "yes" rows of the table (an unexpected container exit, the engine gone).
func PM2Restarts(code Code) bool { return code == Error || code == EngineDown }

// Meaning is code's meaning as the table says it ("" for a code not in it).
func Meaning(code Code) string {
	for _, e := range table {
		if e.code == code {
			return e.meaning
		}
	}
	return ""
}

// Help renders the table for the EXIT STATUS section of every command's help.
func Help() string {
	var b strings.Builder
	b.WriteString("EXIT STATUS\n")
	for _, e := range table {
		fmt.Fprintf(&b, "  %3d  %s\n", e.code, e.meaning)
	}
	return b.String()
}

// Err is an error that carries its exit code. Messages say what failed, why and
// what to do next; Hint holds the "what next" part when it is separate.
type Err struct {
	Code Code
	Err  error
	Hint string
}

func (e *Err) Error() string {
	if e.Hint == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + "\n  → " + e.Hint
}

func (e *Err) Unwrap() error { return e.Err }

// New wraps err with code; a nil err stays nil.
func New(code Code, err error, hint string) error {
	if err == nil {
		return nil
	}
	return &Err{Code: code, Err: err, Hint: hint}
}

// Passed is the exit code of a command pm2dock ran for the user and whose
// own output said what happened (`pm2dock exec`): pm2dock exits with it and
// adds nothing.
func Passed(code int) error {
	if code == 0 {
		return nil
	}
	return &Err{Code: Code(code), Err: errPassed}
}

var errPassed = errors.New("")

// IsPassed reports whether err is a Passed exit code.
func IsPassed(err error) bool {
	var e *Err
	return errors.As(err, &e) && e.Err == errPassed
}

// Errorf builds an error with code from a format.
func Errorf(code Code, format string, a ...any) error {
	return &Err{Code: code, Err: fmt.Errorf(format, a...)}
}

// FromError maps an error to its exit code: the first *Err in the chain wins,
// a cancelled context means the user interrupted, anything else is Error.
func FromError(err error) Code {
	if err == nil {
		return OK
	}
	var e *Err
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	return Error
}
