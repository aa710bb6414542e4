package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// stackEnv is one test's workspace: a compose project with a pm2dock.yaml, a
// private PM2 daemon and the pm2dock binary.
type stackEnv struct {
	t   *testing.T
	P   *h.Project
	PM2 *h.PM2
	Bin string
	Env []string // extra KEY=VALUE for pm2dock
}

// newStack writes compose.yaml (its `name:` is the unique project name) and,
// when profile is not empty, pm2dock.yaml.
func newStack(t *testing.T, composeBody, profile string) *stackEnv {
	t.Helper()
	h.Require(t)
	p := h.NewProject(t, "")
	p.WriteFile("compose.yaml", "name: "+p.Name+"\n"+composeBody)
	if profile != "" {
		p.WriteFile("pm2dock.yaml", profile)
	}
	e := &stackEnv{t: t, P: p, Bin: h.Binary(t)}
	e.PM2 = h.NewPM2(t) // after the project: its cleanup (kill the daemon, stopping shims) runs first
	return e
}

// Run runs pm2dock in the project folder.
func (e *stackEnv) Run(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	cmd := exec.Command(e.Bin, args...)
	cmd.Dir = e.P.Dir
	cmd.Env = append(append(e.PM2.Env(), "PM2DOCK_PM2="+e.PM2.Bin), e.Env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run pm2dock %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// MustRun runs pm2dock and fails unless it exits 0.
func (e *stackEnv) MustRun(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.Run(args...)
	if code != 0 {
		e.t.Fatalf("pm2dock %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// container is the part of `docker inspect` the tests read.
type container struct {
	ID           string `json:"Id"`
	Name         string
	Image        string // the image's ID
	RestartCount int
	HostConfig   struct {
		RestartPolicy struct{ Name string }
	}
	State struct {
		Status    string
		Running   bool
		StartedAt string
		ExitCode  int
		OOMKilled bool
		Health    *struct{ Status string }
	}
}

// Containers returns the project's containers of a compose service.
func (e *stackEnv) Containers(service string) []container {
	e.t.Helper()
	ids := strings.Fields(h.Docker(e.t, "", "ps", "-aq", "--filter", "label="+e.P.Label(),
		"--filter", "label=com.docker.compose.service="+service))
	if len(ids) == 0 {
		return nil
	}
	var cs []container
	if err := json.Unmarshal([]byte(h.Docker(e.t, "", append([]string{"inspect"}, ids...)...)), &cs); err != nil {
		e.t.Fatal(err)
	}
	return cs
}

// Running returns the one running container of service, failing otherwise.
func (e *stackEnv) Running(service string) container {
	e.t.Helper()
	var run []container
	for _, c := range e.Containers(service) {
		if c.State.Running {
			run = append(run, c)
		}
	}
	if len(run) != 1 {
		e.t.Fatalf("%s: %d running containers, want 1", service, len(run))
	}
	return run[0]
}

// NoneRunning fails if any container of the project runs.
func (e *stackEnv) NoneRunning() {
	e.t.Helper()
	if out := strings.TrimSpace(h.Docker(e.t, "", "ps", "-q", "--filter", "label="+e.P.Label())); out != "" {
		e.t.Fatalf("containers of %s still running: %s", e.P.Name, out)
	}
}

// State reads a shim's state file.
func (e *stackEnv) State(key string) map[string]any {
	e.t.Helper()
	raw, err := os.ReadFile(filepath.Join(e.P.Dir, ".pm2dock", "state", key+".json"))
	if err != nil {
		e.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// eventually polls cond every 100 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pgCompose is a PostgreSQL service `postgres` on host port port, and
// optionally the auth stand-in `zitadel` depending on it.
func pgCompose(port, authPort int) string {
	s := fmt.Sprintf(`services:
  postgres:
    image: %s
    environment:
      POSTGRES_USER: app
      POSTGRES_DB: app
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}
    ports: ["127.0.0.1:%d:5432"]
    stop_grace_period: 5s
    healthcheck:
      test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-q"]
      interval: 500ms
      retries: 60
`, h.PostgresImage, port)
	if authPort > 0 {
		s += fmt.Sprintf(`  zitadel:
    image: %s
    environment:
      AUTH_DATABASE_URL: postgres://app:${POSTGRES_PASSWORD}@postgres:5432/app
      AUTH_START_DELAY: 1s
    ports: ["127.0.0.1:%d:8080"]
    depends_on:
      postgres: {condition: service_healthy}
    healthcheck:
      test: ["CMD", "/authstub", "health"]
      interval: 500ms
      retries: 60
`, h.AuthImage, authPort)
	}
	return s
}

const pgProfile = `pm2:
  namespace: e2e
services:
  db:
    service: postgres
    require_env: [POSTGRES_PASSWORD]
`

const authProfile = pgProfile + `  auth:
    service: zitadel
`
