package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

type logRecord struct {
	TS      time.Time `json:"ts"`
	Service string    `json:"service"`
	Stream  string    `json:"stream"`
	Level   string    `json:"level"`
	Msg     string    `json:"msg"`
}

func (e *stackEnv) logs(args ...string) []logRecord {
	e.t.Helper()
	out, errOut, code := e.Run(append([]string{"logs", "--json"}, args...)...)
	if code != 0 {
		e.t.Fatalf("pm2dock logs %v: exit %d\n%s", args, code, errOut)
	}
	var recs []logRecord
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var r logRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			e.t.Fatalf("logs --json line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// fixtureLines returns, per fixture run and stream, the sequence numbers of
// the lines in order.
func fixtureLines(msgs []string) map[string][]int {
	runs := map[string][]int{}
	for _, m := range msgs {
		if !strings.HasPrefix(m, "seq=") {
			continue
		}
		var seq int
		var run, stream string
		for _, f := range strings.Fields(m) {
			switch {
			case strings.HasPrefix(f, "seq="):
				seq, _ = strconv.Atoi(f[4:])
			case strings.HasPrefix(f, "run="):
				run = f[4:]
			case strings.HasPrefix(f, "stream="):
				stream = f[7:]
			}
		}
		runs[run+"/"+stream] = append(runs[run+"/"+stream], seq)
	}
	return runs
}

func TestStoreKeepsEverySequenceNumberOnceAcrossShimKillsAndARestart(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf(`services:
  chatty:
    image: %s
    stop_grace_period: 2s
    environment: {FIXTURE_LOG_RATE: "2000", FIXTURE_LOG_STREAM: both}
`, h.FixtureImage), "")
	e.MustRun("start", "chatty")
	killShim := func() {
		time.Sleep(1500 * time.Millisecond)
		pid := e.PM2.App("chatty").PID
		syscall.Kill(pid, syscall.SIGKILL)
		eventually(t, 15*time.Second, "a new shim attaches", func() bool {
			a := e.PM2.App("chatty")
			return a != nil && a.PID != pid && a.PID != 0 && e.State("chatty")["phase"] == "ready"
		})
	}
	killShim()
	killShim()
	time.Sleep(time.Second)
	shimBefore := e.State("chatty")["shim_pid"]
	h.Docker(t, "", "restart", "-t", "1", e.Running("chatty").ID)
	eventually(t, 20*time.Second, "a new shim is attached after the restart", func() bool {
		st := e.State("chatty")
		return st["phase"] == "ready" && st["shim_pid"] != shimBefore
	})
	time.Sleep(1500 * time.Millisecond)
	id := e.Running("chatty").ID
	e.MustRun("stop", "chatty") // graceful: the shim drains every line before it exits
	e.invariants("chatty", "chatty", "stopped")

	var stored []string
	for _, r := range e.logs("chatty") {
		stored = append(stored, r.Msg)
	}
	raw, err := exec.Command("docker", "logs", id).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	truth := fixtureLines(strings.Split(string(raw), "\n"))
	got := fixtureLines(stored)
	if len(truth) != 4 {
		t.Fatalf("%d run/stream pairs, want 4: two runs (one restart) on two streams", len(truth))
	}
	total := 0
	for run, want := range truth {
		seqs := got[run]
		total += len(want)
		if len(seqs) != len(want) {
			t.Errorf("run %s: stored %d lines, the container wrote %d", run, len(seqs), len(want))
		}
		seen := map[int]int{}
		for i, s := range seqs {
			seen[s]++
			if i > 0 && s != seqs[i-1]+2 { // the fixture alternates streams: odd on stdout, even on stderr
				t.Errorf("run %s: seq %d follows %d (lost, duplicated or out of order)", run, s, seqs[i-1])
				break
			}
		}
		for s, n := range seen {
			if n != 1 {
				t.Errorf("run %s: seq %d stored %d times", run, s, n)
			}
		}
	}
	faultRow(t, "2 × kill -9 of the shim and a container restart at 2,000 lines/s", 0, total)
}

func TestLevelErrorOnPostgresOutput(t *testing.T) {
	e, _ := pgStack(t, false)
	e.MustRun("start", "db")
	h.TryDocker("", "exec", e.Running("postgres").ID, "psql", "-U", "app", "-d", "app", "-c", "SELECT * FROM no_such_table")
	var errs []logRecord
	eventually(t, 10*time.Second, "ERROR line stored", func() bool {
		errs = e.logs("db", "--level", "error")
		for _, r := range errs {
			if strings.Contains(r.Msg, "ERROR:") && strings.Contains(r.Msg, "no_such_table") {
				return true
			}
		}
		return false
	})
	for _, r := range errs {
		if strings.Contains(r.Msg, " LOG: ") || (r.Level != "error" && r.Level != "fatal") {
			t.Errorf("--level error returned %s line %q", r.Level, r.Msg)
		}
	}
	if all := e.logs("db"); len(all) <= len(errs) {
		t.Fatalf("all lines %d, error lines %d: LOG lines missing from the store", len(all), len(errs))
	}
}

// syntheticStore writes records every 10 s from 23:00 to 01:00 across midnight
// into small segments, and returns their timestamps.
func syntheticStore(t *testing.T, dir string) []time.Time {
	t.Helper()
	w, err := logstore.OpenWriter(dir, "web", logstore.WriterOptions{SegmentSize: 4 << 10, FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
	var ts []time.Time
	for i := 0; i < 720; i++ {
		at := start.Add(time.Duration(i) * 10 * time.Second)
		ts = append(ts, at)
		if err := w.Append(logstore.Record{TS: at, Service: "web", Stream: "stdout", Msg: []byte(fmt.Sprintf("seq=%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestWindowQueriesAreExactAtSegmentBoundariesAndMidnight(t *testing.T) {
	h.Require(t)
	e := newStack(t, "services:\n  web:\n    image: "+h.FixtureImage+"\n", "logs:\n  max_age: 1m\n")
	logDir := filepath.Join(e.P.Dir, ".pm2dock", "logs")
	ts := syntheticStore(t, logDir)
	segs, _ := logstore.ListSegments(logDir, "web")
	if len(segs) < 10 {
		t.Fatalf("%d segments, want many small ones", len(segs))
	}
	boundary := segs[len(segs)/3].Start
	midnight := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, w := range [][2]time.Time{
		{boundary, boundary.Add(5 * time.Minute)},
		{boundary.Add(-30 * time.Second), boundary.Add(30 * time.Second)},
		{midnight.Add(-95 * time.Second), midnight.Add(95 * time.Second)},
		{ts[0], ts[len(ts)-1].Add(time.Nanosecond)},
	} {
		got := e.logs("web", "--since", w[0].Format(time.RFC3339Nano), "--until", w[1].Format(time.RFC3339Nano))
		var want []time.Time
		for _, x := range ts {
			if !x.Before(w[0]) && x.Before(w[1]) {
				want = append(want, x)
			}
		}
		if len(got) != len(want) {
			t.Errorf("window %v–%v: %d records, want %d", w[0], w[1], len(got), len(want))
			continue
		}
		for i := range got {
			if !got[i].TS.Equal(want[i]) {
				t.Errorf("window %v–%v: record %d at %v, want %v", w[0], w[1], i, got[i].TS, want[i])
				break
			}
		}
	}
	// Retention: max_age 1m of records from the past is everything but the active
	// segment; --dry-run removes nothing.
	out := e.MustRun("prune", "--dry-run")
	if after, _ := logstore.ListSegments(logDir, "web"); len(after) != len(segs) || !strings.Contains(out, "would remove") {
		t.Fatalf("prune --dry-run removed files or listed nothing:\n%s", out)
	}
	e.MustRun("prune")
	after, _ := logstore.ListSegments(logDir, "web")
	if len(after) != 1 || after[0].Name != segs[len(segs)-1].Name {
		t.Fatalf("after prune: %v, want only the active segment %s", after, segs[len(segs)-1].Name)
	}
}

func TestFullLogDiskKeepsSupervisingAndResumes(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	if os.Getuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	e := newStack(t, fmt.Sprintf(`services:
  chatty:
    image: %s
    stop_grace_period: 2s
    environment: {FIXTURE_LOG_RATE: "500", FIXTURE_LOG_TEXT: "%s"}
`, h.FixtureImage, strings.Repeat("x", 200)), "")
	logDir := filepath.Join(e.P.Dir, ".pm2dock", "logs")
	os.MkdirAll(logDir, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", logDir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", logDir).Run() })
	filler := filepath.Join(logDir, "filler")
	os.WriteFile(filler, make([]byte, 1800<<10), 0o644)
	e.MustRun("start", "chatty")
	var rows map[string]statusRow
	eventually(t, 20*time.Second, "status shows the store error", func() bool {
		out, _, _ := e.Run("status", "--json")
		return strings.Contains(out, "store_error") && strings.Contains(out, "no space")
	})
	rows, _ = e.status()
	if rows["chatty"].State != "running" || rows["chatty"].PM2.Status != "online" {
		t.Fatalf("with a full disk: %+v, want the shim online and the container running", rows["chatty"])
	}
	os.Remove(filler)
	freed := time.Now()
	eventually(t, 15*time.Second, "new lines are stored again", func() bool {
		recs := e.logs("chatty", "--since", freed.Add(time.Second).Format(time.RFC3339Nano))
		return len(recs) > 100
	})
	faultRow(t, "log disk full (2 MiB tmpfs), then space freed", time.Since(freed), 0)
	e.invariants("chatty", "chatty", "running")
	eventually(t, 5*time.Second, "the store error clears", func() bool {
		out, _, _ := e.Run("status", "--json")
		return !strings.Contains(out, "store_error")
	})
}

// `pm2 logs NAME --lines N --nostream`, the first command a PM2 user types,
// shows the service's recent output: stdout and stderr, each line once (the
// shim writes the file PM2 reads; PM2 writes none of it), kept to its bound
// under a fast writer; `pm2 flush` empties it and later lines follow.
func TestPM2LogsShowsRecentLines(t *testing.T) {
	e := fixtureApp(t, "2s", `FIXTURE_LOG_RATE: "20000", FIXTURE_LOG_STREAM: both`, "")
	e.MustRun("start", "app")
	file := filepath.Join(e.P.Dir, ".pm2dock", "logs", "app", "pm2.NULL.log")
	time.Sleep(3 * time.Second) // 60,000 lines, about 6 MB: past the bound several times
	out := e.PM2.Run("logs", "app", "--lines", "20", "--nostream", "--raw")
	shown := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "seq=") {
			shown++
		}
	}
	if shown < 15 {
		t.Fatalf("pm2 logs --lines 20 --nostream showed %d fixture lines:\n%s", shown, out)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Size() > 1<<20+256<<10 || fi.Size() < 256<<10 {
		t.Fatalf("the window file: %v, %v; want it near its bound (1 MiB)", fi, err)
	}
	raw, _ := os.ReadFile(file)
	seen, streams := map[string]int{}, map[string]bool{}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) > 2 && strings.HasPrefix(f[0], "seq=") {
			seen[f[0]+" "+f[3]]++
			streams[f[2]] = true
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Fatalf("%s is %d times in the file: PM2 writes it too", k, n)
		}
	}
	if !streams["stream=stdout"] || !streams["stream=stderr"] {
		t.Errorf("the file holds streams %v, want stdout and stderr", streams)
	}
	// pm2 flush empties it: right after, the file holds (almost) none of the
	// lines it held before — a cut alone would keep the newest half.
	maxSeq := func(raw []byte) (top int, upTo func(int) int) {
		var seqs []int
		for _, l := range strings.Split(string(raw), "\n") {
			var n int
			if _, err := fmt.Sscanf(l, "seq=%d ", &n); err == nil {
				seqs = append(seqs, n)
				top = max(top, n)
			}
		}
		return top, func(m int) int {
			c := 0
			for _, n := range seqs {
				if n <= m {
					c++
				}
			}
			return c
		}
	}
	before, _ := os.ReadFile(file)
	top, _ := maxSeq(before)
	e.PM2.Run("flush", "app")
	time.Sleep(150 * time.Millisecond)
	after, _ := os.ReadFile(file)
	_, upTo := maxSeq(after)
	if old := upTo(top); old > 200 || len(after) == 0 {
		t.Fatalf("after pm2 flush the file holds %d of the lines up to seq %d it held before (%d bytes)", old, top, len(after))
	}
}
