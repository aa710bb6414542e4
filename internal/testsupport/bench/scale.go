package main

import (
	"fmt"
	"os"
	"path/filepath"
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
	dir := filepath.Join(w.dir, "scale")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	s := *w
	s.dir, s.project = dir, project
	defer func() {
		s.run(s.bin, "stop")
		s.run("docker", "compose", "down", "-v", "--timeout", "1")
	}()
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
