package scaffold

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/render"
)

// Stack is what init learns from the compose project of a folder.
type Stack struct {
	Dir      string    // the folder init runs in
	Project  string    // compose project name
	Files    []string  // compose files, relative to Dir
	Services []Service // sorted by compose name
	Disabled []string  // services behind a compose profile that is not enabled
}

// Service is one compose service as the profile's comments describe it.
type Service struct {
	Key        string   // the profile key (PM2 app name)
	Compose    string   // the compose service name
	Image      string   // image, or "build <context>"
	Ports      []string // published ports, "127.0.0.1:5432->5432/tcp"
	Health     string   // the healthcheck in one line; "" when compose has none
	NoHealth   bool     // healthcheck disabled in compose
	DependsOn  []string // "postgres (service_healthy)"
	StopGrace  time.Duration
	RequireEnv []string // variables compose requires: ${VAR:?…} or ${VAR?…}
	JobFor     []string // the keys that wait for it with service_completed_successfully: a job
}

// placeholder stands for a required variable that is unset while init reads
// the compose file: init needs the file's shape, not the secret.
const placeholder = "pm2dock-init-placeholder"

// LoadStack loads the compose project of dir as compose resolves it (default
// file names, .env, enabled profiles). Variables compose requires but neither
// the environment nor .env sets get a placeholder, so init works before
// secrets are set. Errors carry exit code 2.
func LoadStack(ctx context.Context, dir string, env []string) (*Stack, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("init: folder: %w", err)
	}
	opts, err := profile.ProjectOptions(profile.Compose{}, dir, env, false)
	if err != nil {
		return nil, composeErr(dir, err)
	}
	for _, name := range requiredVars(opts.ConfigPaths, "") {
		if opts.Environment[name] == "" {
			opts.Environment[name] = placeholder
		}
	}
	proj, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, composeErr(dir, err)
	}
	if len(proj.Services) == 0 {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("compose project %q in %s has no services", proj.Name, dir),
			"add a service to the compose file; `docker compose config --services` lists them")
	}
	s := &Stack{Dir: dir, Project: proj.Name, Disabled: proj.DisabledServiceNames()}
	for _, f := range proj.ComposeFiles {
		s.Files = append(s.Files, relTo(dir, f))
	}
	keys, err := profile.AppNames(proj.ServiceNames())
	if err != nil {
		return nil, err
	}
	jobFor := map[string][]string{}
	for _, name := range proj.ServiceNames() {
		for _, dep := range sortedKeys(proj.Services[name].DependsOn) {
			if proj.Services[name].DependsOn[dep].Condition == types.ServiceConditionCompletedSuccessfully {
				jobFor[dep] = append(jobFor[dep], keys[name])
			}
		}
	}
	for _, name := range proj.ServiceNames() {
		svc := describe(proj.Services[name], dir, keys)
		svc.RequireEnv = requiredVars(proj.ComposeFiles, name)
		svc.JobFor = jobFor[name]
		s.Services = append(s.Services, svc)
	}
	return s, nil
}

func composeErr(dir string, err error) error {
	return exitcode.New(exitcode.Usage, fmt.Errorf("compose project in %s: %w", dir, err),
		"run `pm2dock init` in the folder of your compose file (or pass --dir); check it with `docker compose config` there")
}

// requiredVars names the variables the compose files require (${VAR:?msg} or
// ${VAR?msg}) inside service (every service when service is "").
func requiredVars(files []string, service string) []string {
	set := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var dict map[string]any
		if yaml.Unmarshal(data, &dict) != nil {
			continue
		}
		scope := dict
		if service != "" {
			services, _ := dict["services"].(map[string]any)
			scope, _ = services[service].(map[string]any)
		}
		for name, v := range template.ExtractVariables(scope, template.DefaultPattern) {
			if v.Required {
				set[name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// describe summarises spec; keys maps compose names to profile keys, so that
// dependencies are named as pm2dock names them.
func describe(spec types.ServiceConfig, dir string, keys map[string]string) Service {
	s := Service{Key: keys[spec.Name], Compose: spec.Name, Image: spec.Image}
	if s.Image == "" && spec.Build != nil {
		s.Image = "build " + relTo(dir, spec.Build.Context)
	}
	for _, p := range spec.Ports {
		published := p.Published
		if published == "" {
			published = "(any free port)"
		}
		s.Ports = append(s.Ports, render.Port(p.HostIP, published, p.Target, p.Protocol))
	}
	s.Health, s.NoHealth = healthLine(spec.HealthCheck)
	for _, name := range sortedKeys(spec.DependsOn) {
		key := keys[name]
		if key == "" { // not enabled: behind a compose profile
			key = name
		}
		s.DependsOn = append(s.DependsOn, fmt.Sprintf("%s (%s)", key, spec.DependsOn[name].Condition))
	}
	if spec.StopGracePeriod != nil {
		s.StopGrace = time.Duration(*spec.StopGracePeriod)
	}
	return s
}

// healthLine renders a compose healthcheck as `cmd args (interval 1s, …)`.
func healthLine(h *types.HealthCheckConfig) (line string, disabled bool) {
	if h == nil {
		return "", false
	}
	test := []string(h.Test)
	if h.Disable || len(test) > 0 && test[0] == "NONE" {
		return "", true
	}
	if len(test) > 0 && (test[0] == "CMD" || test[0] == "CMD-SHELL") {
		test = test[1:]
	}
	var params []string
	for _, p := range []struct {
		name string
		d    *types.Duration
	}{{"interval", h.Interval}, {"timeout", h.Timeout}, {"start period", h.StartPeriod}} {
		if p.d != nil {
			params = append(params, p.name+" "+time.Duration(*p.d).String())
		}
	}
	if h.Retries != nil {
		params = append(params, fmt.Sprintf("retries %d", *h.Retries))
	}
	line = strings.Join(test, " ")
	if line == "" {
		line = "(from the image)"
	}
	if len(params) > 0 {
		line += " (" + strings.Join(params, ", ") + ")"
	}
	return line, false
}

func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return path
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
