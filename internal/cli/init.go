package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/scaffold"
)

// InitOptions are the inputs of `pm2dock init`.
type InitOptions struct {
	Force   bool   // replace an existing pm2dock.yaml (and, with Nx, same-named foreign targets)
	Nx      bool   // also register pm2dock's Nx plugin in nx.json
	Project bool   // with Nx: explicit targets in project.json instead of the plugin
	Name    string // Nx project name when creating project.json
	PM2Dock string // the pm2dock path the Nx targets record
	MCP     bool   // also register `pm2dock mcp` in the agents' config files
}

// NewCmdInit scaffolds pm2dock.yaml and, with --nx, an Nx project's targets.
func NewCmdInit(f *Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{}
	cmd := &cobra.Command{
		Use:   "init [--nx [--project-json [--project NAME] [--pm2dock PATH]]] [--mcp] [--force]",
		Short: "Write a commented pm2dock.yaml from the compose project, and Nx targets with --nx",
		Long:  initHelp(),
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return initRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace an existing pm2dock.yaml; with --nx also replace same-named targets pm2dock did not generate")
	cmd.Flags().BoolVar(&opts.Nx, "nx", false, "also register pm2dock's Nx plugin (pm2dock/nx) in the workspace's nx.json")
	cmd.Flags().BoolVar(&opts.Project, "project-json", false, "with --nx: write explicit targets into project.json instead")
	cmd.Flags().StringVar(&opts.Name, "project", "", "Nx project name when creating project.json (default "+scaffold.DefaultProject+")")
	cmd.Flags().BoolVar(&opts.MCP, "mcp", false, "also register `pm2dock mcp` for coding agents in .mcp.json and .vscode/mcp.json")
	cmd.Flags().StringVar(&opts.PM2Dock, "pm2dock", "", "pm2dock path the Nx targets run, relative to the workspace root (default: see above)")
	return cmd
}

// initHelp is init's help; the profile's defaults come from profile.Defaults.
func initHelp() string {
	d := profile.DefaultOf
	return `Write pm2dock.yaml in the folder (--dir, default the current one) from the compose
project compose finds there: one entry per service, keyed by its PM2 app name, with
the image, published ports, healthcheck and dependencies compose declares noted in
comments, require_env for variables compose requires (${VAR:?}), and every other
setting commented out at its default. An existing pm2dock.yaml is never replaced
without --force (exit 2).

With --nx, also register pm2dock's Nx plugin in the workspace's nx.json (nearest
nx.json at or above the folder; the pm2dock npm package must be installed there:
npm i -D pm2dock). The plugin infers, for every folder with a pm2dock.yaml, the
targets below, running the platform's native pm2dock binary; nothing is written
into the folder, and targets a project.json defines win.

With --nx --project-json, write those targets into project.json in that folder
instead (created, or updated in place). Its nx:run-commands targets, all uncached:
  start stop restart status logs events wait prune dashboard
  pull snapshot restore reset            the whole stack; what you type after the
                                         target reaches pm2dock:
                                         nx run services:logs db --since=1h
  start-SVC stop-SVC restart-SVC status-SVC logs-SVC events-SVC wait-SVC
                                         one service; name "services:start-SVC"
                                         in another project's dependsOn
start and restart are not continuous: they exit once the services are healthy.
pm2dock.yaml is written first if missing, and kept if present. Updating keeps
your own targets, fields and key order; running it again changes nothing.
The targets run pm2dock from a recorded path, never from PATH: --pm2dock, else
the path project.json already records, else node_modules/.bin/pm2dock when the
workspace has it, else this executable (relative to the workspace root when it
lies in the tree the workspace's Nx is installed in).

With --mcp, also register ` + "`pm2dock mcp`" + ` (read-only) for coding agents in
.mcp.json (Claude Code and others) and .vscode/mcp.json (VS Code, Copilot) at the
workspace root (the nearest folder with nx.json, else package.json, else .git),
launched through the workspace's node_modules/.bin/pm2dock. Other servers and
every other byte of those files are kept; an existing pm2dock entry is kept
unless --force.

THE PROFILE (pm2dock.yaml; every key optional, unknown keys are errors)
  compose:
    files: [compose.yaml]     # default: compose's own file names
    project: NAME             # default: compose's rule
    profiles: [debug]         # compose profiles to enable
    env_files: [.env.local]   # default: compose's .env
  pm2:
    namespace: NAME           # default: the compose project name
  state_dir: ` + d("state_dir") + `
  snapshot_dir: ` + d("snapshot_dir") + `
  logs: ` + profile.DefaultFlow("logs") + `
  alerts: {command: [./alert.sh], webhook: http://127.0.0.1:9000/pm2dock}
  defaults:                   # each service inherits; its own keys win
    pull: ` + d("defaults.pull") + `             # missing | always | never
    start_timeout: ` + d("defaults.start_timeout") + `
    restart: ` + profile.DefaultFlow("defaults.restart") + `
  services:
    db:                       # the PM2 app name: a letter or digit, then
      service: postgres       #   letters, digits, - or _; default service: the key
      require_env: [POSTGRES_PASSWORD]
Without services, every compose service is managed under its own name.`
}

func initRun(ctx context.Context, f *Factory, opts *InitOptions) error {
	if err := initUsage(f, opts); err != nil {
		return err
	}
	dir, err := f.dir()
	if err != nil {
		return fmt.Errorf("init: folder: %w", err)
	}
	if opts.Nx { // fail before writing anything
		if _, err := scaffold.WorkspaceRoot(dir); err != nil {
			return err
		}
	}
	path := filepath.Join(dir, profile.FileName)
	_, statErr := os.Stat(path)
	exists := statErr == nil
	switch {
	case exists && (opts.Nx || opts.MCP) && !opts.Force:
		fmt.Fprintf(f.IO.Out, "kept %s (--force replaces it)\n", displayPath(f, path))
	case exists && !opts.Force:
		return exitcode.New(exitcode.Usage, fmt.Errorf("%s already exists; init does not overwrite it", path),
			"edit it, or run `pm2dock init --force` to replace it with a fresh one")
	default:
		if err := writeProfile(ctx, f, dir, opts.Force); err != nil {
			return err
		}
	}
	if opts.MCP {
		if err := initMCP(f, dir, opts.Force); err != nil {
			return err
		}
	}
	if !opts.Nx {
		fmt.Fprintln(f.IO.Out, "next: pm2dock start   (pm2dock status shows them; pm2 ls lists them)")
		return nil
	}
	return initNx(ctx, f, dir, path, opts)
}

// initMCP registers `pm2dock mcp` in the agents' config files at the
// workspace root (scaffold.MCPRoot), pointed at dir when dir is not the root.
func initMCP(f *Factory, dir string, force bool) error {
	root := scaffold.MCPRoot(dir)
	var dirArgs []string
	if rel, err := filepath.Rel(root, dir); err == nil && rel != "." {
		dirArgs = []string{"--dir", filepath.ToSlash(rel)}
	}
	res, err := scaffold.RegisterMCP(root, scaffold.MCPConfigs(dirArgs), force)
	for _, r := range res {
		how := map[string]string{"created": "created", "added": "added pm2dock to", "replaced": "replaced pm2dock in",
			"kept": "kept the pm2dock entry of (--force replaces it)"}[r.Done]
		fmt.Fprintf(f.IO.Out, "%s %s\n", how, displayPath(f, r.Path))
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(f.IO.Out, "agents start it read-only; add \"--allow-control\" after \"mcp\" in args to let them start, restart and stop")
	return nil
}

func initUsage(f *Factory, opts *InitOptions) error {
	switch {
	case f.File != "":
		return exitcode.New(exitcode.Usage, errors.New("init writes pm2dock.yaml into a folder; -f/--file does not apply"),
			"pass --dir FOLDER instead")
	case !opts.Nx && (opts.Name != "" || opts.PM2Dock != "" || opts.Project):
		return exitcode.New(exitcode.Usage, errors.New("--project-json, --project and --pm2dock only apply with --nx"), "add --nx")
	case !opts.Project && (opts.Name != "" || opts.PM2Dock != ""):
		return exitcode.New(exitcode.Usage, errors.New("--project and --pm2dock only apply with --project-json (the plugin names the project and finds pm2dock itself)"), "add --project-json")
	}
	return nil
}

func writeProfile(ctx context.Context, f *Factory, dir string, force bool) error {
	stack, err := scaffold.LoadStack(ctx, dir, f.Environ())
	if err != nil {
		return err
	}
	path, err := scaffold.WriteProfile(dir, scaffold.RenderProfile(stack), force)
	if err != nil {
		return err
	}
	keys := make([]string, len(stack.Services))
	for i, s := range stack.Services {
		keys[i] = s.Key
	}
	fmt.Fprintf(f.IO.Out, "wrote %s: %d %s (%s) from %s\n", displayPath(f, path), len(keys), render.Plural(len(keys), "service", "services"),
		strings.Join(keys, ", "), strings.Join(stack.Files, ", "))
	return nil
}

func initNx(ctx context.Context, f *Factory, dir, profilePath string, opts *InitOptions) error {
	if !opts.Project {
		ws, err := scaffold.WorkspaceRoot(dir)
		if err != nil {
			return err
		}
		res, err := scaffold.RegisterNxPlugin(ws)
		if err != nil {
			return err
		}
		verb := "registered the Nx plugin " + scaffold.NxPlugin + " in"
		if !res.Changed {
			verb = "the Nx plugin " + scaffold.NxPlugin + " is registered already in"
		}
		name := nxProjectName(dir)
		fmt.Fprintf(f.IO.Out, "%s %s\nnext: npx nx show project %s --json   (the inferred targets; npx nx run %s:start)\n",
			verb, displayPath(f, res.Path), name, name)
		return nil
	}
	keys, err := stackKeys(ctx, f, dir, profilePath)
	if err != nil {
		return err
	}
	exe, err := f.Executable()
	if err != nil {
		return fmt.Errorf("init: locate this executable: %w", err)
	}
	res, err := scaffold.WriteNxProject(scaffold.NxOptions{Dir: dir, Project: opts.Name, PM2Dock: opts.PM2Dock,
		Exe: exe, Keys: keys, Force: opts.Force})
	if err != nil {
		return err
	}
	printNx(f, res, keys)
	return nil
}

// stackKeys are the service keys of the profile at profilePath, or, when it
// lists none, of every compose service by its own name.
func stackKeys(ctx context.Context, f *Factory, dir, profilePath string) ([]string, error) {
	keys, err := scaffold.ProfileKeys(profilePath)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 { // the profile lists none: every compose service, by its own name
		stack, err := scaffold.LoadStack(ctx, dir, f.Environ())
		if err != nil {
			return nil, err
		}
		for _, s := range stack.Services {
			keys = append(keys, s.Key)
		}
	}
	return keys, nil
}

func printNx(f *Factory, res *scaffold.NxResult, keys []string) {
	verb := "updated"
	switch {
	case res.Created:
		verb = "created"
	case !res.Changed:
		verb = "unchanged"
	}
	fmt.Fprintf(f.IO.Out, "%s %s: project %s, %d targets running %s (from %s)\n",
		verb, displayPath(f, res.Path), res.Project, len(res.Targets), res.Bin, res.BinSource)
	for _, name := range res.Stale {
		fmt.Fprintf(f.IO.ErrOut, "pm2dock: target %s is for a service the profile no longer has; delete it from %s\n", name, res.Path)
	}
	if filepath.IsAbs(res.Bin) {
		fmt.Fprintln(f.IO.ErrOut, "pm2dock: the targets run an absolute path, which teammates may not have; pass --pm2dock PATH (relative to the workspace root) to record another")
	}
	if len(keys) == 0 {
		return
	}
	fmt.Fprintf(f.IO.Out, "next: npx nx run %s:start   (one service: npx nx run %s:start %s; in dependsOn: \"%s:start-%s\")\n",
		res.Project, res.Project, keys[0], res.Project, keys[0])
}

// displayPath shows path relative to the current folder when it is below it.
func displayPath(f *Factory, path string) string {
	if cwd, err := f.Cwd(); err == nil {
		if rel, err := filepath.Rel(cwd, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}

// nxProjectName is the name Nx gives the project of dir: the one its
// project.json or package.json says, else (the plugin's choice) the folder's.
func nxProjectName(dir string) string {
	for _, file := range []string{"project.json", "package.json"} {
		raw, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			continue
		}
		var v struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(raw, &v) == nil && v.Name != "" {
			return v.Name
		}
	}
	return filepath.Base(dir)
}
