package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// nxWorkspace is a temporary copy of examples/nx-workspace laid out as in the
// repository — ROOT/examples/nx-workspace, ROOT/bin/pm2dock (this test's
// build) and ROOT/node_modules (a link to the repository's, with the pinned Nx
// and PM2) — with its own compose project name, ports and PM2 daemon.
type nxWorkspace struct {
	t       *testing.T
	Dir     string // the workspace root
	P       *h.Project
	PM2     *h.PM2
	Bin     string
	APIPort int
	env     []string
}

func newNxWorkspace(t *testing.T) *nxWorkspace {
	t.Helper()
	h.Require(t)
	repo := h.RepoRoot()
	if _, err := os.Stat(filepath.Join(repo, "node_modules", "nx", "package.json")); err != nil {
		nxSkipOrFail(t, "Nx is not installed in the repository: run npm ci (make provision)")
	}
	if _, err := exec.LookPath("npx"); err != nil {
		nxSkipOrFail(t, "npx is not on PATH: install Node.js and npm")
	}
	p := h.NewProject(t, "")
	w := &nxWorkspace{t: t, P: p, Dir: filepath.Join(p.Dir, "examples", "nx-workspace"),
		Bin: filepath.Join(p.Dir, "bin", "pm2dock"), APIPort: h.FreePort(t)}
	nxCopyTree(t, filepath.Join(repo, "examples", "nx-workspace"), w.Dir)
	nxCopyFile(t, h.Binary(t), w.Bin, 0o755)
	if err := os.Symlink(filepath.Join(repo, "node_modules"), filepath.Join(p.Dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	compose := filepath.Join(w.Dir, "services", "compose.yaml")
	body := nxReadFile(t, compose)
	if !strings.Contains(body, "\nname: nx-example\n") {
		t.Fatalf("%s: no `name: nx-example` line to make unique", compose)
	}
	p.WriteFile("examples/nx-workspace/services/compose.yaml", strings.Replace(body, "\nname: nx-example\n", "\nname: "+p.Name+"\n", 1))
	p.WriteFile("examples/nx-workspace/services/.env", "POSTGRES_PASSWORD="+pgPassword+"\n")
	w.PM2 = h.NewPM2(t) // after the project: its cleanup (kill the daemon, stopping shims and the api) runs first
	w.env = []string{"NX_DAEMON=false", "NX_NO_CLOUD=true", "NX_TUI=false", "NX_INTERACTIVE=false", "CI=true", "FORCE_COLOR=0",
		fmt.Sprintf("PG_PORT=%d", h.FreePort(t)), fmt.Sprintf("API_PORT=%d", w.APIPort)}
	return w
}

// nxSkipOrFail is the harness's rule: skip, unless skipping is disallowed.
func nxSkipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("PM2DOCK_E2E_DISALLOW_SKIP") == "1" {
		t.Fatalf("cannot skip under PM2DOCK_E2E_DISALLOW_SKIP=1: %s", why)
	}
	t.Skip(why)
}

// run runs argv in dir with the workspace's environment (no shell), bounded by
// a timeout that kills the whole process group; it returns stdout+stderr.
func (w *nxWorkspace) run(dir string, argv ...string) (string, int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(nxScrubbed(w.PM2.Env(), "POSTGRES_PASSWORD", "PG_PORT", "API_PORT", "PM2DOCK_FILE", "NX_"), w.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	w.t.Logf("%s (%.1fs)", strings.Join(argv, " "), time.Since(start).Seconds())
	if ctx.Err() != nil {
		w.t.Fatalf("%s: still running after 4 min:\n%s", strings.Join(argv, " "), out.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	return out.String(), 0
}

// nx runs `npx nx ARGS` in the workspace (--no: never download anything).
func (w *nxWorkspace) nx(args ...string) (string, int) {
	w.t.Helper()
	return w.run(w.Dir, append([]string{"npx", "--no", "--", "nx"}, args...)...)
}

// mustNx runs nx and fails unless it exits 0.
func (w *nxWorkspace) mustNx(args ...string) string {
	w.t.Helper()
	out, code := w.nx(args...)
	if code != 0 {
		w.t.Fatalf("nx %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// init runs this workspace's pm2dock init --nx --project-json in services/.
func (w *nxWorkspace) init() string {
	w.t.Helper()
	out, code := w.run(filepath.Join(w.Dir, "services"), w.Bin, "init", "--nx", "--project-json")
	if code != 0 {
		w.t.Fatalf("pm2dock init --nx --project-json: exit %d\n%s", code, out)
	}
	return out
}

func (w *nxWorkspace) dbHealth() string {
	w.t.Helper()
	ids := strings.Fields(h.Docker(w.t, "", "ps", "-q", "--filter", "label="+w.P.Label(), "--filter", "label=com.docker.compose.service=db"))
	if len(ids) != 1 {
		return fmt.Sprintf("%d running db containers", len(ids))
	}
	return strings.TrimSpace(h.Docker(w.t, "", "inspect", "--format", "{{.State.Health.Status}}", ids[0]))
}

// The example's project.json and pm2dock.yaml are exactly what init writes;
// a second run changes no byte; a target the user adds survives and runs.
func TestNxInitRegeneratesTheExampleByteForByte(t *testing.T) {
	w := newNxWorkspace(t)
	pj, profile := filepath.Join(w.Dir, "services", "project.json"), filepath.Join(w.Dir, "services", "pm2dock.yaml")
	committed, committedProfile := nxReadFile(t, pj), nxReadFile(t, profile)

	if out := w.init(); !strings.Contains(out, "unchanged") || nxReadFile(t, pj) != committed {
		t.Fatalf("init --nx on the committed example changed project.json:\n%s", out)
	}
	os.Remove(pj)
	if out := w.init(); !strings.Contains(out, "created") || nxReadFile(t, pj) != committed {
		t.Fatalf("regenerated project.json differs from the committed one:\n%s\n%s", out, nxReadFile(t, pj))
	}

	user := `"targets": {
    "hello": { "executor": "nx:run-commands", "cache": false, "options": { "command": "echo hello from a user target" } },`
	edited := strings.Replace(committed, `"targets": {`, user, 1)
	os.WriteFile(pj, []byte(edited), 0o644)
	w.init()
	if after := nxReadFile(t, pj); after != edited {
		t.Fatalf("init --nx changed a project.json holding a user target:\n%s", after)
	}
	if out := w.mustNx("run", "services:hello"); !strings.Contains(out, "hello from a user target") {
		t.Fatalf("the user target does not run:\n%s", out)
	}
	var shown struct {
		Targets map[string]struct {
			Cache *bool `json:"cache"`
		} `json:"targets"`
	}
	out := w.mustNx("show", "project", "services", "--json")
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &shown); err != nil {
		t.Fatalf("nx show project: %v\n%s", err, out)
	}
	for _, name := range []string{"start", "stop", "restart", "status", "logs", "prune", "start-db", "logs-db", "hello"} {
		if tg, ok := shown.Targets[name]; !ok || tg.Cache == nil || *tg.Cache {
			t.Errorf("Nx sees target %s as %+v; want it present and uncached", name, tg)
		}
	}
	if nxReadFile(t, profile) != committedProfile {
		t.Error("init --nx rewrote pm2dock.yaml")
	}
}

// The generated targets drive the real stack through real Nx: start returns
// healthy, status and logs reach pm2dock with their arguments, status --check
// fails once db is stopped, and api:serve starts db first and reaches it.
func TestNxTargetsRunTheStackAndTheApi(t *testing.T) {
	h.RequireImage(t, h.PostgresImage)
	w := newNxWorkspace(t)

	out := w.mustNx("run", "services:start")
	if !strings.Contains(out, "healthy") || w.dbHealth() != "healthy" {
		t.Fatalf("services:start: db is %s\n%s", w.dbHealth(), out)
	}
	if out := w.mustNx("run", "services:status"); !strings.Contains(out, "db") || !strings.Contains(out, "healthy") {
		t.Fatalf("services:status does not show db healthy:\n%s", out)
	}
	t.Run("logs", func(t *testing.T) {
		for _, args := range [][]string{{"run", "services:logs", "--service=db", "--since=10m"},
			{"run", "services:logs", "db", "--since=10m"}, {"run", "services:logs-db", "--since=10m"}} {
			out := w.mustNx(args...)
			if !strings.Contains(out, " db ") || !strings.Contains(out, "ready to accept connections") {
				t.Errorf("nx %s does not print db's lines:\n%s", strings.Join(args, " "), out)
			}
		}
		if out, code := w.nx("run", "services:logs", "db", "--since=not-a-time"); code == 0 {
			t.Errorf("a bad --since did not reach pm2dock (exit 0):\n%s", out)
		}
	})

	w.mustNx("run", "services:stop-db")
	if out, code := w.nx("run", "services:status", "--check"); code == 0 || !strings.Contains(out, "not healthy") {
		t.Fatalf("services:status --check with db stopped: exit %d\n%s", code, out)
	}

	out = w.mustNx("run", "api:serve", "--output-style=stream")
	dep, serve := strings.Index(out, "nx run services:start-db"), strings.Index(out, "nx run api:serve")
	if dep < 0 || serve < 0 || dep > serve || w.dbHealth() != "healthy" {
		t.Fatalf("api:serve did not run services:start-db first (db is %s):\n%s", w.dbHealth(), out)
	}
	body := nxAPIHealth(t, w.APIPort)
	if body.DB != "ok" || body.Select1 != 1 || body.Startup != "ok" {
		t.Fatalf("api /health = %+v; want db ok, SELECT 1 = 1 and the startup query ok", body)
	}
}

type nxAPIHealthBody struct {
	DB      string `json:"db"`
	Select1 int    `json:"select1"`
	Startup string `json:"startup"`
}

// nxAPIHealth polls the api's /health until it answers 200 (20 s at most).
func nxAPIHealth(t *testing.T, port int) nxAPIHealthBody {
	t.Helper()
	var last string
	client := &http.Client{Timeout: 5 * time.Second}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port))
		if err != nil {
			last = err.Error()
			continue
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = fmt.Sprintf("%d %s", resp.StatusCode, raw)
		var b nxAPIHealthBody
		if resp.StatusCode == http.StatusOK && json.Unmarshal(raw, &b) == nil && b.Startup != "pending" {
			return b
		}
	}
	t.Fatalf("the api's /health did not answer 200 in 20 s; last: %s", last)
	return nxAPIHealthBody{}
}

func nxScrubbed(env []string, drop ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, d := range drop {
			if k == d || strings.HasSuffix(d, "_") && strings.HasPrefix(k, d) {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// nxCopyTree copies the files of src into dst, leaving out what a run leaves
// behind in the example (Nx's cache, pm2dock's state and logs, secrets).
func nxCopyTree(t *testing.T, src, dst string) {
	t.Helper()
	skip := map[string]bool{".nx": true, ".pm2dock": true, "node_modules": true, ".env": true}
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skip[d.Name()] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		nxCopyFile(t, path, filepath.Join(dst, rel), 0o644)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func nxCopyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}

func nxReadFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
