// Package ecosystem builds the PM2 ecosystem of a profile: one app per service
// whose script is this pm2dock binary running `run SERVICE` (the shim).
//
// Decisions, each forced by a PM2 fact (docs/pm2-facts.md):
//   - interpreter "none", treekill false: PM2 signals the shim alone; the shim
//     stops its container itself and must not have its docker children killed.
//   - kill_timeout = the service's stop grace period + 10 s, so PM2 never
//     SIGKILLs a shim that is still stopping its container gracefully.
//   - stop_exit_codes = the no-restart codes 2–6 and 9 (exitcode.NoRestart), not 0:
//     PM2 records a death by signal as 0, and a `kill -9`ed shim must be
//     restarted (docs/contracts.md#exit-codes).
//   - no restart_delay / exp_backoff_restart_delay: with either, an app that exits
//     with a no-restart code stays "waiting restart" forever; the shim owns
//     backoff and crash-loop policy. max_restarts is set out of the way for the
//     same reason.
//   - out_file and error_file are one file the shim writes, not PM2
//     (package pm2file: a path with "NULL" in it, which PM2's daemon never
//     opens): `pm2 logs SERVICE --lines N` shows recent output, the log
//     store stays the history (docs/contracts.md#log-store), and nothing
//     grows without a bound or fails a spawn because it cannot be opened.
//     `pm2 logs SERVICE` still streams live from PM2's bus.
//   - env holds only PM2DOCK_* markers: PM2 copies app env into `pm2 env` and its
//     dump file, so no value from the profile's environment goes here. The shim
//     resolves its environment at run time (see package handoff).
package ecosystem

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pm2dock/pm2dock/internal/atomicfile"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2file"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
)

// File is an ecosystem file as `pm2 start` reads it.
type File struct {
	Apps []App `json:"apps"`
}

// App is one PM2 app definition.
type App struct {
	Name          string            `json:"name"`
	Namespace     string            `json:"namespace"`
	Script        string            `json:"script"`
	Args          []string          `json:"args"`
	Interpreter   string            `json:"interpreter"`
	ExecMode      string            `json:"exec_mode"`
	Cwd           string            `json:"cwd"`
	Autorestart   bool              `json:"autorestart"`
	Treekill      bool              `json:"treekill"`
	KillTimeout   int64             `json:"kill_timeout"`
	StopExitCodes []int             `json:"stop_exit_codes"`
	MaxRestarts   int               `json:"max_restarts"`
	MinUptime     int64             `json:"min_uptime"`
	OutFile       string            `json:"out_file"`
	ErrorFile     string            `json:"error_file"`
	MergeLogs     bool              `json:"merge_logs"`
	Env           map[string]string `json:"env"`
	// FilterEnv keeps the pm2 CLI's environment out of the app (PM2's
	// filter_env drops every variable whose name contains an element; [""]
	// drops them all — `true` is ignored by PM2 7, docs/pm2-facts.md#environment);
	// set by Isolate, for ecosystems evaluated inside a `pm2 start` whose
	// shell may hold secrets.
	FilterEnv []string `json:"filter_env,omitempty"`
}

// Isolate makes every app of f independent of the environment of the pm2 CLI
// that starts it: PM2 drops that environment (filter_env [""]) and the app gets
// env instead (handoff.Scrub of it: what finding docker, node and PM2 needs,
// nothing a secret could be in), plus its PM2DOCK_SERVICE. The variables the
// compose project needs reach the shim through handoff.env, as with
// `pm2dock start`.
func (f *File) Isolate(env []string) {
	for i := range f.Apps {
		a := &f.Apps[i]
		a.FilterEnv = []string{""}
		for _, kv := range env {
			if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
				a.Env[k] = v
			}
		}
		a.Env["PM2DOCK_SERVICE"] = a.Name
	}
}

// Build returns the ecosystem for the services keys of p; bin is the absolute
// path of the pm2dock binary. The shim is told the state folder so that it can
// read the hand-over file before its profile (which may need it) loads.
func Build(p *profile.Profile, bin string, keys []service.Key) (*File, error) {
	f := &File{}
	for _, k := range keys {
		s, err := p.Service(k)
		if err != nil {
			return nil, err
		}
		args := []string{"run", s.Key.String()}
		if p.Path != "" {
			args = append(args, "--file", p.Path)
		} else {
			args = append(args, "--dir", p.Dir)
		}
		args = append(args, "--state-dir", string(p.StateDir))
		// PM2's CLI creates an out_file's folder and refuses to start the app
		// when it cannot: a log folder that cannot be made falls back to
		// /dev/null, which PM2 skips (the shim still writes what it can).
		window := pm2file.Path(p.Logs.Dir, s.Key)
		if os.MkdirAll(filepath.Dir(window), 0o755) != nil {
			window = os.DevNull
		}
		f.Apps = append(f.Apps, App{
			Name: s.Key.String(), Namespace: p.Namespace, Script: bin, Args: args,
			Interpreter: "none", ExecMode: "fork", Cwd: p.Dir,
			Autorestart: true, Treekill: false,
			KillTimeout:   (s.StopGrace().Milliseconds() + 10_000),
			StopExitCodes: exitcode.NoRestart(),
			MaxRestarts:   1 << 30, MinUptime: 1000,
			OutFile: window, ErrorFile: window, MergeLogs: true,
			Env: map[string]string{"PM2DOCK_SERVICE": s.Key.String()},
		})
	}
	return f, nil
}

// Path is where pm2dock keeps the ecosystem it hands to PM2.
func Path(p *profile.Profile) string { return p.StateDir.Ecosystem() }

// Write writes f to path (0644) atomically.
func Write(path string, f *File) error {
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write ecosystem: %w", err)
	}
	// Concurrent `pm2dock start`s write it too: each through a temporary of its own.
	if err := atomicfile.Write(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write ecosystem: %w", err)
	}
	return nil
}
