package scaffold

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// DefaultProject is the Nx project name init --nx uses when creating one.
const DefaultProject = "services"

// NxOptions say which project.json to write and what its targets run.
type NxOptions struct {
	Dir     string   // the project's folder (absolute); project.json goes here
	Project string   // --project: the name when creating; "" means DefaultProject
	PM2Dock string   // --pm2dock: the path to record; "" means decide (see RecordedBin)
	Exe     string   // the running pm2dock (absolute, symlinks resolved)
	Keys    []string // service keys, valid per profile.ValidKey
	Force   bool     // replace same-named targets that pm2dock did not generate
}

// NxResult reports what WriteNxProject did.
type NxResult struct {
	Path      string   // project.json
	Workspace string   // the workspace root (folder of nx.json)
	Project   string   // the project's name
	Bin       string   // the pm2dock path the targets run
	BinSource string   // why that path: "--pm2dock", "project.json", "node_modules/.bin" or "this executable"
	Created   bool     // there was no project.json
	Changed   bool     // the file's bytes changed
	Targets   []string // the generated target names
	Stale     []string // generated targets of services the profile no longer has
}

// WriteNxProject creates or updates DIR/project.json with the pm2dock targets
// (see Targets). An update changes only the members the generator owns —
// executor, cache, continuous, parallelism, options.command and
// metadata.description of its own targets — and leaves every other target, field, key order and byte
// as it was; running it again with the same inputs changes nothing.
func WriteNxProject(o NxOptions) (*NxResult, error) {
	ws, err := WorkspaceRoot(o.Dir)
	if err != nil {
		return nil, err
	}
	root := filepath.ToSlash(mustRel(ws, o.Dir))
	res := &NxResult{Path: filepath.Join(o.Dir, "project.json"), Workspace: ws}
	src, err := os.ReadFile(res.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", res.Path, err)
	}
	res.Created = err != nil
	have, err := readProject(res.Path, src, res.Created)
	if err != nil {
		return nil, err
	}
	if res.Project, err = projectName(res.Path, have.Name, o.Project); err != nil {
		return nil, err
	}
	res.Bin, res.BinSource = RecordedBin(o.PM2Dock, have.recordedBin(root), ws, o.Exe)
	if strings.ContainsAny(res.Bin, "\x00\n\r") || res.Bin == "" {
		return nil, exitcode.Errorf(exitcode.Usage, "pm2dock path %q cannot go into a command line", res.Bin)
	}
	targets := Targets(res.Bin, root, o.Keys)
	if err := have.checkConflicts(res.Path, root, targets, o.Force); err != nil {
		return nil, err
	}
	for _, kv := range targets {
		res.Targets = append(res.Targets, kv.Key)
	}
	res.Stale = have.stale(root, o.Keys)
	out, err := projectBytes(res, src, have.Name == nil, targets)
	if err != nil {
		return nil, err
	}
	if res.Changed = !bytes.Equal(out, src) || res.Created; res.Changed {
		err = writeFile(res.Path, out)
	}
	return res, err
}

func projectBytes(res *NxResult, src []byte, nameMissing bool, targets Obj) ([]byte, error) {
	want := Obj{{"targets", targets}}
	if nameMissing {
		want = append(Obj{{"name", res.Project}}, want...)
	}
	if res.Created {
		return append(Render(want, "", "  "), '\n'), nil
	}
	out, err := Merge(src, want)
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s: %w", res.Path, err), "fix the JSON, then run init again")
	}
	return out, nil
}

// WorkspaceRoot returns the nearest folder at or above dir holding nx.json.
func WorkspaceRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "nx.json")); err == nil && st.Mode().IsRegular() {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", exitcode.New(exitcode.Usage, fmt.Errorf("no nx.json in %s or above: not inside an Nx workspace", dir),
				"run `pm2dock init --nx` inside your Nx workspace (or pass --dir), or create one with `npx nx init`")
		}
	}
}

// RecordedBin decides the pm2dock path the targets run: the --pm2dock flag;
// else the one project.json already records (so that regenerating never
// churns); else the workspace's node_modules/.bin/pm2dock when installed
// there; else this executable, relative to the workspace root when it lies in
// the tree the workspace's Nx is installed in (the repository, typically), and
// absolute otherwise. Relative paths are relative to the workspace root,
// where nx:run-commands runs.
func RecordedBin(flag, recorded, ws, exe string) (bin, source string) {
	switch {
	case flag != "":
		return filepath.ToSlash(flag), "--pm2dock"
	case recorded != "":
		return recorded, "project.json"
	}
	if isExecutable(filepath.Join(ws, "node_modules", ".bin", "pm2dock")) {
		return "node_modules/.bin/pm2dock", "node_modules/.bin"
	}
	if rel, err := filepath.Rel(installRoot(ws), exe); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(mustRel(ws, exe)), "this executable"
	}
	return exe, "this executable"
}

// installRoot is the nearest folder at or above ws whose node_modules holds
// nx: where the workspace's tools are installed. Without one it is ws.
func installRoot(ws string) string {
	for d := ws; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "node_modules", "nx", "package.json")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ws
		}
	}
}

var projectNameRE = regexp.MustCompile(`^[A-Za-z0-9@_][A-Za-z0-9@._/-]{0,213}$`)

func projectName(path string, existing *string, flag string) (string, error) {
	if flag != "" && !projectNameRE.MatchString(flag) {
		return "", exitcode.Errorf(exitcode.Usage, "--project %q is not a usable Nx project name: use letters, digits, '@', '.', '_', '/' or '-'", flag)
	}
	switch {
	case existing != nil && flag != "" && *existing != flag:
		return "", exitcode.New(exitcode.Usage, fmt.Errorf("%s names the project %q, not %q", path, *existing, flag),
			"drop --project to update "+*existing+", or rename it in project.json first")
	case existing != nil:
		return *existing, nil
	case flag != "":
		return flag, nil
	}
	return DefaultProject, nil
}

func mustRel(base, path string) string {
	rel, err := filepath.Rel(base, path)
	if err != nil {
		return path
	}
	return rel
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// existingProject is what init reads from a project.json before merging.
type existingProject struct {
	Name    *string                   `json:"name"`
	Targets map[string]existingTarget `json:"targets"`
}

type existingTarget struct {
	Executor string `json:"executor"`
	Options  struct {
		Command any `json:"command"`
	} `json:"options"`
}

func readProject(path string, src []byte, missing bool) (*existingProject, error) {
	p := &existingProject{}
	if missing {
		return p, nil
	}
	if _, err := parseJSON(src); err != nil {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s: %w", path, err), "fix the JSON, then run init again")
	}
	if err := json.Unmarshal(stripComments(src), p); err != nil {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s: %w", path, err), "fix project.json (name must be a string, targets an object), then run init again")
	}
	return p, nil
}

// generated reports whether target name holds a command init generates for
// root, verb and key, and returns its pm2dock path.
func (p *existingProject) generated(name, root, verb, key string) (string, bool) {
	t, ok := p.Targets[name]
	cmd, isString := t.Options.Command.(string)
	if !ok || !isString || t.Executor != "nx:run-commands" {
		return "", false
	}
	return generatedBin(cmd, root, verb, key)
}

// recordedBin is the pm2dock path of the first generated target found.
func (p *existingProject) recordedBin(root string) string {
	for _, v := range verbs {
		if bin, ok := p.generated(v.name, root, v.name, ""); ok {
			return bin
		}
	}
	for _, name := range sortedKeys(p.Targets) {
		for _, v := range verbs {
			if key, ok := strings.CutPrefix(name, v.name+"-"); ok {
				if bin, ok := p.generated(name, root, v.name, key); ok {
					return bin
				}
			}
		}
	}
	return ""
}

// checkConflicts refuses to overwrite a same-named target that init did not
// generate (an app's own `start`, say), unless force.
func (p *existingProject) checkConflicts(path, root string, targets Obj, force bool) error {
	var theirs []string
	for _, kv := range targets {
		if _, exists := p.Targets[kv.Key]; !exists || force {
			continue
		}
		verb, key, _ := strings.Cut(kv.Key, "-")
		if _, ok := p.generated(kv.Key, root, verb, key); !ok {
			theirs = append(theirs, kv.Key)
		}
	}
	if len(theirs) == 0 {
		return nil
	}
	return exitcode.New(exitcode.Usage,
		fmt.Errorf("%s already has targets pm2dock did not generate (or whose command was edited): %s", path, strings.Join(theirs, ", ")),
		"rename them, generate into another project folder with --dir, or pass --force to replace them")
}

// stale lists generated per-service targets whose service is not in keys.
func (p *existingProject) stale(root string, keys []string) []string {
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
	}
	var out []string
	for _, name := range sortedKeys(p.Targets) {
		for _, v := range verbs {
			key, ok := strings.CutPrefix(name, v.name+"-")
			if !ok || known[key] {
				continue
			}
			if _, gen := p.generated(name, root, v.name, key); gen {
				out = append(out, name)
			}
		}
	}
	return out
}
