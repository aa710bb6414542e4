// Command bench measures pm2dock against the baseline a team uses today, side by
// side in one run on this machine (docs/benchmarks.md), and prints one table of ratios.
// `make bench` runs it after provisioning; absolute times are context only.
//
//	start→healthy   pm2dock start SVC        vs docker compose up -d --wait SVC
//	engine limit    pm2dock start SVC (a new container) vs the engine's own create → first healthy event
//	status, 10 svc  pm2dock status --json    vs pm2 jlist + docker compose ps --format json
//	status+figures  pm2dock status --json    vs docker stats --no-stream of the same 10 containers
//	events, a day   first line of pm2dock events --since 24h (10 services) vs the process floor (pm2dock version)
//	launcher        status --json through node_modules/.bin/pm2dock and npx vs the native binary of the npm package
//	dashboard       page ready (browser's timing) vs the same browser loading a static file; server CPU vs status --watch
//	scale           start → all healthy for 1, 5, 10, 20 services and a chain of 5 vs compose up -d --wait
//	status-scale    status --json of 10, 20, 50 services vs pm2 jlist + compose ps; RSS and PSS of 20 attached shims
//	shim RSS        VmRSS of one attached shim
//	logs window     pm2dock logs --since --until (1 h of a 24 h, ≥ 1 GB store) vs docker logs on the same lines,
//	                and vs dd of the window's bytes; logs --grep over the whole store vs grep -E over the json-file
//	follow          logs --follow latency, engine timestamp → reader, vs docker logs -f of the same container
//	ingest          lines/s one shim stores from a chatty container, none lost (sequence numbers)
//	remote          status --json and a 1-hour logs window of 5 services on a second dockerd over 127.0.0.1 TCP
//	                vs the same on the machine's socket: the added cost per call
//	snapshot        pm2dock snapshot and restore of a ~1 GB PostgreSQL volume vs docker stop + cp out/in + start
//	                (both: downtime, stop → healthy)
//	mcp             an agent's status call and 1-hour logs window through pm2dock mcp (server running)
//	                vs pm2dock status --json and pm2dock logs --since --until as processes
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

var (
	runs      = flag.Int("runs", 7, "repetitions per start measurement")
	sruns     = flag.Int("status-runs", 15, "repetitions per status measurement")
	root      = flag.String("root", ".", "the repository root")
	keep      = flag.Bool("keep", false, "keep the temporary workspace")
	rate      = flag.Int("ingest-rate", 150000, "lines per second the chatty container writes")
	scaleRuns = flag.Int("scale-runs", 3, "repetitions per scale measurement")
	only      = flag.String("only", "", "comma-separated measures to run: start,engine,rss,logs,status,stats,events,launcher,dashboard,scale,status-scale,follow,ingest,remote,mcp,snapshot (default: all)")
	fixImg    = "pm2dock-test/fixture:dev"
)

type row struct {
	name, ours, base string
	ratio            string
	note             string
}

func main() {
	flag.Parse()
	w, err := newWorkspace(*root)
	if err != nil {
		fail(err)
	}
	if !*keep {
		defer w.close()
	}
	var rows []row
	steps := []struct {
		name string
		f    func(*workspace) ([]row, error)
	}{{"start", one(benchStart)}, {"engine", one(benchEngineLimit)}, {"rss", one(benchRSS)}, {"logs", benchLogQuery}, {"status", one(benchStatus)}, {"stats", one(benchStatusVsStats)}, {"events", one(benchEvents)}, {"launcher", benchLauncher}, {"dashboard", benchDashboard}, {"scale", benchScale}, {"status-scale", benchStatusScale}, {"follow", one(benchFollow)},
		{"ingest", one(func(w *workspace) (row, error) { return benchIngest(w, *rate, 10) })}, {"remote", benchRemote}, {"mcp", benchMCP}, {"snapshot", benchSnapshot}}
	for _, st := range steps {
		if *only != "" && !strings.Contains(","+*only+",", ","+st.name+",") {
			continue
		}
		f := st.f
		rs, err := f(w)
		if err != nil {
			fail(err)
		}
		rows = append(rows, rs...)
		fmt.Fprintf(os.Stderr, "bench: %s done\n", rs[0].name)
	}
	fmt.Printf("%-26s %-20s %-36s %-12s %s\n", "measure", "pm2dock", "baseline", "ratio/diff", "note")
	for _, r := range rows {
		fmt.Printf("%-26s %-20s %-36s %-12s %s\n", r.name, r.ours, r.base, r.ratio, r.note)
	}
}

func one(f func(*workspace) (row, error)) func(*workspace) ([]row, error) {
	return func(w *workspace) ([]row, error) {
		r, err := f(w)
		return []row{r}, err
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// workspace is a compose project with a pm2dock profile and a private PM2.
type workspace struct {
	dir, bin, pm2, home, project string
	extra                        []string // more environment for the next commands
}

func newWorkspace(root string) (*workspace, error) {
	abs, _ := filepath.Abs(root)
	dir, err := os.MkdirTemp("", "pm2dock-bench-")
	if err != nil {
		return nil, err
	}
	home, _ := os.MkdirTemp("", "pm2b-")
	w := &workspace{dir: dir, bin: filepath.Join(abs, "bin", "pm2dock"), pm2: filepath.Join(abs, "node_modules", ".bin", "pm2"),
		home: home, project: fmt.Sprintf("bench%d", os.Getpid())}
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nx-fix: &fix\n  image: %s\n  stop_grace_period: 2s\n  healthcheck: {test: [\"CMD\", \"/fixture\", \"health\"], interval: 500ms, timeout: 2s, retries: 3}\nservices:\n", w.project, fixImg)
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "  svc%d: {<<: *fix}\n", i)
	}
	b.WriteString("  ticker:\n    image: " + fixImg + "\n    profiles: [follow]\n    stop_grace_period: 2s\n" +
		"    environment: {FIXTURE_LOG_RATE: \"${TICKER_RATE:-0}\"}\n")
	b.WriteString("  chatty:\n    image: " + fixImg + "\n    profiles: [ingest]\n    stop_grace_period: 2s\n" +
		"    environment: {FIXTURE_LOG_RATE: \"${CHATTY_RATE:-0}\", FIXTURE_LOG_COUNT: \"${CHATTY_COUNT:-0}\"}\n")
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *workspace) env() []string {
	return append(append(os.Environ(), "PM2_HOME="+w.home, "PM2DOCK_PM2="+w.pm2), w.extra...)
}

func (w *workspace) run(name string, args ...string) (time.Duration, []byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = w.dir, w.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return d, out.Bytes(), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return d, out.Bytes(), nil
}

func (w *workspace) close() {
	w.run(w.pm2, "kill")
	w.run("docker", "compose", "down", "-v", "--timeout", "1")
	// compose down leaves containers of no service of its file (the log
	// bench's quiet one): everything with the project's label goes.
	if _, ids, err := w.run("docker", "ps", "-aq", "--filter", "label=com.docker.compose.project="+w.project); err == nil && len(strings.Fields(string(ids))) > 0 {
		w.run("docker", append([]string{"rm", "-f"}, strings.Fields(string(ids))...)...)
	}
	os.RemoveAll(w.dir)
	os.RemoveAll(w.home)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }
