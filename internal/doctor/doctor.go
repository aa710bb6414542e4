// Package doctor checks that what pm2dock drives is present: the Docker engine,
// the compose CLI plugin, PM2 and Node. Each missing piece comes with its fix.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/pm2dock/pm2dock/internal/endpoint"
	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2"
)

// Check is one line of the report.
type Check struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Version string `json:"version,omitempty"`
	Detail  string `json:"detail,omitempty"` // where it was found, or what went wrong
	Fix     string `json:"fix,omitempty"`
}

// Report is the whole doctor result.
type Report struct {
	Checks []Check `json:"checks"`
}

// Env is what the checks look at; tests substitute it.
type Env struct {
	Dir    string
	Getenv func(string) string
	// Endpoint resolves the engine as every command does (package endpoint).
	Endpoint func() (endpoint.Endpoint, error)
}

const probeTimeout = 10 * time.Second

// Run performs every check concurrently and returns them in a fixed order.
func Run(ctx context.Context, env Env) Report {
	checks := make([]Check, 4)
	var wg sync.WaitGroup
	for i, f := range []func(context.Context, Env) Check{checkEngine, checkCompose, checkPM2, checkNode} {
		wg.Add(1)
		go func() { defer wg.Done(); checks[i] = f(ctx, env) }()
	}
	wg.Wait()
	return Report{Checks: checks}
}

// Err is nil when everything is present; else an error with the exit code of
// the most fundamental missing piece (engine 7, then PM2/Node 8, then 1).
func (r Report) Err() error {
	failed := map[string]Check{}
	for _, c := range r.Checks {
		if !c.OK {
			failed[c.Name] = c
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case has(failed, "engine"):
		return exitcode.Errorf(exitcode.EngineDown, "doctor: the Docker engine does not answer")
	case has(failed, "pm2"), has(failed, "node"):
		return exitcode.Errorf(exitcode.PM2Missing, "doctor: PM2 is not usable")
	default:
		return exitcode.Errorf(exitcode.Error, "doctor: %d check(s) failed", len(failed))
	}
}

func has(m map[string]Check, k string) bool { _, ok := m[k]; return ok }

func checkEngine(ctx context.Context, env Env) Check {
	c := Check{Name: "engine"}
	fail := func(err error) Check {
		c.Detail = err.Error()
		var ce *exitcode.Err
		if errors.As(err, &ce) {
			c.Detail, c.Fix = ce.Err.Error(), ce.Hint
		}
		return c
	}
	ep, err := env.Endpoint()
	if err != nil {
		return fail(err)
	}
	e, _, err := engine.Connect(ctx, ep, probeTimeout)
	if err != nil {
		return fail(err)
	}
	defer e.Close()
	info, err := e.Identify(ctx, probeTimeout)
	if err != nil {
		return fail(err)
	}
	c.OK, c.Version = true, info.ServerVersion
	c.Detail = fmt.Sprintf("%s, API %s at %s", info.Kind, info.APIVersion, ep)
	if ep.Warning != "" {
		c.Detail += "; warning: " + ep.Warning
	}
	return c
}

func checkCompose(ctx context.Context, _ Env) Check {
	c := Check{Name: "compose"}
	out, err := output(ctx, "docker", "compose", "version", "--short")
	if err != nil {
		c.Detail = err.Error()
		c.Fix = "install the Docker Compose v2 plugin (Debian: `make provision` builds it; elsewhere https://docs.docker.com/compose/install/)"
		return c
	}
	c.OK, c.Version = true, strings.TrimPrefix(out, "v")
	return c
}

func checkPM2(_ context.Context, env Env) Check {
	c := Check{Name: "pm2"}
	b, err := pm2.Locate(env.Dir, env.Getenv)
	if err != nil {
		var ce *exitcode.Err
		if errors.As(err, &ce) {
			c.Detail, c.Fix = ce.Err.Error(), ce.Hint
		}
		return c
	}
	c.OK, c.Version = true, b.Version
	c.Detail = fmt.Sprintf("%s (%s), PM2_HOME %s", b.Path, b.Source, pm2.Home(env.Getenv))
	return c
}

func checkNode(ctx context.Context, _ Env) Check {
	c := Check{Name: "node"}
	out, err := output(ctx, "node", "--version")
	if err != nil {
		c.Detail = err.Error()
		c.Fix = "install Node.js 18 or newer (https://nodejs.org/); PM2 runs on it"
		return c
	}
	c.OK, c.Version = true, strings.TrimPrefix(out, "v")
	return c
}

// output runs argv (never through a shell) and returns its trimmed stdout.
func output(ctx context.Context, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("%s: %s", strings.Join(argv, " "), firstLine(msg))
	}
	return strings.TrimSpace(string(out)), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
