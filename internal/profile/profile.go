package profile

import (
	"slices"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
)

// Profile is a loaded pm2dock.yaml (or the zero-config defaults) joined with
// its compose project.
type Profile struct {
	Path      string    // absolute path of pm2dock.yaml; "" in zero-config mode
	Dir       string    // the folder relative paths resolve against
	Namespace string    // PM2 namespace of the apps
	StateDir  state.Dir // absolute
	// SnapshotDir holds pm2dock snapshot's files (absolute; docs/contracts.md#snapshots).
	SnapshotDir string
	Logs        Logs
	Alerts      Alerts
	Compose     Compose
	// EngineContext is engine.context: the docker context every command and
	// compose call uses, as `docker --context`; "" lets the environment choose
	// (package endpoint).
	EngineContext string
	Project       *types.Project // as compose resolves it
	services      map[service.Key]*Service
	order         []service.Key // service keys in file (or compose) order
}

// Compose says which compose project the profile manages.
type Compose struct {
	Files    []string // absolute; empty means compose's default discovery
	Project  string
	Profiles []string
	EnvFiles []string // absolute
}

// Logs is the log store's place and retention.
type Logs struct {
	Dir         string // absolute
	MaxAge      time.Duration
	MaxSize     int64
	SegmentSize int64
}

// Alerts says where crash-loop and failure alerts go.
type Alerts struct {
	Command []string
	Webhook string
}

// Restart is the automatic restart policy of a service.
type Restart struct {
	Max         int
	Window      time.Duration
	Delay       time.Duration
	MaxDelay    time.Duration
	OnUnhealthy time.Duration
}

// Service is one managed service with its defaults applied.
type Service struct {
	Key          service.Key // the PM2 app name
	Compose      string      // the compose service name
	Pull         string      // missing | always | never
	StartTimeout time.Duration
	Restart      Restart
	RequireEnv   []string
	Spec         types.ServiceConfig
	// Job: a one-shot service, whose exit 0 is success (profile `job: true`,
	// or a dependent waits on it with service_completed_successfully).
	Job bool

	restartFromCompose bool // Restart.Max is the compose policy's on-failure:N
}

// StopGraceSeconds is StopGrace in whole seconds for the Engine API, rounded
// up: a 500 ms grace period must not become an immediate SIGKILL.
func (s *Service) StopGraceSeconds() int {
	return int((s.StopGrace() + time.Second - 1) / time.Second)
}

// StopGrace is how long the engine waits after the stop signal before SIGKILL
// (compose stop_grace_period, default 10 s).
func (s *Service) StopGrace() time.Duration {
	if s.Spec.StopGracePeriod != nil {
		return time.Duration(*s.Spec.StopGracePeriod)
	}
	return 10 * time.Second
}

// Keys returns the service keys in profile order.
func (p *Profile) Keys() []service.Key { return append([]service.Key(nil), p.order...) }

// Service returns the service with key, or a usage error naming the known keys.
func (p *Profile) Service(key service.Key) (*Service, error) {
	if s, ok := p.services[key]; ok {
		return s, nil
	}
	return nil, unknownService(p, key)
}

// ByCompose returns the managed service whose compose service is name.
func (p *Profile) ByCompose(name string) (*Service, bool) {
	for _, k := range p.order {
		if p.services[k].Compose == name {
			return p.services[k], true
		}
	}
	return nil, false
}

func intPtr(v int) *int                { return &v }
func durPtr(v time.Duration) *Duration { d := Duration(v); return &d }

type typesProject = types.Project

func time_(d Duration) time.Duration { return time.Duration(d) }

// Networks returns the engine names of the networks compose creates for svc
// on its first `up` (its networks that are not external), sorted.
func (p *Profile) Networks(svc *Service) []string {
	var names []string
	for key := range svc.Spec.Networks {
		n, ok := p.Project.Networks[key]
		if !ok || bool(n.External) {
			continue
		}
		name := n.Name
		if name == "" {
			name = p.Project.Name + "_" + key
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
