package profile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
)

// FileName is the profile's file name.
const FileName = "pm2dock.yaml"

// Options say where to look and with which environment.
type Options struct {
	File string   // -f/--file; "" means PM2DOCK_FILE, then discovery from Dir
	Dir  string   // the folder discovery starts from
	Env  []string // KEY=VALUE for interpolation; PM2DOCK_FILE is read from it too
	// View loads for a read-only view (status): the compose file is parsed,
	// interpolated and typed as always, but not checked against the compose
	// JSON schema. Compiling that schema costs about 14 ms in every process,
	// and a view should keep showing a running stack while its compose file
	// is mid-edit; the commands that act (start, restart, the shim,
	// ecosystem, prune) check it.
	View bool
}

// Find returns the absolute path of the profile to use, or "" for zero-config.
func Find(opts Options) (string, error) {
	file := opts.File
	if file == "" {
		file = lookup(opts.Env, "PM2DOCK_FILE")
	}
	if file != "" {
		if !filepath.IsAbs(file) {
			file = filepath.Join(opts.Dir, file)
		}
		if _, err := os.Stat(file); err != nil {
			return "", usage(fmt.Errorf("profile %s: %w", file, err), "check -f/--file or PM2DOCK_FILE")
		}
		return file, nil
	}
	for d := opts.Dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, FileName)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", nil
		}
	}
}

// Load finds and reads the profile, loads its compose project and resolves
// every managed service. Every error carries exit code 2.
func Load(ctx context.Context, opts Options) (*Profile, error) {
	p, raw, lines, err := open(opts)
	if err != nil {
		return nil, err
	}
	if p.Project, err = loadCompose(ctx, p.Compose, p.Dir, opts.Env, opts.View); err != nil {
		return nil, usage(fmt.Errorf("%s (for %s): %w", composeFiles(p), where(p.Path, p.Dir), err),
			"fix the compose file; check it with `docker compose config` in "+p.Dir)
	}
	if opts.View && p.Project.Name == "" { // compose checks this only when it validates
		return nil, usage(fmt.Errorf("%s (for %s): project name must not be empty", composeFiles(p), where(p.Path, p.Dir)),
			"set `name:` in the compose file or compose.project in "+FileName)
	}
	if p.Compose.Project == "" {
		p.Compose.Project = p.Project.Name
	}
	p.Namespace = raw.PM2.Namespace
	if p.Namespace == "" {
		p.Namespace = p.Project.Name
	}
	if err := p.resolveServices(raw, lines); err != nil {
		return nil, err
	}
	return p, nil
}

// open finds and reads pm2dock.yaml (none: zero-config, in opts.Dir) and
// resolves its paths; Load and Peek go on from here.
func open(opts Options) (*Profile, *rawFile, map[string]int, error) {
	path, err := Find(opts)
	if err != nil {
		return nil, nil, nil, err
	}
	raw, dir := &rawFile{}, opts.Dir
	var lines map[string]int
	if path != "" {
		dir = filepath.Dir(path)
		if raw, lines, err = readFile(path); err != nil {
			return nil, nil, nil, err
		}
	}
	p := &Profile{Path: path, Dir: dir}
	p.resolvePaths(raw)
	return p, raw, lines, nil
}

// composeFiles names the compose files an error is about (the line numbers
// compose-go reports are theirs, not pm2dock.yaml's).
func composeFiles(p *Profile) string {
	if len(p.Compose.Files) > 0 {
		return "compose file " + strings.Join(p.Compose.Files, ", ")
	}
	return "the compose file in " + p.Dir
}

func where(path, dir string) string {
	if path != "" {
		return path
	}
	return dir + " (no " + FileName + ")"
}

func (p *Profile) resolvePaths(raw *rawFile) {
	abs := func(s, def string) string {
		if s == "" {
			s = def
		}
		if s == "" || filepath.IsAbs(s) {
			return s
		}
		return filepath.Join(p.Dir, s)
	}
	for _, f := range raw.Compose.Files {
		p.Compose.Files = append(p.Compose.Files, abs(f, ""))
	}
	for _, f := range raw.Compose.EnvFiles {
		p.Compose.EnvFiles = append(p.Compose.EnvFiles, abs(f, ""))
	}
	p.Compose.Project, p.Compose.Profiles = raw.Compose.Project, raw.Compose.Profiles
	p.StateDir = state.Dir(abs(raw.StateDir, filepath.FromSlash(DefaultOf("state_dir"))))
	p.SnapshotDir = abs(raw.SnapshotDir, filepath.FromSlash(DefaultOf("snapshot_dir")))
	p.Logs = defaultLogs()
	p.Logs.Dir = abs(raw.Logs.Dir, filepath.FromSlash(DefaultOf("logs.dir")))
	if raw.Logs.MaxAge != nil {
		p.Logs.MaxAge = time_(*raw.Logs.MaxAge)
	}
	if raw.Logs.MaxSize != nil {
		p.Logs.MaxSize = int64(*raw.Logs.MaxSize)
	}
	if raw.Logs.SegmentSize != nil {
		p.Logs.SegmentSize = int64(*raw.Logs.SegmentSize)
	}
	p.Alerts = Alerts{Command: raw.Alerts.Command, Webhook: raw.Alerts.Webhook}
	p.EngineContext = raw.Engine.Context
}

func usage(err error, hint string) error { return exitcode.New(exitcode.Usage, err, hint) }

func lookup(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

func unknownService(p *Profile, key service.Key) error {
	return usage(fmt.Errorf("unknown service %q", key),
		fmt.Sprintf("the services of %s are: %s", where(p.Path, p.Dir), strings.Join(service.Strings(p.order), ", ")))
}
