package stack

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/service"
)

// Remover is what a reset needs of the engine beyond Engine: removing a
// service's containers and its own named volumes. *engine.Engine is the
// real one.
type Remover interface {
	Engine
	ContainerRemove(ctx context.Context, id string, opts client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	VolumeInspect(ctx context.Context, id string, opts client.VolumeInspectOptions) (client.VolumeInspectResult, error)
	VolumeRemove(ctx context.Context, id string, opts client.VolumeRemoveOptions) (client.VolumeRemoveResult, error)
}

// ResetPlan is what a reset of Keys does (docs/contracts.md#reset).
type ResetPlan struct {
	Keys []service.Key
	// Dependents are the running services that depend on Keys, directly or
	// not: stopped first and started again, so none runs on data that vanished.
	Dependents []service.Key
	Containers map[service.Key][]string // the containers removed (names), anonymous volumes with them
	Volumes    map[service.Key][]string // the named volumes removed (engine names), only the service's own
	Kept       map[service.Key][]string // mounts left alone, each with why
}

// PlanReset decides what a reset of keys removes: each service's containers
// and the named volumes only it mounts — never a bind mount, never an
// external volume (both kept, said so), and a volume another compose service
// mounts refuses the reset (exit 2, both named): its data is theirs too.
func (s *Stack) PlanReset(ctx context.Context, keys []service.Key) (*ResetPlan, error) {
	rm, ok := s.Engine.(Remover)
	if !ok || s.Engine == nil {
		return nil, fmt.Errorf("reset needs the engine")
	}
	p := s.Profile
	plan := &ResetPlan{Keys: keys, Containers: map[service.Key][]string{}, Volumes: map[service.Key][]string{}, Kept: map[service.Key][]string{}}
	for _, k := range keys {
		svc, err := p.Service(k)
		if err != nil {
			return nil, err
		}
		vols, kept, err := s.OwnVolumes(ctx, rm, k)
		if err != nil {
			return nil, err
		}
		plan.Kept[k] = kept
		for _, v := range vols {
			if v.Exists && !slices.Contains(plan.Volumes[k], v.Name) {
				plan.Volumes[k] = append(plan.Volumes[k], v.Name)
			}
		}
		cs, err := s.Engine.ServiceContainers(ctx, p.Project.Name, svc.Compose)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			plan.Containers[k] = append(plan.Containers[k], engine.Name(c))
		}
	}
	deps, err := s.RunningDependents(ctx, keys)
	if err != nil {
		return nil, err
	}
	plan.Dependents = deps
	return plan, nil
}

// OwnVolume is a named volume only one service mounts.
type OwnVolume struct {
	Source string // the compose volume key
	Name   string // the engine's name
	Target string // where the service mounts it
	Exists bool   // the engine has it (a service that never ran has none)
}

// VolumeInspector is what OwnVolumes asks the engine.
type VolumeInspector interface {
	VolumeInspect(ctx context.Context, id string, opts client.VolumeInspectOptions) (client.VolumeInspectResult, error)
}

// OwnVolumes returns the named volumes only key's compose service mounts,
// and the mounts it keeps out of them, each with why: bind mounts (your
// files) and external volumes (not the stack's). A volume another compose
// service mounts (a disabled one too) is an error naming both (exit 2): its
// data is theirs as well.
func (s *Stack) OwnVolumes(ctx context.Context, e VolumeInspector, key service.Key) ([]OwnVolume, []string, error) {
	p := s.Profile
	svc, err := p.Service(key)
	if err != nil {
		return nil, nil, err
	}
	var out []OwnVolume
	var kept []string
	for _, v := range svc.Spec.Volumes {
		switch {
		case v.Type == types.VolumeTypeBind:
			kept = append(kept, fmt.Sprintf("%s (a bind mount of %s: your files)", v.Target, v.Source))
		case v.Type != types.VolumeTypeVolume || v.Source == "":
			// tmpfs, or an anonymous volume: it goes with the container
		default:
			vc := p.Project.Volumes[v.Source]
			if vc.External {
				kept = append(kept, fmt.Sprintf("%s (volume %s is external: not the stack's)", v.Target, v.Source))
				continue
			}
			if others := mountersOf(p.Project, v.Source, svc.Compose); len(others) > 0 {
				return nil, nil, exitcode.New(exitcode.Usage,
					fmt.Errorf("%s: volume %s is mounted by compose services %s and %s: its data is theirs too",
						key, v.Source, svc.Compose, strings.Join(others, ", ")),
					"give each service a volume of its own, or handle the data by hand")
			}
			name := vc.Name
			if name == "" {
				name = p.Project.Name + "_" + v.Source
			}
			ov := OwnVolume{Source: v.Source, Name: name, Target: v.Target, Exists: true}
			if _, err := e.VolumeInspect(ctx, name, client.VolumeInspectOptions{}); err != nil {
				if !cerrdefs.IsNotFound(err) {
					return nil, nil, fmt.Errorf("%s: inspect volume %s: %w", key, name, err)
				}
				ov.Exists = false
			}
			out = append(out, ov)
		}
	}
	return out, kept, nil
}

// mountersOf lists the compose services other than self that mount the
// project volume source (disabled ones too: their data is there as well).
func mountersOf(p *types.Project, source, self string) []string {
	var out []string
	for _, set := range []types.Services{p.Services, p.DisabledServices} {
		for name, sc := range set {
			if name == self {
				continue
			}
			for _, v := range sc.Volumes {
				if v.Type == types.VolumeTypeVolume && v.Source == source && !slices.Contains(out, name) {
					out = append(out, name)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// RunningDependents are the services PM2 runs that depend on keys, directly
// or through others, not keys themselves.
func (s *Stack) RunningDependents(ctx context.Context, keys []service.Key) ([]service.Key, error) {
	rdeps := map[service.Key][]service.Key{}
	for _, k := range s.Profile.Keys() {
		ds, err := deps(s.Profile, k)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			rdeps[d.Key] = append(rdeps[d.Key], k)
		}
	}
	procs, err := s.PM2.Apps(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[service.Key]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	var out []service.Key
	for queue := append([]service.Key(nil), keys...); len(queue) > 0; queue = queue[1:] {
		for _, d := range rdeps[queue[0]] {
			if seen[d] {
				continue
			}
			seen[d] = true
			queue = append(queue, d)
			if pm2.Find(procs, s.Profile.Namespace, d).Live() {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// Reset carries plan out: stop the services and their running dependents
// through PM2 (dependents first), remove each service's containers (their
// anonymous volumes with them) and its own named volumes, record `reset by
// user` in its journal, then start them all again and wait until healthy —
// jobs they wait on run again, as on a fresh stack. The shims never see the
// removal (they are stopped), so it is no failure, counts toward no crash
// loop and raises no alert.
func (s *Stack) Reset(ctx context.Context, plan *ResetPlan) ([]Result, error) {
	rm := s.Engine.(Remover)
	all := append(append([]service.Key(nil), plan.Keys...), plan.Dependents...)
	if rs, err := s.Stop(ctx, all); err != nil {
		return rs, err
	}
	for _, k := range plan.Keys {
		svc, _ := s.Profile.Service(k)
		cs, err := s.Engine.ServiceContainers(ctx, s.Profile.Project.Name, svc.Compose)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			s.progress(k, "removing container %s", engine.Name(c))
			if _, err := rm.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{RemoveVolumes: true, Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
				return nil, fmt.Errorf("%s: remove container %s: %w", k, engine.Name(c), err)
			}
		}
		for _, v := range plan.Volumes[k] {
			s.progress(k, "removing volume %s", v)
			if _, err := rm.VolumeRemove(ctx, v, client.VolumeRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
				return nil, exitcode.New(exitcode.Error, fmt.Errorf("%s: remove volume %s: %w", k, v, err),
					"another container uses it (docker ps -a --filter volume="+v+"); "+k.String()+" is stopped: start it with pm2dock start "+k.String())
			}
		}
		j := journal.NewWriter(s.Profile.Logs.Dir, k.String(), nil)
		j.Record(journal.Event{TS: s.Now(), Kind: journal.Reset, By: journal.ByUser, Reason: resetReason(plan, k)})
		j.Close()
	}
	return s.Start(ctx, all, nil)
}

func resetReason(plan *ResetPlan, k service.Key) string {
	var parts []string
	if cs := plan.Containers[k]; len(cs) > 0 {
		parts = append(parts, "removed container "+strings.Join(cs, ", "))
	}
	if vs := plan.Volumes[k]; len(vs) > 0 {
		parts = append(parts, "removed volume "+strings.Join(vs, ", "))
	}
	if len(parts) == 0 {
		return "nothing to remove"
	}
	return strings.Join(parts, "; ")
}
