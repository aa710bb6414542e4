package cli

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/pm2dock/pm2dock/internal/endpoint"
	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/handoff"
	"github.com/pm2dock/pm2dock/internal/iostreams"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
)

// Factory holds what commands need, as functions called when a command needs
// them, so that a command that does
// not talk to the engine or PM2 never connects to them.
type Factory struct {
	IO      *iostreams.IOStreams
	Getenv  func(string) string
	Environ func() []string
	// Cwd returns the folder commands resolve relative things from.
	Cwd func() (string, error)
	// Executable is the absolute path of this pm2dock binary (the shim's script).
	Executable func() (string, error)
	Now        func() time.Time

	// Set by the global flags.
	File     string   // -f/--file
	Dir      string   // --dir: where discovery starts instead of the current folder
	Services []string // --service: more SERVICE arguments (for Nx, whose targets forward flags, not words)
}

// services returns the positional SERVICE arguments plus --service ones.
func (f *Factory) services(args []string) []string {
	return append(append([]string(nil), args...), f.Services...)
}

// selected is the services asked of p (default: all of them), each checked
// to exist (an unknown one is a usage error naming it).
func selected(p *profile.Profile, asked []string) ([]service.Key, error) {
	if len(asked) == 0 {
		return p.Keys(), nil
	}
	keys := service.Keys(asked)
	for _, k := range keys {
		if _, err := p.Service(k); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// NewFactory returns the production factory around io.
func NewFactory(io *iostreams.IOStreams) *Factory {
	return &Factory{IO: io, Getenv: os.Getenv, Environ: os.Environ, Cwd: os.Getwd,
		Executable: executable, Now: time.Now}
}

func executable() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(p)
}

func (f *Factory) dir() (string, error) {
	if f.Dir != "" {
		return filepath.Abs(f.Dir)
	}
	return f.Cwd()
}

// Profile loads the profile with extra environment appended to the process's.
func (f *Factory) Profile(ctx context.Context, extraEnv ...string) (*profile.Profile, error) {
	return f.loadProfile(ctx, false, extraEnv...)
}

// ProfileView loads the profile for a read-only view (see profile.Options.View).
func (f *Factory) ProfileView(ctx context.Context) (*profile.Profile, error) {
	return f.loadProfile(ctx, true)
}

func (f *Factory) loadProfile(ctx context.Context, view bool, extraEnv ...string) (*profile.Profile, error) {
	dir, err := f.dir()
	if err != nil {
		return nil, err
	}
	return profile.Load(ctx, profile.Options{File: f.File, Dir: dir, Env: append(f.Environ(), extraEnv...), View: view})
}

// Endpoint resolves the engine for p (nil: no profile) from this process's
// environment and extraEnv, as the docker CLI would (package endpoint).
func (f *Factory) Endpoint(p *profile.Profile, extraEnv ...string) (endpoint.Endpoint, error) {
	src := endpoint.Source{Env: append(f.Environ(), extraEnv...)}
	if p != nil {
		src.Context, src.ContextFrom = p.EngineContext, p.Path
	}
	return endpoint.Resolve(src)
}

// Engine connects to p's Docker engine (exit 7 when it does not answer, 2
// when the endpoint is misconfigured); extraEnv as for Endpoint.
func (f *Factory) Engine(ctx context.Context, p *profile.Profile, extraEnv ...string) (*engine.Engine, error) {
	return f.connect(ctx, p, 10*time.Second, extraEnv...)
}

// connector returns a Connect for status.Sources: p's engine, tried again.
func (f *Factory) connector(p *profile.Profile) func(context.Context, time.Duration) (*engine.Engine, error) {
	return func(ctx context.Context, timeout time.Duration) (*engine.Engine, error) {
		return f.connect(ctx, p, timeout)
	}
}

func (f *Factory) connect(ctx context.Context, p *profile.Profile, timeout time.Duration, extraEnv ...string) (*engine.Engine, error) {
	ep, err := f.Endpoint(p, extraEnv...)
	if err != nil {
		return nil, err
	}
	e, _, err := engine.Connect(ctx, ep, timeout)
	return e, err
}

// PM2 locates the pm2 CLI from the profile's folder (exit 8 when missing); it
// runs with a scrubbed environment, since PM2 copies it into app env.
func (f *Factory) PM2(dir string) (*pm2.CLI, error) {
	b, err := pm2.Locate(dir, f.Getenv)
	if err != nil {
		return nil, err
	}
	return &pm2.CLI{Bin: b, Env: handoff.Scrub(f.Environ())}, nil
}
