package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// benchScale measures start → all healthy as the stack grows (issue 16):
// N = 1, 5, 10, 20 fixture services with 1 s healthchecks and no
// dependencies, and a chain of 5 (each waits for the one before to be
// healthy), `pm2dock start` against `docker compose up -d --wait` of the same
// services, alternating, after one untimed round that creates the containers.
func benchScale(w *workspace) ([]row, error) {
	var b strings.Builder
	project := fmt.Sprintf("scale%d", os.Getpid())
	fmt.Fprintf(&b, "name: %s\nx-fix: &fix\n  image: %s\n  stop_grace_period: 2s\n  healthcheck: {test: [\"CMD\", \"/fixture\", \"health\"], interval: 1s, timeout: 2s, retries: 3}\nservices:\n", project, fixImg)
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "  s%d: {<<: *fix}\n", i)
	}
	for i := 0; i < 5; i++ {
		dep := ""
		if i > 0 {
			dep = fmt.Sprintf(", depends_on: {c%d: {condition: service_healthy}}", i-1)
		}
		fmt.Fprintf(&b, "  c%d: {<<: *fix%s}\n", i, dep)
	}
	s, err := w.sub("scale", project, b.String())
	if err != nil {
		return nil, err
	}
	defer s.teardown()
	var rows []row
	measure := func(name string, services []string, note string) error {
		var ours, base []time.Duration
		for i := -1; i < *scaleRuns; i++ { // -1: creates the containers, untimed
			d, _, err := s.run(s.bin, append([]string{"start"}, services...)...)
			if err != nil {
				return err
			}
			if i >= 0 {
				ours = append(ours, d)
			}
			if _, _, err := s.run(s.bin, "stop"); err != nil {
				return err
			}
			d, _, err = s.run("docker", append([]string{"compose", "up", "-d", "--wait"}, services...)...)
			if err != nil {
				return err
			}
			if i >= 0 {
				base = append(base, d)
			}
			if _, _, err := s.run("docker", "compose", "stop", "--timeout", "2"); err != nil {
				return err
			}
		}
		mo, mb := median(ours), median(base)
		rows = append(rows, row{name: name, ours: ms(mo), base: ms(mb) + " (compose up --wait)",
			ratio: fmt.Sprintf("%.2f", float64(mo)/float64(mb)), note: fmt.Sprintf("median of %d; %s", *scaleRuns, note)})
		fmt.Fprintf(os.Stderr, "bench: %s: pm2dock %v, compose %v\n", name, ours, base)
		return nil
	}
	for _, n := range []int{1, 5, 10, 20} {
		var svcs []string
		for i := 0; i < n; i++ {
			svcs = append(svcs, fmt.Sprintf("s%d", i))
		}
		note := "1 s healthchecks, no dependencies"
		if n == 20 {
			note += "; goal ≤ 1.2"
		}
		if err := measure(fmt.Sprintf("start, %d services", n), svcs, note); err != nil {
			return nil, err
		}
	}
	if err := measure("start, a chain of 5", []string{"c4"}, "each depends_on the one before, service_healthy"); err != nil {
		return nil, err
	}
	return rows, nil
}

// benchStatusScale measures `status --json` as the stack grows, N = 10, 20,
// 50 running services (healthchecks every 5 s: fifty 1 s ones would be
// this 2-core machine's whole load), against `pm2 jlist` + `docker compose
// ps --format json` of the same project; and the memory of the 20 attached
// shims. Compose profiles n10 ⊂ n20 ⊂ n50 make each N a project of exactly N
// services for both sides.
func benchStatusScale(w *workspace) ([]row, error) {
	var b strings.Builder
	project := fmt.Sprintf("stscale%d", os.Getpid())
	fmt.Fprintf(&b, "name: %s\nx-fix: &fix\n  image: %s\n  stop_grace_period: 2s\n  healthcheck: {test: [\"CMD\", \"/fixture\", \"health\"], interval: 5s, timeout: 2s, retries: 3}\nservices:\n", project, fixImg)
	for i := 0; i < 50; i++ {
		profiles := "[n50]"
		switch {
		case i < 10:
			profiles = "[n10, n20, n50]"
		case i < 20:
			profiles = "[n20, n50]"
		}
		fmt.Fprintf(&b, "  s%d: {<<: *fix, profiles: %s}\n", i, profiles)
	}
	s, err := w.sub("status-scale", project, b.String())
	if err != nil {
		return nil, err
	}
	defer func() {
		s.extra = []string{"COMPOSE_PROFILES=n50"}
		s.teardown()
	}()
	var rows []row
	for _, n := range []int{10, 20, 50} {
		s.extra = []string{fmt.Sprintf("COMPOSE_PROFILES=n%d", n)}
		if _, _, err := s.run(s.bin, "start"); err != nil {
			return nil, err
		}
		var ours, base []time.Duration
		for i := 0; i < *sruns; i++ {
			d, out, err := s.run(s.bin, "status", "--json")
			if err != nil {
				return nil, err
			}
			if got := strings.Count(string(out), `"state": "healthy"`); got != n {
				return nil, fmt.Errorf("status of %d: %d healthy\n%s", n, got, out)
			}
			ours = append(ours, d)
			d1, _, err := s.run(s.pm2, "jlist")
			if err != nil {
				return nil, err
			}
			d2, _, err := s.run("docker", "compose", "ps", "--format", "json")
			if err != nil {
				return nil, err
			}
			base = append(base, d1+d2)
		}
		mo, mb := median(ours), median(base)
		note := fmt.Sprintf("median of %d", *sruns)
		if n == 50 {
			note += "; goal ≤ 0.25"
		}
		rows = append(rows, row{name: fmt.Sprintf("status, %d services", n), ours: ms(mo), base: ms(mb) + " (jlist+compose ps)",
			ratio: fmt.Sprintf("%.2f", float64(mo)/float64(mb)), note: note})
		if n == 20 {
			r, err := shimMemory(s, 20)
			if err != nil {
				return nil, err
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// shimMemory reads VmRSS and, where the kernel has smaps_rollup, Pss of the
// n attached shims s0…s(n-1): shared pages (the binary's text) count once in
// the PSS total.
func shimMemory(s *workspace, n int) (row, error) {
	time.Sleep(3 * time.Second) // past start: attached, following logs, events and stats
	var rss []int
	var total, pss int
	for i := 0; i < n; i++ {
		pid, err := s.shimPID(fmt.Sprintf("s%d", i))
		if err != nil {
			return row{}, err
		}
		kb := statusKB(pid, "VmRSS:")
		if kb == 0 {
			return row{}, fmt.Errorf("no VmRSS for the shim of s%d (pid %d)", i, pid)
		}
		rss, total = append(rss, kb), total+kb
		if raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
			for _, l := range strings.Split(string(raw), "\n") {
				if f := strings.Fields(l); len(f) >= 2 && f[0] == "Pss:" {
					v, _ := strconv.Atoi(f[1])
					pss += v
				}
			}
		}
	}
	sort.Ints(rss)
	note := fmt.Sprintf("per shim median %.1f MB, max %.1f MB; goal ≤ 20 MB each", float64(rss[n/2])/1024, float64(rss[n-1])/1024)
	pssText := "-"
	if pss > 0 {
		pssText = fmt.Sprintf("PSS %.1f MB", float64(pss)/1024)
	}
	return row{name: fmt.Sprintf("shims' memory, %d", n), ours: fmt.Sprintf("RSS %.1f MB", float64(total)/1024), base: pssText, ratio: "-", note: note}, nil
}

// sub is a workspace of its own compose project in folder (under w's), with
// w's binary and PM2.
func (w *workspace) sub(folder, project, composeYAML string) (*workspace, error) {
	dir := filepath.Join(w.dir, folder)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(composeYAML), 0o644); err != nil {
		return nil, err
	}
	s := *w
	s.dir, s.project, s.extra = dir, project, nil
	return &s, nil
}

// teardown stops a sub workspace's services and removes its project.
func (s *workspace) teardown() {
	s.run(s.bin, "stop")
	s.run("docker", "compose", "down", "-v", "--timeout", "1")
}
