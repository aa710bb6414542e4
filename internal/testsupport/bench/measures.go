package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// benchStart alternates the two ways of bringing svc0 from stopped to healthy.
func benchStart(w *workspace) (row, error) {
	var ours, base []time.Duration
	for i := 0; i < *runs; i++ {
		d, _, err := w.run(w.bin, "start", "svc0")
		if err != nil {
			return row{}, err
		}
		ours = append(ours, d)
		if _, _, err := w.run(w.bin, "stop", "svc0"); err != nil {
			return row{}, err
		}
		d, _, err = w.run("docker", "compose", "up", "-d", "--wait", "svc0")
		if err != nil {
			return row{}, err
		}
		base = append(base, d)
		if _, _, err := w.run("docker", "compose", "stop", "svc0"); err != nil {
			return row{}, err
		}
	}
	mo, mb := median(ours), median(base)
	return row{name: "start → healthy", ours: ms(mo), base: ms(mb) + " (compose --wait)",
		ratio: fmt.Sprintf("%+.0f ms", float64((mo-mb).Microseconds())/1000),
		note:  fmt.Sprintf("median of %d; goal ≤ +300 ms", *runs)}, nil
}

// benchRSS reads the resident memory of svc0's attached shim.
func benchRSS(w *workspace) (row, error) {
	if _, _, err := w.run(w.bin, "start", "svc0"); err != nil {
		return row{}, err
	}
	time.Sleep(2 * time.Second)
	raw, err := os.ReadFile(w.dir + "/.pm2dock/state/svc0.json")
	if err != nil {
		return row{}, err
	}
	i := strings.Index(string(raw), `"shim_pid": `)
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw[i+len(`"shim_pid": `):]), ",", 2)[0]))
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return row{}, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			return row{name: "shim RSS (attached)", ours: fmt.Sprintf("%.1f MB", float64(kb)/1024), base: "-", ratio: "-", note: "goal ≤ 20 MB"}, nil
		}
	}
	return row{}, fmt.Errorf("no VmRSS for shim %d", pid)
}

// benchStatus compares one status of 10 running services.
func benchStatus(w *workspace) (row, error) {
	if _, _, err := w.run(w.bin, "start"); err != nil {
		return row{}, err
	}
	var ours, base []time.Duration
	for i := 0; i < *sruns; i++ {
		d, _, err := w.run(w.bin, "status", "--json")
		if err != nil {
			return row{}, err
		}
		ours = append(ours, d)
		d1, _, err := w.run(w.pm2, "jlist")
		if err != nil {
			return row{}, err
		}
		d2, _, err := w.run("docker", "compose", "ps", "--format", "json")
		if err != nil {
			return row{}, err
		}
		base = append(base, d1+d2)
	}
	mo, mb := median(ours), median(base)
	return row{name: "status, 10 services", ours: ms(mo), base: ms(mb) + " (jlist+compose ps)",
		ratio: fmt.Sprintf("%.2f", float64(mo)/float64(mb)), note: fmt.Sprintf("median of %d; goal ≤ 0.25", *sruns)}, nil
}

// benchStatusVsStats compares status (with the containers' CPU and memory,
// which the shims sample) with `docker stats --no-stream` of the same ten
// containers, the peer that asks the engine for one sample per call.
func benchStatusVsStats(w *workspace) (row, error) {
	if _, _, err := w.run(w.bin, "start"); err != nil {
		return row{}, err
	}
	_, ids, err := w.run("docker", "compose", "ps", "-q")
	if err != nil {
		return row{}, err
	}
	stats := append([]string{"stats", "--no-stream"}, strings.Fields(string(ids))...)
	time.Sleep(2 * time.Second) // every shim has a fresh sample
	var ours, base []time.Duration
	for i := 0; i < *sruns; i++ {
		d, out, err := w.run(w.bin, "status", "--json")
		if err != nil {
			return row{}, err
		}
		if strings.Count(string(out), `"cpu_percent": null`) > 0 {
			return row{}, fmt.Errorf("status --json without figures:\n%s", out)
		}
		ours = append(ours, d)
		d, _, err = w.run("docker", stats...)
		if err != nil {
			return row{}, err
		}
		base = append(base, d)
	}
	mo, mb := median(ours), median(base)
	return row{name: "status with CPU/mem, 10", ours: ms(mo), base: ms(mb) + " (docker stats --no-stream)",
		ratio: fmt.Sprintf("%.2f", float64(mo)/float64(mb)), note: fmt.Sprintf("median of %d; goal ≤ 0.1", *sruns)}, nil
}

// benchEngineLimit is start → healthy against the physical limit rather
// than a peer: the engine's own time from creating svc0's container to its
// first health_status: healthy event (docker events, the engine's clock), for
// the same start. The container is removed before each run, so each start
// creates one.
func benchEngineLimit(w *workspace) (row, error) {
	var ours, engine []time.Duration
	for i := 0; i < *runs; i++ {
		if _, _, err := w.run("docker", "compose", "rm", "-f", "-s", "svc0"); err != nil {
			return row{}, err
		}
		since := time.Now().Add(-time.Second)
		d, _, err := w.run(w.bin, "start", "svc0")
		if err != nil {
			return row{}, err
		}
		_, out, err := w.run("docker", "events", "--since", since.Format(time.RFC3339Nano), "--until", time.Now().Add(time.Second).Format(time.RFC3339Nano),
			"--filter", "label=com.docker.compose.project="+w.project, "--filter", "label=com.docker.compose.service=svc0",
			"--filter", "type=container", "--format", "{{.TimeNano}} {{.Action}}")
		if err != nil {
			return row{}, err
		}
		var created, healthy int64
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			switch {
			case f[1] == "create" && created == 0:
				created = ns
			case strings.HasPrefix(strings.Join(f[1:], " "), "health_status: healthy") && healthy == 0 && created != 0:
				healthy = ns
			}
		}
		if created == 0 || healthy == 0 {
			return row{}, fmt.Errorf("engine limit: no create and healthy events for svc0:\n%s", out)
		}
		ours, engine = append(ours, d), append(engine, time.Duration(healthy-created))
		if _, _, err := w.run(w.bin, "stop", "svc0"); err != nil {
			return row{}, err
		}
	}
	mo, me := median(ours), median(engine)
	return row{name: "start → healthy vs engine", ours: ms(mo), base: ms(me) + " (engine: create → healthy)",
		ratio: fmt.Sprintf("%.2f", float64(mo)/float64(me)), note: fmt.Sprintf("median of %d, 500 ms healthcheck; goal ≤ 1.1", *runs)}, nil
}
