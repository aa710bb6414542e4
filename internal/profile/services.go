package profile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/pm2dock/pm2dock/internal/service"
)

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
	p.services = map[service.Key]*Service{}
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
		p.services[s.Key] = s
		p.order = append(p.order, s.Key)
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
		Key: service.Key(key), Compose: name, Pull: rs.Pull, StartTimeout: time_(rs.StartTimeout),
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
