package profile

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"gopkg.in/yaml.v3"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/render"
)

// MissingEnv returns a usage error naming the require_env variables of s that
// are unset or empty in the project's environment (shell, env files).
func (p *Profile) MissingEnv(s *Service) error {
	var missing []string
	for _, k := range s.RequireEnv {
		if v, ok := p.Project.Environment[k]; !ok || v == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return exitcode.New(exitcode.Usage,
		fmt.Errorf("%s %s not set (required by service %s)", strings.Join(missing, ", "), render.Plural(len(missing), "is", "are"), s.Key),
		fmt.Sprintf("export it in the shell that runs pm2dock, or put it in the compose .env file of %s", p.Dir))
}

// ReferencedVars names the variables the compose project reads from the
// environment: interpolated ones (${VAR}), pass-through service environment
// entries (`- VAR`), require_env, and compose's own COMPOSE_* settings. Only
// these are handed from the invoking shell to the shim (never through PM2).
func (p *Profile) ReferencedVars() []string {
	set := map[string]bool{"COMPOSE_PROJECT_NAME": true, "COMPOSE_FILE": true, "COMPOSE_PROFILES": true,
		"COMPOSE_PATH_SEPARATOR": true, "COMPOSE_ENV_FILES": true}
	for _, s := range p.services {
		for _, k := range s.RequireEnv {
			set[k] = true
		}
	}
	for _, sc := range p.Project.Secrets { // `secrets: {x: {environment: VAR}}`
		if sc.Environment != "" {
			set[sc.Environment] = true
		}
	}
	for _, c := range p.Project.Configs {
		if c.Environment != "" {
			set[c.Environment] = true
		}
	}
	for _, f := range p.Project.ComposeFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // it loaded a moment ago; a vanished file only loses hand-over names
		}
		var dict map[string]any
		if yaml.Unmarshal(data, &dict) != nil {
			continue
		}
		for name := range template.ExtractVariables(dict, template.DefaultPattern) {
			set[name] = true
		}
		for _, name := range passThrough(dict) {
			set[name] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// passThrough finds `environment:` entries without a value in every service.
func passThrough(dict map[string]any) []string {
	services, _ := dict["services"].(map[string]any)
	var names []string
	for _, svc := range services {
		m, _ := svc.(map[string]any)
		switch env := m["environment"].(type) {
		case []any:
			for _, e := range env {
				if s, ok := e.(string); ok && !strings.Contains(s, "=") {
					names = append(names, s)
				}
			}
		case map[string]any:
			for k, v := range env {
				if v == nil {
					names = append(names, k)
				}
			}
		}
	}
	return names
}
