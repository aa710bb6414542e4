//go:build linux

package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// benchRemote is the added cost per call of an engine over TCP: 5 services
// on a second dockerd reached over 127.0.0.1 TCP and 5 on the same dockerd
// reached through its unix socket (one engine, so only the transport
// differs), status --json and a 1-hour logs window of each, interleaved call
// by call.
// The network here is loopback: the figure is the protocol's cost (HTTP over
// TCP instead of a unix socket, the endpoint resolution), not a link's.
func benchRemote(w *workspace) ([]row, error) {
	dir, err := os.MkdirTemp("", "pm2b-engine-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	eng, stop, err := h.LaunchDockerd(dir, false)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := eng.LoadImages(fixImg); err != nil {
		return nil, err
	}
	stacks := map[string]*workspace{}
	for _, where := range []string{"local", "tcp"} {
		project := fmt.Sprintf("remote%s%d", where, os.Getpid())
		var b strings.Builder
		fmt.Fprintf(&b, "name: %s\nx-fix: &fix\n  image: %s\n  stop_grace_period: 2s\n  environment: {FIXTURE_LOG_RATE: \"20\"}\n"+
			"  healthcheck: {test: [\"CMD\", \"/fixture\", \"health\"], interval: 1s, timeout: 2s, retries: 3}\nservices:\n", project, fixImg)
		for i := 0; i < 5; i++ { // PM2 app names are global: each stack its own
			fmt.Fprintf(&b, "  %s%d: {<<: *fix}\n", where[:1], i)
		}
		s, err := w.sub("engine-"+where, project, b.String())
		if err != nil {
			return nil, err
		}
		s.extra = eng.Env // tcp://127.0.0.1:PORT
		if where == "local" {
			s.extra = []string{"DOCKER_HOST=" + eng.Socket}
		}
		defer s.teardown()
		if _, _, err := s.run(s.bin, "start"); err != nil {
			return nil, err
		}
		stacks[where] = s
	}
	time.Sleep(5 * time.Second) // lines in every store for the window
	since, until := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339)
	calls := []struct {
		name string
		args []string
		ok   func([]byte) error
	}{
		{"status, 5 svc, tcp engine", []string{"status", "--json"}, func(out []byte) error {
			if n := strings.Count(string(out), `"state": "healthy"`); n != 5 {
				return fmt.Errorf("%d healthy of 5:\n%s", n, out)
			}
			return nil
		}},
		{"logs 1 h, 5 svc, tcp engine", []string{"logs", "--since", since, "--until", until}, func(out []byte) error {
			if n := strings.Count(string(out), "fixture line"); n < 5*20*4 {
				return fmt.Errorf("%d lines in the window, want ≥ %d", n, 5*20*4)
			}
			return nil
		}},
	}
	var rows []row
	for _, c := range calls {
		times := map[string][]time.Duration{}
		for i := 0; i < *sruns; i++ {
			order := []string{"local", "tcp"}
			if i%2 == 1 { // the second of a pair finds warmer caches: alternate
				order = []string{"tcp", "local"}
			}
			for _, where := range order {
				d, out, err := stacks[where].run(w.bin, c.args...)
				if err != nil {
					return nil, err
				}
				if err := c.ok(out); err != nil {
					return nil, fmt.Errorf("%s on %s: %w", c.name, where, err)
				}
				times[where] = append(times[where], d)
			}
		}
		mt, ml := median(times["tcp"]), median(times["local"])
		rows = append(rows, row{name: c.name, ours: ms(mt), base: ms(ml) + " (same engine, unix socket)",
			ratio: fmt.Sprintf("%.2f", float64(mt)/float64(ml)),
			note:  fmt.Sprintf("median of %d, interleaved, order alternating; %+.1f ms a call over 127.0.0.1 TCP", *sruns, float64((mt-ml).Microseconds())/1000)})
	}
	return rows, nil
}
