package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// npmPlatform is the @pm2dock/<os>-<cpu> package of this machine.
func npmPlatform() string {
	cpu := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	return runtime.GOOS + "-" + cpu
}

// packNpm runs scripts/npm-pack.sh (as `make npm` does) for this machine's
// platform into a temporary folder and returns the tarballs.
func packNpm(t *testing.T) (main, platform, version string) {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(h.RepoRoot(), "scripts", "npm-pack.sh"), out)
	cmd.Env = append(os.Environ(), "PLATFORMS="+npmPlatform())
	if raw, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm-pack.sh: %v\n%s", err, raw)
	}
	raw, err := os.ReadFile(filepath.Join(h.RepoRoot(), "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	version = strings.TrimSpace(string(raw))
	main = filepath.Join(out, "pm2dock-"+version+".tgz")
	platform = filepath.Join(out, "pm2dock-"+npmPlatform()+"-"+version+".tgz")
	for _, f := range []string{main, platform} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("npm-pack.sh did not write %s", f)
		}
	}
	return main, platform, version
}

// pinned reads a devDependency's version from the repository's package.json.
func pinned(t *testing.T, name string) string {
	t.Helper()
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	raw, _ := os.ReadFile(filepath.Join(h.RepoRoot(), "package.json"))
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.DevDependencies[name] == "" {
		t.Fatalf("package.json pins no %s: %v", name, err)
	}
	return pkg.DevDependencies[name]
}

// A Node/Nx team's arrival: a fresh workspace installs the packed tarballs
// (and the pinned Nx and PM2) with npm; the launcher runs the native binary
// and passes exit codes and signals through; `init --nx` registers the
// plugin, which infers the targets; Nx starts PostgreSQL before an app's
// target; the team's own ecosystem file starts the app and the database
// together through the helper, with no Node process in front of the shim and
// no secret in PM2; `pm2dock wait` waits; `pm2 stop all` leaves nothing
// running; without the platform package the launcher says what to do.
func TestNpmPackageInAFreshWorkspace(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.PostgresImage)
	h.RequireImage(t, h.FixtureImage)
	if _, err := exec.LookPath("npm"); err != nil {
		nxSkipOrFail(t, "npm is not on PATH: install Node.js and npm")
	}
	mainTgz, platTgz, version := packNpm(t)

	p := h.NewProject(t, "")
	ws := p.Dir
	w := &nxWorkspace{t: t, P: p, Dir: ws}
	w.PM2 = h.NewPM2(t)
	secret := "s3cret-" + p.Name
	pgPort := h.FreePort(t)
	w.env = []string{"NX_DAEMON=false", "NX_NO_CLOUD=true", "NX_TUI=false", "NX_INTERACTIVE=false", "CI=true", "FORCE_COLOR=0",
		"POSTGRES_PASSWORD=" + secret, fmt.Sprintf("PG_PORT=%d", pgPort)}
	p.WriteFile("package.json", `{"name": "team-workspace", "private": true}`+"\n")
	p.WriteFile("nx.json", `{"neverConnectToCloud": true}`+"\n")
	p.WriteFile("services/compose.yaml", fmt.Sprintf(`name: %s
services:
  db:
    image: %s
    environment: {POSTGRES_USER: app, POSTGRES_DB: app, POSTGRES_PASSWORD: "${POSTGRES_PASSWORD:?set it}"}
    ports: ["127.0.0.1:%d:5432"]
    stop_grace_period: 5s
    healthcheck: {test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-q"], interval: 500ms, retries: 60}
`, p.Name, h.PostgresImage, pgPort))
	p.WriteFile("apps/web/server.js", "require('http').createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1');\n")
	p.WriteFile("apps/web/check.js", `const s = require('net').connect(+process.env.PG_PORT, '127.0.0.1', () => { console.log('db reachable'); s.end(); });
s.on('error', (e) => { console.error('db unreachable: ' + e.message); process.exit(1); });
`)
	p.WriteFile("apps/web/project.json", `{"name": "web", "targets": {"check": {"executor": "nx:run-commands", "cache": false,
  "dependsOn": ["services:start-db"], "options": {"command": "node apps/web/check.js"}}}}
`)
	p.WriteFile("ecosystem.config.js", `const path = require('path');
const pm2dock = require('pm2dock');
module.exports = { apps: [
  { name: 'web', namespace: 'team', script: path.join(__dirname, 'apps/web/server.js') },
  ...pm2dock.apps({ dir: path.join(__dirname, 'services') }),
] };
`)
	mustRun := func(dir string, argv ...string) string {
		t.Helper()
		out, code := w.run(dir, argv...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", strings.Join(argv, " "), code, out)
		}
		return out
	}
	mustRun(ws, "npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error",
		mainTgz, platTgz, "nx@"+pinned(t, "nx"), "pm2@"+pinned(t, "pm2"))
	launcher := filepath.Join(ws, "node_modules", ".bin", "pm2dock")
	native := filepath.Join(ws, "node_modules", "@pm2dock", npmPlatform(), "bin", "pm2dock")

	if out := mustRun(ws, "npx", "--no", "--", "pm2dock", "version"); !strings.Contains(out, "pm2dock "+version+" ") {
		t.Fatalf("npx pm2dock version: %q, want version %s", out, version)
	}

	// The plugin: registered by init --nx, inferring the targets.
	mustRun(filepath.Join(ws, "services"), launcher, "init", "--nx")
	if nxJSON := nxReadFile(t, filepath.Join(ws, "nx.json")); !strings.Contains(nxJSON, `"plugin": "pm2dock/nx"`) {
		t.Fatalf("nx.json after init --nx:\n%s", nxJSON)
	}
	out := mustRun(ws, "npx", "--no", "--", "nx", "show", "project", "services", "--json")
	var shown struct {
		Targets map[string]struct {
			Cache    *bool `json:"cache"`
			Metadata struct {
				Description string `json:"description"`
			} `json:"metadata"`
			Options struct {
				Command string `json:"command"`
			} `json:"options"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &shown); err != nil {
		t.Fatalf("nx show project services: %v\n%s", err, out)
	}
	for _, name := range []string{"start", "stop", "restart", "status", "logs", "events", "wait", "prune", "start-db", "stop-db", "wait-db"} {
		tg, ok := shown.Targets[name]
		if !ok || tg.Cache == nil || *tg.Cache || tg.Metadata.Description == "" || !strings.HasPrefix(tg.Options.Command, native+" ") {
			t.Errorf("inferred target %s = %+v; want it uncached, described, running %s", name, tg, native)
		}
	}

	// Plugin options rename a verb's targets; a target project.json defines wins.
	p.WriteFile("nx.json", `{"neverConnectToCloud": true, "plugins": [{"plugin": "pm2dock/nx", "options": {"targetNames": {"status": "health"}}}]}`+"\n")
	p.WriteFile("services/project.json", `{"name": "services", "targets": {"logs": {"executor": "nx:run-commands", "options": {"command": "echo our own logs"}}}}`+"\n")
	out = mustRun(ws, "npx", "--no", "--", "nx", "show", "project", "services", "--json")
	shown.Targets = nil
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &shown); err != nil {
		t.Fatalf("nx show project services: %v\n%s", err, out)
	}
	if _, ok := shown.Targets["health-db"]; !ok || shown.Targets["health"].Options.Command != native+" --dir=services status" {
		t.Errorf("with targetNames {status: health}: targets %v, want health and health-db", keysOf(shown.Targets))
	}
	if _, ok := shown.Targets["status-db"]; ok {
		t.Errorf("status-db still inferred under targetNames {status: health}")
	}
	if got := shown.Targets["logs"].Options.Command; got != "echo our own logs" {
		t.Errorf("logs runs %q, want project.json's own target to win", got)
	}
	os.Remove(filepath.Join(ws, "services", "project.json"))

	// A broken pm2dock.yaml elsewhere: the plugin reports that file, with
	// pm2dock's reason and fix, as Nx's error for the one file (Nx itself then
	// refuses a project graph with errors, as for any plugin's).
	p.WriteFile("broken/pm2dock.yaml", "services: [\n")
	p.WriteFile("broken/compose.yaml", "services: {x: {image: y}}\n")
	brokenOut, _ := w.run(ws, "npx", "--no", "--", "nx", "show", "projects")
	if !strings.Contains(brokenOut, "- broken/pm2dock.yaml:") || !strings.Contains(brokenOut, "yaml: line 1") ||
		!strings.Contains(brokenOut, "→ fix the YAML") || strings.Contains(brokenOut, "services/pm2dock.yaml:") {
		t.Errorf("nx show projects beside a broken pm2dock.yaml, want that file alone named with the reason and fix:\n%s", brokenOut)
	}
	os.RemoveAll(filepath.Join(ws, "broken"))

	mustRun(ws, "npx", "--no", "--", "nx", "run", "services:start-db")
	rows := npmStatus(t, w, launcher)
	if rows["db"] != "healthy" {
		t.Fatalf("after nx run services:start-db: %v", rows)
	}
	out = mustRun(ws, "npx", "--no", "--", "nx", "run", "web:check", "--output-style=stream")
	if dep, check := strings.Index(out, "nx run services:start-db"), strings.Index(out, "db reachable"); dep < 0 || check < dep {
		t.Fatalf("web:check did not run after services:start-db:\n%s", out)
	}
	mustRun(ws, "npx", "--no", "--", "nx", "run", "services:stop")

	// The team's own ecosystem file: the app and the database together.
	mustRun(ws, "npx", "--no", "--", "pm2", "start", "ecosystem.config.js")
	if out, code := w.run(ws, launcher, "--dir", "services", "wait", "db", "--timeout", "90s"); code != 0 {
		t.Fatalf("pm2dock wait db: exit %d\n%s", code, out)
	}
	// An agent's config, written by init --mcp at the workspace root, starts
	// the installed pm2dock as the agent would: that command, in the root.
	mustRun(filepath.Join(ws, "services"), launcher, "init", "--mcp")
	var agentCfg struct {
		MCPServers map[string]struct {
			Command string
			Args    []string
		} `json:"mcpServers"`
	}
	if err := json.Unmarshal([]byte(nxReadFile(t, filepath.Join(ws, ".mcp.json"))), &agentCfg); err != nil {
		t.Fatalf(".mcp.json: %v", err)
	}
	server := agentCfg.MCPServers["pm2dock"]
	if server.Command != "node_modules/.bin/pm2dock" || strings.Join(server.Args, " ") != "--dir services mcp" {
		t.Fatalf(".mcp.json names %+v", server)
	}
	agentEnv := append(nxScrubbed(w.PM2.Env(), "POSTGRES_PASSWORD", "PG_PORT", "API_PORT", "PM2DOCK_FILE", "NX_"), w.env...)
	answers := mcpClient(t, ws, agentEnv, []mcpCall{{Name: "status", Arguments: map[string]any{"services": []string{"db"}}}},
		append([]string{server.Command}, server.Args...)...)
	if a := answers[0]; a.IsError || !strings.HasPrefix(a.Text, "db: healthy\n") || strings.Contains(a.Text, secret) {
		t.Errorf("status through the server .mcp.json starts: %+v", a)
	}

	apps := map[string]h.App{}
	for _, a := range w.PM2.List() {
		apps[a.Name] = a
	}
	if apps["web"].PM2Env.Status != "online" || apps["db"].PM2Env.Status != "online" {
		t.Fatalf("pm2 apps %+v; want web and db online", apps)
	}
	jl, err := w.PM2.Try("jlist")
	if err != nil {
		t.Fatal(err)
	}
	var full []map[string]any
	if err := json.Unmarshal([]byte(jl[strings.Index(jl, "["):]), &full); err != nil {
		t.Fatalf("pm2 jlist: %v", err)
	}
	for _, a := range full {
		if raw, _ := json.Marshal(a); a["name"] == "db" && (strings.Contains(string(raw), secret) || !strings.Contains(string(raw), `"PM2DOCK_SERVICE":"db"`)) {
			t.Errorf("PM2's record of db holds the database's password, or lacks its PM2DOCK_SERVICE: %s", raw)
		}
	}
	shim := apps["db"].PID
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", shim))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if ppid, _ := strconv.Atoi(fields[1]); ppid != w.PM2.DaemonPID() {
		t.Errorf("the shim's parent is %d, not the PM2 daemon %d: something stands between them", ppid, w.PM2.DaemonPID())
	}
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", shim)); exe != native {
		t.Errorf("PM2 runs %s, want the native binary %s", exe, native)
	}
	mustRun(ws, "npx", "--no", "--", "pm2", "stop", "all")
	if running := strings.TrimSpace(h.Docker(t, "", "ps", "-q", "--filter", "label="+p.Label())); running != "" {
		t.Fatalf("containers still running after pm2 stop all: %s", running)
	}

	t.Run("the launcher passes exit codes and signals through", func(t *testing.T) {
		held, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer held.Close()
		p.WriteFile("other/compose.yaml", fmt.Sprintf(`name: %s
services:
  ghost: {image: pm2dock-test/no-such-image:1}
  porty: {image: %s, ports: ["127.0.0.1:%d:8080"]}
`, p.Name, h.FixtureImage, held.Addr().(*net.TCPAddr).Port))
		p.WriteFile("other/pm2dock.yaml", "defaults: {pull: never}\nservices:\n  ghost: {}\n  porty: {}\n")
		for _, c := range []struct {
			code int
			argv []string
		}{
			{2, []string{"no-such-command"}},
			{3, []string{"--dir", "other", "start", "ghost"}},
			{4, []string{"--dir", "other", "start", "porty"}},
			{6, []string{"--dir", "services", "status", "--check"}},
		} {
			_, nativeCode := w.run(ws, append([]string{native}, c.argv...)...)
			_, code := w.run(ws, append([]string{launcher}, c.argv...)...)
			if code != c.code || nativeCode != c.code {
				t.Errorf("pm2dock %v: launcher exit %d, native %d; want %d from both", c.argv, code, nativeCode, c.code)
			}
		}
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			nat, launched := npmSignalled(t, w, ws, sig, native), npmSignalled(t, w, ws, sig, launcher)
			t.Logf("after %v: native %s, launcher %s", sig, nat, launched)
			if nat != launched {
				t.Errorf("after %v: the launcher ended %q, the native binary %q", sig, launched, nat)
			}
		}
		// Output into a reader that has gone (pm2dock logs | head -1): the
		// binary dies of SIGPIPE; Node ignores that signal, so the launcher
		// ends with the shell's code for it, 141, not 0.
		nat, launched := npmClosedPipe(t, w, ws, native), npmClosedPipe(t, w, ws, launcher)
		if nat != "signal broken pipe" || (launched != nat && launched != "exit 141") {
			t.Errorf("into a closed pipe: the launcher ended %q, the native binary %q; want SIGPIPE, or 141", launched, nat)
		}
	})

	t.Run("without the platform package the launcher says what to do", func(t *testing.T) {
		plat := filepath.Join(ws, "node_modules", "@pm2dock", npmPlatform())
		if err := os.Rename(plat, plat+".away"); err != nil {
			t.Fatal(err)
		}
		defer os.Rename(plat+".away", plat)
		out, code := w.run(ws, "npx", "--no", "--", "pm2dock", "version")
		if code != 2 || !strings.Contains(out, "@pm2dock/"+npmPlatform()+" is not installed") ||
			!strings.Contains(out, "--omit=optional") || !strings.Contains(out, "npm install --save-optional @pm2dock/"+npmPlatform()+"@"+version) {
			t.Errorf("without the platform package: exit %d\n%s", code, out)
		}
	})
}

// npmStatus maps each service of services/ to its state.
func npmStatus(t *testing.T, w *nxWorkspace, bin string) map[string]string {
	t.Helper()
	out, _ := w.run(w.Dir, bin, "--dir", "services", "status", "--json")
	var rows []statusRow
	if err := json.Unmarshal([]byte(out[strings.Index(out, "["):]), &rows); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	m := map[string]string{}
	for _, r := range rows {
		m[r.Name] = r.State
	}
	return m
}

// npmSignalled starts `bin logs --follow` in services/, sends sig after it
// runs, and says how it ended ("exit N" or "signal S").
func npmSignalled(t *testing.T, w *nxWorkspace, ws string, sig syscall.Signal, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "--dir", "services", "logs", "--follow")
	cmd.Dir, cmd.Env = ws, append(w.PM2.Env(), w.env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // node's start and the binary's
	cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%s logs --follow did not end 10 s after %v", bin, sig)
	}
	ws2 := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws2.Signaled() {
		return "signal " + ws2.Signal().String()
	}
	return fmt.Sprintf("exit %d", ws2.ExitStatus())
}

// npmClosedPipe runs `bin --help` writing into a pipe whose reader is
// closed, and says how it ended.
func npmClosedPipe(t *testing.T, w *nxWorkspace, ws, bin string) string {
	t.Helper()
	r, wp, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	cmd := exec.Command(bin, "--help")
	cmd.Dir, cmd.Env, cmd.Stdout = ws, append(w.PM2.Env(), w.env...), wp
	err = cmd.Run()
	wp.Close()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	st := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if st.Signaled() {
		return "signal " + st.Signal().String()
	}
	return fmt.Sprintf("exit %d", st.ExitStatus())
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
