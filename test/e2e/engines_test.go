//go:build linux

package e2e

import (
	"fmt"
	"io"
	"net"
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

// Engines other than the machine's: each runs the core subset — start with a
// healthcheck, status (and status -v naming the engine), a logs window, kill
// -9 of the shim and adoption, a port conflict with exit 4, stop — against
// exactly the engine the docker CLI would choose from the environment set
// here, and checks that nothing reached the machine's own engine.

// localEngine is the machine's engine, named explicitly (whatever the
// environment chooses).
const localEngine = "unix:///var/run/docker.sock"

// engineCase is the environment that chooses an engine and what status -v
// must then say about it.
type engineCase struct {
	env     []string // set with t.Setenv before the stack exists
	host    string   // the endpoint status -v names
	context string   // "context NAME, from HOW"
	remote  bool     // the endpoint counts as another machine (package endpoint)
	kind    string   // what doctor calls the engine; "" means docker
}

func coreOnEngine(t *testing.T, c engineCase) {
	t.Helper()
	for _, kv := range c.env { // before the stack: its cleanup runs with them set
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	port := h.FreePort(t)
	e := newStack(t, fmt.Sprintf(`services:
  app:
    image: %[1]s
    environment: {FIXTURE_LOG_RATE: "20"}
    ports: ["127.0.0.1:%[2]d:8080"]
    stop_grace_period: 3s
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 300ms, timeout: 2s, retries: 20}
  rival:
    image: %[1]s
    ports: ["127.0.0.1:%[2]d:8080"]
`, h.FixtureImage, port), "services:\n  app: {}\n  rival: {}\n")

	started := time.Now()
	e.MustRun("start", "app")
	t.Logf("start app on %s: %v", c.host, time.Since(started).Round(time.Millisecond))
	first := e.Running("app") // docker with this environment: the engine under test
	if out, err := exec.Command("docker", "--host", localEngine, "ps", "-aq", "--filter", "label="+e.P.Label()).Output(); err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("the machine's engine has containers of the project (%q, %v): pm2dock and compose talked to different engines", out, err)
	}
	// The published port answers through the engine's proxy.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
	if err != nil {
		t.Fatalf("GET the published port: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	rows, code := e.status("app")
	if code != 0 || rows["app"].State != "healthy" || rows["app"].Container == nil || rows["app"].Container.ID != first.ID {
		t.Fatalf("status: exit %d, %+v", code, rows["app"])
	}
	_, errOut, _ := e.Run("status", "-v", "app")
	if want := "Engine: " + c.host; !strings.Contains(errOut, want) || !strings.Contains(errOut, c.context) {
		t.Errorf("status -v says:\n%s\nwant %q and %q", errOut, want, c.context)
	}
	// From a shell that chooses the machine's engine, status says the shims
	// talk to another one.
	e.Env = []string{"DOCKER_HOST=" + localEngine, "DOCKER_CONTEXT="}
	_, errOut, _ = e.Run("status", "app")
	e.Env = nil
	if want := "warning: the shims of app talk to the engine at " + strings.SplitN(c.host, " ", 2)[0]; !strings.Contains(errOut, want) {
		t.Errorf("status from the machine's engine says:\n%s\nwant %q", errOut, want)
	}
	kind := c.kind
	if kind == "" {
		kind = "docker"
	}
	out, _, code := e.Run("doctor")
	if code != 0 || !strings.Contains(out, c.host) || !strings.Contains(out, c.context) || !strings.Contains(out, kind+", API") {
		t.Errorf("doctor: exit %d\n%s\nwant it to name %s and %q", code, out, c.host, c.context)
	}

	eventually(t, 10*time.Second, "lines of the last minute in the store", func() bool {
		return len(e.logs("app", "--since", "1m")) >= 10
	})

	// kill -9 of the shim: PM2 starts another, which adopts the container.
	oldPID := e.PM2.App("app").PID
	if err := syscall.Kill(oldPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "a new shim adopts the container", func() bool {
		st := e.State("app")
		return int(st["shim_pid"].(float64)) != oldPID && st["phase"] == "ready" && st["adopted"] == true
	})
	if after := e.Running("app"); after.ID != first.ID || after.State.StartedAt != first.State.StartedAt {
		t.Fatalf("after kill -9 of the shim: container %s started %s, want %s started %s", after.ID, after.State.StartedAt, first.ID, first.State.StartedAt)
	}

	// The rival wants the same host port: exit 4 naming the container there.
	_, errOut, code = e.Run("start", "rival")
	if code != 4 || !strings.Contains(errOut, e.P.Name+"-app-1") || !strings.Contains(errOut, "service app") {
		t.Fatalf("start rival: exit %d, stderr:\n%s\nwant 4 naming %s-app-1 (service app)", code, errOut, e.P.Name)
	}
	if c.remote && !strings.Contains(errOut, "on the engine's machine") {
		t.Errorf("an engine elsewhere: the conflict should say the port is on the engine's machine:\n%s", errOut)
	}

	e.MustRun("stop")
	e.NoneRunning()
	// Every line the container wrote is stored once, across the kill -9 and
	// the adoption (the engine's own log is the truth).
	t.Logf("%d lines stored, each once", e.allSeqsOnce("app", "app"))
	// The journal tells the story: a person's start, healthy, the adoption
	// after kill -9, and the stop.
	evs := kinds(e.events("app"))
	for _, want := range []string{"start/user", "healthy/", "adopt/", "stop/user"} {
		if !strings.Contains(evs, want) {
			t.Errorf("events: %s; want %s among them", evs, want)
		}
	}
}

func TestEngineOverTCP(t *testing.T) {
	d := h.StartDockerd(t, false)
	d.Load(t, h.FixtureImage)
	coreOnEngine(t, engineCase{env: d.Env, host: d.Host, context: "context default, from DOCKER_HOST"})
}

func TestEngineOverTLS(t *testing.T) {
	d := h.StartDockerd(t, true)
	d.Load(t, h.FixtureImage)
	coreOnEngine(t, engineCase{env: d.Env, host: d.Host + " (tls-verify)", context: "context default, from DOCKER_HOST"})
}

// TestEngineChosenByContext is the bug the issue was filed for: with the
// engine chosen by a docker context, compose followed it while pm2dock's own
// client stayed on the local socket. The context has the TLS engine's
// endpoint and certificates, made by `docker context create` itself.
func TestEngineChosenByContext(t *testing.T) {
	d := h.StartDockerd(t, true)
	d.Load(t, h.FixtureImage)
	cfg := t.TempDir()
	create := exec.Command("docker", "context", "create", "pm2dock-e2e", "--docker",
		fmt.Sprintf("host=%s,ca=%s,cert=%s,key=%s", d.Host,
			filepath.Join(d.CertDir, "ca.pem"), filepath.Join(d.CertDir, "cert.pem"), filepath.Join(d.CertDir, "key.pem")))
	create.Env = append(h.EnvWithout(os.Environ(), "DOCKER_HOST", "DOCKER_CONTEXT"), "DOCKER_CONFIG="+cfg)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("docker context create: %v\n%s", err, out)
	}
	coreOnEngine(t, engineCase{env: []string{"DOCKER_CONFIG=" + cfg, "DOCKER_CONTEXT=pm2dock-e2e", "DOCKER_HOST="},
		host: d.Host + " (tls-verify)", context: "context pm2dock-e2e, from DOCKER_CONTEXT"})

	// `docker context use`: the current context of config.json chooses.
	use := exec.Command("docker", "context", "use", "pm2dock-e2e")
	use.Env = append(h.EnvWithout(os.Environ(), "DOCKER_HOST", "DOCKER_CONTEXT"), "DOCKER_CONFIG="+cfg)
	if out, err := use.CombinedOutput(); err != nil {
		t.Fatalf("docker context use: %v\n%s", err, out)
	}
	e := fixtureApp(t, "2s", "", "")
	e.Env = []string{"DOCKER_CONTEXT="}
	if out, _, code := e.Run("doctor"); code != 0 || !strings.Contains(out, "context pm2dock-e2e, from currentContext in "+filepath.Join(cfg, "config.json")) {
		t.Errorf("doctor with a current context: exit %d\n%s", code, out)
	}

	// engine.context in pm2dock.yaml wins over a DOCKER_HOST naming the
	// machine's engine, for start and compose alike.
	e = fixtureApp(t, "2s", "", "engine:\n  context: pm2dock-e2e\n")
	e.Env = []string{"DOCKER_HOST=" + localEngine}
	e.MustRun("start", "app")
	if out, err := d.Docker("ps", "-q", "--filter", "label="+e.P.Label()); err != nil || strings.TrimSpace(out) == "" {
		t.Fatalf("pinned context: no container of the project on the context's engine (%q, %v)", out, err)
	}
	if out, _ := exec.Command("docker", "--host", localEngine, "ps", "-aq", "--filter", "label="+e.P.Label()).Output(); strings.TrimSpace(string(out)) != "" {
		t.Fatalf("pinned context: the machine's engine has the project's container %s", out)
	}
	_, errOut, _ := e.Run("status", "-v", "app")
	if want := "context pm2dock-e2e, from engine.context in " + filepath.Join(e.P.Dir, "pm2dock.yaml"); !strings.Contains(errOut, want) {
		t.Errorf("status -v:\n%s\nwant %q", errOut, want)
	}
	e.MustRun("stop")
}

// TestEngineOverSSH reaches the TCP engine through sshd on 127.0.0.1 and the
// docker CLI's connection helper (`ssh … docker system dial-stdio`). An ssh
// endpoint counts as another machine, so the port checks ask the engine
// alone; a port held there by a process that is no container is then
// reported from the engine's own failure, as not nameable from here.
func TestEngineOverSSH(t *testing.T) {
	d := h.StartDockerd(t, false)
	d.Load(t, h.FixtureImage)
	s := h.StartSSHD(t, d.Socket)
	host := fmt.Sprintf("ssh://root@127.0.0.1:%d", s.Port)
	env := []string{"DOCKER_HOST=" + host, "PATH=" + s.Bin + ":" + os.Getenv("PATH")}
	coreOnEngine(t, engineCase{env: env, host: host, context: "context default, from DOCKER_HOST", remote: true})

	// A process holds the port on the engine's machine (this one).
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	e := newStack(t, fmt.Sprintf("services:\n  web:\n    image: %s\n    ports: [\"127.0.0.1:%d:8080\"]\n", h.FixtureImage, port), "")
	_, errOut, code := e.Run("start", "web")
	if code != 4 || !strings.Contains(errOut, fmt.Sprintf("port 127.0.0.1:%d/tcp is already in use on the engine's machine (%s)", port, host)) ||
		!strings.Contains(errOut, "cannot be named from here") {
		t.Fatalf("exit %d, stderr:\n%s\nwant 4: in use on the engine's machine, not nameable from here", code, errOut)
	}
}

// TestEnginePodman runs the core subset on Podman's Docker-compatible API
// (docs/engines.md says what differs and what pm2dock does about each): the
// healthcheck turns healthy only because the shim runs it (Podman leaves that
// to systemd timers, and systemd is not running here).
func TestEnginePodman(t *testing.T) {
	p := h.StartPodman(t)
	p.Load(t, h.FixtureImage)
	coreOnEngine(t, engineCase{env: p.Env, host: p.Host, context: "context default, from DOCKER_HOST", kind: "podman"})
}
