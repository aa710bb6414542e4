package shim

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/atomicfile"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/state"
)

// sampleFigures are a container's resource use from one sample of the engine's
// stats stream, as `docker stats` computes them: CPU in % of one core over
// the interval since the previous sample (the engine puts that one in
// PreCPUStats), memory used less the inactive page cache. ok is false for the
// first sample of a stream, which has no previous one.
func sampleFigures(s container.StatsResponse) (cpu float64, mem uint64, ok bool) {
	cur, pre := s.CPUStats, s.PreCPUStats
	if pre.SystemUsage == 0 || cur.SystemUsage <= pre.SystemUsage || cur.CPUUsage.TotalUsage < pre.CPUUsage.TotalUsage {
		return 0, 0, false
	}
	cpus := float64(cur.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(len(cur.CPUUsage.PercpuUsage))
	}
	cpu = float64(cur.CPUUsage.TotalUsage-pre.CPUUsage.TotalUsage) / float64(cur.SystemUsage-pre.SystemUsage) * cpus * 100
	mem = s.MemoryStats.Usage
	for _, k := range []string{"total_inactive_file", "inactive_file"} { // cgroup v1, v2
		if v, has := s.MemoryStats.Stats[k]; has && v < mem {
			mem -= v
			break
		}
	}
	return cpu, mem, true
}

// followStats reads the engine's stats stream of container id (one sample a
// second) until ctx ends, and writes each sample's figures to the service's
// stats file, where `status` reads them, and to its figures history (package
// figures), where the dashboard graphs them: a stream the shim holds anyway,
// instead of a stats request per status that costs a second each.
func (s *Shim) followStats(ctx context.Context, id string, limit int64) {
	res, err := s.Engine.ContainerStats(ctx, id, client.ContainerStatsOptions{Stream: true})
	if err != nil {
		return // no figures: status shows null
	}
	defer res.Body.Close()
	defer s.History.Flush() // the container's last seconds are a point of their own
	dec := json.NewDecoder(res.Body)
	path := s.Profile.StateDir.Stats(s.Service.Key)
	var prev *container.CPUStats
	for ctx.Err() == nil {
		var sample container.StatsResponse
		if dec.Decode(&sample) != nil {
			return
		}
		if sample.PreCPUStats.SystemUsage == 0 && prev != nil {
			sample.PreCPUStats = *prev // Podman leaves it empty: the stream's previous sample is it
		}
		cur := sample.CPUStats
		prev = &cur
		cpu, mem, ok := sampleFigures(sample)
		if !ok {
			continue
		}
		f := &state.Stats{At: s.Now().UTC(), Container: id, CPUPercent: render.Round2(cpu), MemBytes: int64(mem), MemLimitBytes: limit}
		s.figures.Store(f)
		s.History.Add(*f)
		raw, _ := json.Marshal(f)
		if err := atomicfile.Write(path, append(raw, '\n'), 0o644); err != nil && ctx.Err() == nil {
			fmt.Fprintf(s.Stderr, "[pm2dock] %s: write %s: %v\n", s.Service.Key, path, err)
			return
		}
	}
}

// publishMetrics sends the container's figures to PM2 as custom metrics, so
// `pm2 show` and `pm2 monit` show the container, not the shim. Called from
// the supervise loop, which owns s.st.
func (s *Shim) publishMetrics() {
	if s.PM2 == nil || s.st.Container == nil {
		return
	}
	c := s.st.Container
	health := c.Health
	if health == "" {
		health = "no healthcheck"
	}
	ms := []Metric{
		{"Container health", health},
		{"Container uptime", render.Seconds(int64(s.Now().Sub(c.StartedAt).Seconds()))},
		{"Container failures (restart window)", strconv.Itoa(len(s.st.Failures))},
	}
	if f := s.figures.Load(); f.Of(c.ID, s.Now()) {
		ms = append(ms, Metric{"Container CPU", render.Percent(f.CPUPercent, " ")}, Metric{"Container Memory", render.Memory(f.MemBytes, f.MemLimitBytes, " / ")})
	}
	s.PM2.Publish(ms...)
}
