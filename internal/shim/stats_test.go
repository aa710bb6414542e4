package shim

import (
	"math"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestFiguresAsDockerStatsComputesThem(t *testing.T) {
	s := container.StatsResponse{
		CPUStats:    container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1_500_000_000}, SystemUsage: 20_000_000_000, OnlineCPUs: 2},
		PreCPUStats: container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1_000_000_000}, SystemUsage: 18_000_000_000},
		MemoryStats: container.MemoryStats{Usage: 100 << 20, Stats: map[string]uint64{"inactive_file": 30 << 20}},
	}
	cpu, mem, ok := sampleFigures(s)
	// 0.5 s of CPU over 2 s of system time on 2 CPUs: 50 % of one core.
	if !ok || math.Abs(cpu-50) > 1e-9 || mem != 70<<20 {
		t.Fatalf("figures = %v %v %v, want 50 %%, 70 MiB", cpu, mem, ok)
	}
	s.MemoryStats.Stats = map[string]uint64{"total_inactive_file": 10 << 20} // cgroup v1
	if _, mem, _ := sampleFigures(s); mem != 90<<20 {
		t.Fatalf("cgroup v1 mem = %d", mem)
	}
	s.PreCPUStats = container.CPUStats{} // the first sample of a stream
	if _, _, ok := sampleFigures(s); ok {
		t.Fatal("figures from a first sample")
	}
}
