package status

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
	"github.com/pm2dock/pm2dock/internal/verdict"
)

// Sources are where the views come from.
type Sources struct {
	Profile *profile.Profile
	PM2Home string
	// CLI is the fallback when the RPC socket answers unexpectedly.
	CLI    func() (*pm2.CLI, error)
	Engine *engine.Engine // nil when the engine does not answer
	// Connect connects to the profile's engine again (Watch, wait: an engine
	// that was down may be back), through the same endpoint as Engine.
	Connect func(ctx context.Context, timeout time.Duration) (*engine.Engine, error)
	Now     func() time.Time
}

// Report is the joined view of the selected services.
type Report struct {
	Rows      []Row
	PM2Source string // "rpc", "jlist", or "none (PM2 daemon not running)"
	PM2Err    error  // PM2 did not answer (exit 8)
	EngineErr error  // set by the caller when the engine did not answer (exit 7)
	Engine    string // set by the caller: the engine asked, as endpoint.Endpoint.String says it
}

// Collect builds the rows of keys.
func Collect(ctx context.Context, src Sources, keys []service.Key) Report {
	var rep Report
	var apps []rpc.Process
	var containers map[service.Key]*Container
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); apps, rep.PM2Source, rep.PM2Err = readPM2(ctx, src) }()
	go func() { defer wg.Done(); containers = readContainers(ctx, src, keys) }()
	wg.Wait()
	now := src.Now()
	for _, k := range keys {
		svc, _ := src.Profile.Service(k)
		st, _ := src.Profile.StateDir.Read(k)
		app := pm2.Find(apps, src.Profile.Namespace, k)
		c := containers[k]
		r := Row{Name: k, Service: svc.Compose, Container: c, PM2: pm2View(app, now),
			LastFailure: lastFailure(st), Job: svc.Job, Completed: completion(st)}
		if st != nil {
			r.StoreError = st.StoreError
		}
		figuresOf(c, src.Profile.StateDir.ReadStats(k), now)
		in := verdict.Input{Service: k, Job: svc.Job, App: app, PM2Down: rep.PM2Err != nil,
			State: st, EngineDown: src.Engine == nil}
		if c != nil {
			in.Container = &verdict.Container{Running: c.State == string(container.StateRunning), Health: c.Health}
		}
		r.Verdict = verdict.Judge(in)
		r.State = r.Verdict.State
		rep.Rows = append(rep.Rows, r)
	}
	return rep
}

func readPM2(ctx context.Context, src Sources) ([]rpc.Process, string, error) {
	return pm2.Apps(ctx, src.PM2Home, src.CLI)
}

func pm2View(app *rpc.Process, now time.Time) PM2 {
	if app == nil {
		return PM2{Status: NotRegistered}
	}
	v := PM2{Status: string(app.Env.Status), PID: app.PID, Restarts: app.Env.RestartTime}
	if app.Env.PMUptime > 0 {
		t := time.UnixMilli(app.Env.PMUptime).UTC()
		v.LastStart = &t
		if app.Env.Status == rpc.Online {
			v.UptimeS = int64(now.Sub(t).Seconds())
		}
	}
	return v
}

// readContainers finds each service's container by labels and inspects them in
// parallel; a service with several keeps the running one, else the newest.
func readContainers(ctx context.Context, src Sources, keys []service.Key) map[service.Key]*Container {
	out := map[service.Key]*Container{}
	if src.Engine == nil {
		return out
	}
	f := client.Filters{}.Add("label", engine.LabelProject+"="+src.Profile.Project.Name)
	res, err := src.Engine.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return out
	}
	byService := map[string][]container.Summary{}
	for _, c := range res.Items {
		if c.Labels[engine.LabelOneoff] != "True" {
			byService[c.Labels[engine.LabelService]] = append(byService[c.Labels[engine.LabelService]], c)
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	now := src.Now()
	for _, k := range keys {
		svc, _ := src.Profile.Service(k)
		cs := byService[svc.Compose]
		if len(cs) == 0 {
			continue
		}
		sort.Slice(cs, func(i, j int) bool { return cs[i].Created > cs[j].Created })
		pick := cs[0]
		if r := engine.Running(cs); r != nil {
			pick = *r
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := inspect(ctx, src.Engine, pick, now)
			mu.Lock()
			out[k] = c
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func inspect(ctx context.Context, e *engine.Engine, s container.Summary, now time.Time) *Container {
	c := &Container{ID: s.ID, Name: engine.Name(s), Image: s.Image, State: string(s.State), Ports: []string{}}
	for _, p := range s.Ports {
		if p.PublicPort != 0 {
			ip := "0.0.0.0"
			if p.IP.IsValid() {
				ip = p.IP.String()
			}
			c.Ports = append(c.Ports, render.Port(ip, strconv.Itoa(int(p.PublicPort)), uint32(p.PrivatePort), p.Type))
		}
	}
	sort.Strings(c.Ports)
	res, err := e.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
	if err != nil || res.Container.State == nil {
		return c
	}
	st := res.Container.State
	c.State, c.PID, c.ExitCode, c.OOMKilled = string(st.Status), st.Pid, st.ExitCode, st.OOMKilled
	if h := st.Health; h != nil {
		c.Health = string(h.Status)
		if h.Status == container.Unhealthy && len(h.Log) > 0 && h.Log[len(h.Log)-1] != nil {
			out := strings.TrimSpace(h.Log[len(h.Log)-1].Output)
			c.HealthOutput = &out
		}
	}
	if res.Container.Config != nil {
		c.Image = res.Container.Config.Image
	}
	if t, err := time.Parse(time.RFC3339Nano, st.StartedAt); err == nil && t.Year() > 1 {
		t = t.UTC()
		c.StartedAt = &t
		if st.Running {
			c.UptimeS = int64(now.Sub(t).Seconds())
		}
	}
	return c
}

// lastFailure is the shim's record: a failed start, or the last unexpected exit.
func lastFailure(st *state.File) *Failure {
	if st == nil {
		return nil
	}
	var out *Failure
	if f := st.LastFailure; f != nil {
		lines := f.LastLines
		if lines == nil {
			lines = []string{}
		}
		out = &Failure{At: f.At, ExitCode: f.ExitCode, OOMKilled: f.OOMKilled, Reason: f.Reason, LastLines: lines}
	}
	if st.Phase != state.Failed || st.ExitCode == nil {
		return out
	}
	code := *st.ExitCode
	if st.Code() == exitcode.CrashLoop && out != nil {
		// The verdict, with the container's failure that tripped it: its exit
		// code, OOM flag and last lines are what a person needs first.
		out.Reason, out.ShimExitCode = st.Reason, &code
		return out
	}
	return &Failure{At: st.UpdatedAt, ExitCode: code, Reason: st.Reason, LastLines: []string{}, ShimExitCode: &code}
}

// completion is the last completion as the shim recorded it, or nil.
func completion(st *state.File) *Completion {
	if st == nil || st.Phase != state.Completed || st.Container == nil || st.Container.FinishedAt == nil {
		return nil
	}
	c := st.Container
	return &Completion{At: *c.FinishedAt, RanS: c.FinishedAt.Sub(c.StartedAt).Seconds()}
}

// figuresOf copies the shim's latest figures into c when they are of this
// running container and fresh.
func figuresOf(c *Container, s *state.Stats, now time.Time) {
	if c == nil || c.State != string(container.StateRunning) || !s.Of(c.ID, now) {
		return
	}
	cpu, mem, limit := s.CPUPercent, s.MemBytes, s.MemLimitBytes
	c.CPUPercent, c.MemBytes, c.MemLimitBytes = &cpu, &mem, &limit
}
