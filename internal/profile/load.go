package profile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/pm2dock/pm2dock/internal/exitcode"
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

// readFile decodes the profile strictly. lines maps "services.KEY" to its line.
func readFile(path string) (*rawFile, map[string]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, usage(fmt.Errorf("read profile: %w", err), "")
	}
	return decodeFile(path, data)
}

// decodeFile decodes the bytes of the profile at path (named in errors).
func decodeFile(path string, data []byte) (*rawFile, map[string]int, error) {
	raw := &rawFile{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, usage(yamlError(path, err), "see the profile format in `pm2dock init --help` or the README")
	}
	var root yaml.Node
	lines := map[string]int{}
	if yaml.Unmarshal(data, &root) == nil && len(root.Content) == 1 {
		collectLines(root.Content[0], "", lines)
	}
	return raw, lines, nil
}

func collectLines(n *yaml.Node, prefix string, lines map[string]int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := prefix + n.Content[i].Value
		lines[key] = n.Content[i].Line
		if prefix == "" || prefix == "services." {
			collectLines(n.Content[i+1], key+".", lines)
		}
	}
}

var (
	yamlLine    = regexp.MustCompile(`line (\d+): `)
	yamlUnknown = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)
)

// yamlError rewrites yaml.v3's messages as FILE:LINE: what.
func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		l = yamlUnknown.ReplaceAllString(l, `line $1: unknown key "$2"`)
		if m := yamlLine.FindStringSubmatchIndex(l); m != nil {
			l = path + ":" + l[m[2]:m[3]] + ": " + l[:m[0]] + l[m[1]:]
		} else {
			l = path + ": " + l
		}
		out = append(out, l)
	}
	return errors.New(strings.Join(out, "\n"))
}

// loadCompose loads the compose project as `docker compose` does
// (docker/compose cmd/compose/compose.go, toProjectOptions), in its order: the
// environment; the env files (compose.env_files, else COMPOSE_ENV_FILES, else
// .env) read first, so that COMPOSE_FILE, COMPOSE_PATH_SEPARATOR,
// COMPOSE_PROJECT_NAME and COMPOSE_PROFILES in .env count; the files
// (compose.files, else COMPOSE_FILE, else compose's default names with their
// override file); then the env files again from the project's folder; then
// the profiles (compose.profiles, else COMPOSE_PROFILES).
func loadCompose(ctx context.Context, c Compose, dir string, env []string, view bool) (*typesProject, error) {
	opts, err := ProjectOptions(c, dir, env, view)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(ctx)
}

// ProjectOptions are compose-go's options for the project of c in dir, by
// compose's rules (see loadCompose); `init` loads through them too.
func ProjectOptions(c Compose, dir string, env []string, view bool) (*cli.ProjectOptions, error) {
	envFiles := c.EnvFiles
	if len(envFiles) == 0 {
		if v := lookup(env, "COMPOSE_ENV_FILES"); v != "" {
			for _, f := range strings.Split(v, ",") {
				envFiles = append(envFiles, absIn(dir, f))
			}
		}
	}
	fns := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(dir), cli.WithEnv(env),
		cli.WithEnvFiles(envFiles...), cli.WithDotEnv,
		configFileEnvIn(dir), cli.WithDefaultConfigPath, projectDirOfFirstFile,
		cli.WithEnvFiles(envFiles...), cli.WithDotEnv,
		cli.WithDefaultProfiles(), cli.WithResolvedPaths(true),
	}
	if view {
		fns = append(fns, cli.WithLoadOptions(loader.WithSkipValidation))
	}
	if len(c.Profiles) > 0 {
		fns = append(fns, cli.WithProfiles(c.Profiles))
	}
	if c.Project != "" {
		fns = append(fns, cli.WithName(c.Project))
	}
	return cli.NewProjectOptions(c.Files, fns...)
}

// configFileEnvIn is compose-go's WithConfigFileEnv with relative entries of
// COMPOSE_FILE taken from dir, the project's folder, rather than from this
// process's working folder: Nx runs `pm2dock --dir=services` from the
// workspace root, and the shim from the profile's folder, and all of them
// must mean the files `docker compose` means when run in dir.
func configFileEnvIn(dir string) cli.ProjectOptionsFn {
	return func(o *cli.ProjectOptions) error {
		f, ok := o.Environment["COMPOSE_FILE"]
		if len(o.ConfigPaths) > 0 || !ok {
			return nil
		}
		sep := o.Environment["COMPOSE_PATH_SEPARATOR"]
		if sep == "" {
			sep = string(os.PathListSeparator)
		}
		for _, entry := range strings.Split(f, sep) {
			path := absIn(dir, entry)
			if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
				if err == nil {
					err = errors.New("not a regular file")
				}
				return fmt.Errorf("compose file %q set by COMPOSE_FILE is invalid: %w", entry, err)
			}
			o.ConfigPaths = append(o.ConfigPaths, path)
		}
		return nil
	}
}

// projectDirOfFirstFile makes the project's folder the first compose file's,
// as compose does without --project-directory: `.env` then loads from there,
// relative paths in the files resolve from there, and the default project name
// is that folder's. dir only served to find the files.
func projectDirOfFirstFile(o *cli.ProjectOptions) error {
	if len(o.ConfigPaths) > 0 {
		o.WorkingDir = ""
	}
	return nil
}

func absIn(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)
var allDigits = regexp.MustCompile(`^[0-9]+$`)

// ValidKey reports why key cannot be a service key (PM2 app name and file
// name), or nil.
func ValidKey(key string) error {
	switch {
	case !keyRE.MatchString(key):
		return fmt.Errorf("service key %q is not allowed: use a letter or digit, then letters, digits, '-' or '_' (at most 63)", key)
	case allDigits.MatchString(key):
		return fmt.Errorf("service key %q is not allowed: PM2 reads an all-digit name as a process id", key)
	case key == "all":
		return fmt.Errorf("service key %q is not allowed: `pm2 restart all` would mean every app", key)
	}
	return nil
}

var invalidKeyRunes = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// AppName is the PM2 app name (and service key) of a compose service when no
// pm2dock.yaml names it: the compose name itself when it is a valid key, else
// the name with each run of other characters made one '-', trimmed, cut to
// fit, and prefixed "svc-" where that is still no key (empty, all digits,
// "all"). It is the one rule: zero-config mode, `init`, and through them the
// ecosystem and the Nx targets use it.
func AppName(compose string) string {
	if ValidKey(compose) == nil {
		return compose
	}
	key := strings.Trim(invalidKeyRunes.ReplaceAllString(compose, "-"), "-_")
	if key == "" || ValidKey(key) != nil && len(key) <= 63 {
		key = "svc-" + key
	}
	if len(key) > 63 {
		key = strings.TrimRight(key[:63], "-_")
	}
	return key
}

// AppNames maps each compose service to its AppName; two services that map
// to one name are an error naming both.
func AppNames(services []string) (map[string]string, error) {
	keys, by := map[string]string{}, map[string]string{}
	for _, name := range services {
		key := AppName(name)
		if other, dup := by[key]; dup {
			return nil, usage(fmt.Errorf("compose services %q and %q both map to the PM2 app name %q", other, name, key),
				fmt.Sprintf("name them yourself in %s: services: {KEY: {service: %q}}", FileName, name))
		}
		keys[name], by[key] = key, name
	}
	return keys, nil
}

func (p *Profile) resolveServices(raw *rawFile, lines map[string]int) error {
	defaultMax := raw.Defaults.Restart.Max != nil // set in the file, before the built-in defaults
	if raw.Defaults.Job != nil {
		return usage(fmt.Errorf("%sdefaults: job is a key of a service, not a default", p.at(lines, "defaults")),
			"set `job: true` on the services that run once")
	}
	raw.Defaults.inherit(defaultService)
	keys := make([]string, 0, len(raw.Services))
	if p.Path == "" || len(raw.Services) == 0 {
		names := p.Project.ServiceNames()
		mapped, err := AppNames(names)
		if err != nil {
			return err
		}
		raw.Services = map[string]*rawService{}
		for _, name := range names {
			keys = append(keys, mapped[name])
			if mapped[name] != name {
				raw.Services[mapped[name]] = &rawService{Service: name}
			}
		}
	} else {
		for k := range raw.Services {
			keys = append(keys, k)
		}
		sortByLine(keys, lines)
	}
	p.services = map[string]*Service{}
	for _, key := range keys {
		rs := raw.Services[key]
		if rs == nil {
			rs = &rawService{}
		}
		at := p.at(lines, "services."+key)
		if err := ValidKey(key); err != nil {
			return usage(fmt.Errorf("%s%w", at, err), "rename it in "+FileName)
		}
		ownMax := defaultMax || rs.Restart.Max != nil
		rs.inherit(raw.Defaults)
		s, err := p.resolve(key, rs, at)
		if err != nil {
			return err
		}
		if n := onFailureMax(s); n > 0 && !ownMax {
			s.Restart.Max, s.restartFromCompose = n, true
		}
		if other, dup := p.ByCompose(s.Compose); dup {
			return usage(fmt.Errorf("%sservices %q and %q both name compose service %q", at, other.Key, key, s.Compose),
				"one shim per container: keep one of them")
		}
		if n := replicas(s.Spec); n > 1 {
			return usage(fmt.Errorf("%sservice %q: compose runs %d replicas of %q; pm2dock supervises one container per service", at, key, n, s.Compose),
				"remove scale/deploy.replicas, or make each replica its own compose service")
		}
		p.services[key] = s
		p.order = append(p.order, key)
	}
	p.markJobs()
	return nil
}

// markJobs makes a job of every managed service a dependent waits on with
// service_completed_successfully (compose's one-shot services), besides those
// the profile says are.
func (p *Profile) markJobs() {
	for _, k := range p.order {
		for name, d := range p.services[k].Spec.DependsOn {
			if dep, ok := p.ByCompose(name); ok && d.Condition == types.ServiceConditionCompletedSuccessfully {
				dep.Job = true
			}
		}
	}
}

// sortByLine orders service keys as they appear in the file.
func sortByLine(keys []string, lines map[string]int) {
	sort.Slice(keys, func(i, j int) bool { return lines["services."+keys[i]] < lines["services."+keys[j]] })
}

func (p *Profile) at(lines map[string]int, key string) string {
	if p.Path == "" {
		return ""
	}
	if l, ok := lines[key]; ok {
		return fmt.Sprintf("%s:%d: ", p.Path, l)
	}
	return p.Path + ": "
}

func (p *Profile) resolve(key string, rs *rawService, at string) (*Service, error) {
	name := rs.Service
	if name == "" {
		name = key
	}
	spec, err := p.Project.GetService(name)
	if err != nil {
		hint := "compose services: " + strings.Join(p.Project.ServiceNames(), ", ")
		if _, derr := p.Project.GetDisabledService(name); derr == nil {
			hint = "it is behind a compose profile: add it to compose.profiles in " + FileName
		}
		return nil, usage(fmt.Errorf("%sservice %q: compose has no service %q", at, key, name), hint)
	}
	switch rs.Pull {
	case "missing", "always", "never":
	default:
		return nil, usage(fmt.Errorf("%sservice %q: pull %q must be missing, always or never", at, key, rs.Pull), "")
	}
	r := rs.Restart
	return &Service{
		Key: key, Compose: name, Pull: rs.Pull, StartTimeout: time_(rs.StartTimeout),
		RequireEnv: rs.RequireEnv, Spec: spec, Job: rs.Job != nil && *rs.Job,
		Restart: Restart{Max: *r.Max, Window: time_(*r.Window), Delay: time_(*r.Delay),
			MaxDelay: time_(*r.MaxDelay), OnUnhealthy: time_(*r.OnUnhealthy)},
	}, nil
}

func replicas(s types.ServiceConfig) int {
	if s.Scale != nil {
		return *s.Scale
	}
	if s.Deploy != nil && s.Deploy.Replicas != nil {
		return *s.Deploy.Replicas
	}
	return 1
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

func unknownService(p *Profile, key string) error {
	return usage(fmt.Errorf("unknown service %q", key),
		fmt.Sprintf("the services of %s are: %s", where(p.Path, p.Dir), strings.Join(p.order, ", ")))
}
