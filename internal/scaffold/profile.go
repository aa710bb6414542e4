package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/pm2dock/pm2dock/internal/atomicfile"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/profile"
)

// RenderProfile writes the commented pm2dock.yaml for s: one entry per compose
// service, what compose says about it (image, ports, healthcheck, dependencies)
// in comments, require_env for the variables compose requires, and every other
// setting commented out at its default. It loads back with profile.Load.
func RenderProfile(s *Stack) []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# pm2dock profile, written by `pm2dock init` from %s (compose project %s).", strings.Join(s.Files, ", "), comment(s.Project))
	w("# pm2dock start|stop|restart|status|logs manage the services below; each key is")
	w("# the service's PM2 app name. Lines starting with # show what compose says or a")
	w("# default: uncomment to change. `pm2dock init --help` describes every key.")
	w("")
	c := func(setting, note string) { // a commented-out setting, notes aligned
		if note == "" {
			w("# %s", setting)
			return
		}
		w("# %-26s # %s", setting, note)
	}
	ns := comment(s.Project)
	c("compose:", "")
	c("  files: ["+strings.Join(s.Files, ", ")+"]", "default: compose's own file names")
	c("  project: "+ns, "default: compose's rule (name:, COMPOSE_PROJECT_NAME, folder)")
	c("pm2:", "")
	c("  namespace: "+ns, "default: the compose project; `pm2 restart "+ns+"` restarts them all")
	d := profile.DefaultOf
	c("state_dir: "+d("state_dir"), "")
	c("snapshot_dir: "+d("snapshot_dir"), "`pm2dock snapshot` keeps each service's snapshots here")
	c("logs:", "")
	c("  dir: "+d("logs.dir"), "one folder per service, queried by `pm2dock logs`")
	c("  max_age: "+d("logs.max_age"), "")
	c("  max_size: "+d("logs.max_size"), "per service")
	c("  segment_size: "+d("logs.segment_size"), "segments rotate at this size and at UTC midnight")
	c("defaults:", "every service inherits these; its own keys win")
	c("  pull: "+d("defaults.pull"), "missing | always | never")
	c("  start_timeout: "+d("defaults.start_timeout"), "how long start and restart wait for healthy")
	c("  restart: "+profile.DefaultFlow("defaults.restart"), "")
	w("")
	w("services:")
	for _, svc := range s.Services {
		writeService(&b, svc)
	}
	if len(s.Disabled) > 0 {
		w("# Not managed: %s (behind a compose profile that is not enabled; list it under", comment(strings.Join(s.Disabled, ", ")))
		w("# compose.profiles and add an entry here to manage it).")
	}
	return b.Bytes()
}

func writeService(b *bytes.Buffer, svc Service) {
	w := func(format string, a ...any) { fmt.Fprintf(b, "    "+format+"\n", a...) }
	fmt.Fprintf(b, "  %s:\n", yamlScalar(svc.Key))
	if svc.Key != svc.Compose {
		w("service: %s   # the compose service; its name is not a valid PM2 app name", yamlScalar(svc.Compose))
	}
	if svc.Image != "" {
		w("# image: %s", comment(svc.Image))
	}
	if len(svc.Ports) > 0 {
		w("# ports: %s", comment(strings.Join(svc.Ports, ", ")))
	} else {
		w("# ports: none published")
	}
	switch {
	case svc.NoHealth:
		w("# healthcheck: disabled in compose; start waits for the container to run, not to be ready")
	case svc.Health == "":
		w("# healthcheck: none in compose (one in the image counts); without any, start waits")
		w("# only for the container to run: add one in compose for a real readiness check")
	default:
		w("# healthcheck: %s", comment(svc.Health))
	}
	if len(svc.DependsOn) > 0 {
		w("# depends on: %s; started first by `pm2dock start %s`", comment(strings.Join(svc.DependsOn, ", ")), svc.Key)
	}
	if len(svc.JobFor) > 0 {
		w("# a one-shot job (%s waits for it to complete): its exit 0 is success", strings.Join(svc.JobFor, ", "))
	}
	if svc.StopGrace > 0 {
		w("# stop_grace_period: %s (PM2's kill_timeout is set above it)", svc.StopGrace)
	}
	if len(svc.RequireEnv) > 0 {
		names := make([]string, len(svc.RequireEnv))
		for i, n := range svc.RequireEnv {
			names[i] = yamlScalar(n)
		}
		it := "it"
		if len(names) > 1 {
			it = "them"
		}
		w("require_env: [%s]   # compose requires %s: start fails early when unset", strings.Join(names, ", "), it)
	}
	w("# start_timeout: %s", profile.DefaultOf("defaults.start_timeout"))
}

// yamlScalar renders s as a YAML scalar that reads back as the string s.
func yamlScalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// comment makes text from the compose file safe inside a one-line comment:
// control characters (a newline would end the comment) become spaces, and long
// text is shortened.
func comment(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 160 {
		s = string(r[:159]) + "…"
	}
	return s
}

// WriteProfile writes data to dir/pm2dock.yaml. An existing file is replaced
// only with force; otherwise the error carries exit code 2.
func WriteProfile(dir string, data []byte, force bool) (string, error) {
	path := filepath.Join(dir, profile.FileName)
	if _, err := os.Stat(path); err == nil && !force {
		return path, exitcode.New(exitcode.Usage, fmt.Errorf("%s already exists; init does not overwrite it", path),
			"edit it, or run `pm2dock init --force` to replace it with a fresh one")
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return path, fmt.Errorf("check %s: %w", path, err)
	}
	return path, writeFile(path, data)
}

// ProfileKeys returns the service keys of the profile at path in file order;
// none when the file lists no services (then every compose service is managed).
// Each key is checked with profile.ValidKey, since keys land in Nx target
// names and commands.
func ProfileKeys(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s: %w", path, err), "fix the YAML; `pm2dock init --help` shows the format")
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil
	}
	var keys []string
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "services" || root.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		svcs := root.Content[i+1]
		for j := 0; j+1 < len(svcs.Content); j += 2 {
			k := svcs.Content[j]
			if err := profile.ValidKey(k.Value); err != nil {
				return nil, exitcode.New(exitcode.Usage, fmt.Errorf("%s:%d: %w", path, k.Line, err), "rename it in "+profile.FileName)
			}
			keys = append(keys, k.Value)
		}
	}
	return keys, nil
}

// writeFile replaces path with data atomically, keeping the old file's mode
// (0644 for a new one): the files init writes are the user's.
func writeFile(path string, data []byte) error {
	if err := atomicfile.Write(path, data, atomicfile.Mode(path, 0o644)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
