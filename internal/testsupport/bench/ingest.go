package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// benchIngest runs a container writing sequence-numbered lines as fast as it
// is asked and checks the shim stored every one; it reports stored lines per
// second (engine timestamps of the first and last line) and the shim's CPU and
// peak RSS.
func benchIngest(w *workspace, rate, seconds int) (row, error) {
	count := rate * seconds
	env := []string{"COMPOSE_PROFILES=ingest", "CHATTY_RATE=" + strconv.Itoa(rate), "CHATTY_COUNT=" + strconv.Itoa(count)}
	saved := w.extra
	w.extra = env
	defer func() { w.extra = saved }()
	if _, _, err := w.run(w.bin, "start", "chatty"); err != nil {
		return row{}, err
	}
	pid, err := w.shimPID("chatty")
	if err != nil {
		return row{}, err
	}
	cpu0, wall0 := cpuTicks(pid), time.Now()
	deadline := time.Now().Add(time.Duration(seconds)*time.Second + 60*time.Second)
	var stored int
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		_, out, err := w.run(w.bin, "logs", "chatty", "--tail", "1", "--grep", fmt.Sprintf("^seq=%d ", count))
		if err == nil && strings.Contains(string(out), fmt.Sprintf("seq=%d ", count)) {
			break
		}
	}
	cpu1, wall := cpuTicks(pid), time.Since(wall0)
	hwm := statusKB(pid, "VmHWM:")
	_, out, err := w.run(w.bin, "logs", "chatty")
	if err != nil {
		return row{}, err
	}
	var first, last time.Time
	next := 1
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || !strings.HasPrefix(f[4], "seq=") {
			continue
		}
		seq, _ := strconv.Atoi(f[4][4:])
		if seq != next {
			return row{}, fmt.Errorf("ingest: seq %d stored where %d was expected (lost or duplicated)", seq, next)
		}
		next++
		ts, _ := time.Parse("2006-01-02T15:04:05.000Z", f[0])
		if first.IsZero() {
			first = ts
		}
		last = ts
	}
	stored = next - 1
	if stored != count {
		return row{}, fmt.Errorf("ingest: %d of %d lines stored", stored, count)
	}
	perSec := float64(stored) / last.Sub(first).Seconds()
	cpu := float64(cpu1-cpu0) / 100 / wall.Seconds() * 100
	w.run(w.bin, "stop", "chatty")
	return row{name: "ingest, one shim", ours: fmt.Sprintf("%.0f lines/s", perSec), base: fmt.Sprintf("asked %d/s", rate), ratio: "-",
		note: fmt.Sprintf("%d lines, none lost or doubled; shim CPU %.0f%% of a core, peak RSS %.1f MB; goal ≥ 100,000/s", stored, cpu, float64(hwm)/1024)}, nil
}

func (w *workspace) shimPID(svc string) (int, error) {
	raw, err := os.ReadFile(w.dir + "/.pm2dock/state/" + svc + ".json")
	if err != nil {
		return 0, err
	}
	i := strings.Index(string(raw), `"shim_pid": `)
	if i < 0 {
		return 0, fmt.Errorf("no shim_pid in %s's state", svc)
	}
	return strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw[i+len(`"shim_pid": `):]), ",", 2)[0]))
}

// cpuTicks is utime+stime of pid in clock ticks (100 per second on Linux).
func cpuTicks(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

func statusKB(pid int, key string) int {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, key) {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			return kb
		}
	}
	return 0
}
