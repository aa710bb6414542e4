package harness

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
)

// PM2 is a private PM2 daemon for one test: its own PM2_HOME, the workspace's pm2.
type PM2 struct {
	t    testing.TB
	Home string // PM2_HOME
	Bin  string // node_modules/.bin/pm2 of the repository
}

// NewPM2 prepares a private PM2_HOME (short, so rpc.sock fits in sun_path) and
// registers a cleanup that kills the daemon and checks that none is left.
func NewPM2(t testing.TB) *PM2 {
	t.Helper()
	bin := filepath.Join(RepoRoot(), "node_modules", ".bin", "pm2")
	if _, err := os.Stat(bin); err != nil {
		skip(t, "pm2 is not installed in the workspace: run npm ci (make provision)")
	}
	home, err := os.MkdirTemp("", "pm2h-")
	if err != nil {
		t.Fatal(err)
	}
	p := &PM2{t: t, Home: home, Bin: bin}
	t.Cleanup(p.kill)
	return p
}

// Env returns the environment for processes that must talk to this daemon.
func (p *PM2) Env() []string {
	env := []string{"PM2_HOME=" + p.Home}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PM2_HOME=") {
			env = append(env, kv)
		}
	}
	return env
}

// Run runs `pm2 args...` against this daemon and fails the test on error.
func (p *PM2) Run(args ...string) string {
	p.t.Helper()
	out, err := p.Try(args...)
	if err != nil {
		p.t.Fatalf("pm2 %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Try runs `pm2 args...` and returns its combined output and error.
func (p *PM2) Try(args ...string) (string, error) {
	cmd := exec.Command(p.Bin, args...)
	cmd.Env = p.Env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// App is the part of a `pm2 jlist` entry the tests look at.
type App struct {
	Name   string `json:"name"`
	PID    int    `json:"pid"`
	PMID   int    `json:"pm_id"`
	PM2Env struct {
		Status      string `json:"status"`
		RestartTime int    `json:"restart_time"`
		Namespace   string `json:"namespace"`
		PMUptime    int64  `json:"pm_uptime"`
		ExitCode    *int   `json:"exit_code"`
	} `json:"pm2_env"`
}

// List returns `pm2 jlist`.
func (p *PM2) List() []App {
	p.t.Helper()
	out, err := p.Try("jlist")
	if err != nil {
		p.t.Fatalf("pm2 jlist: %v\n%s", err, out)
	}
	// pm2 may print a banner and coloured "[PM2]" lines before the JSON: the
	// rpc package knows how to find it; re-decode the array it found.
	procs, err := rpc.ParseJlist([]byte(out))
	if err != nil {
		p.t.Fatalf("pm2 jlist: %v\n%s", err, out)
	}
	apps := make([]App, 0, len(procs))
	for _, pr := range procs {
		var a App
		a.Name, a.PID, a.PMID = pr.Name, pr.PID, pr.PMID
		a.PM2Env.Status, a.PM2Env.RestartTime, a.PM2Env.Namespace = string(pr.Env.Status), pr.Env.RestartTime, pr.Env.Namespace
		a.PM2Env.PMUptime, a.PM2Env.ExitCode = pr.Env.PMUptime, pr.Env.ExitCode
		apps = append(apps, a)
	}
	return apps
}

// App returns the app called name, or nil.
func (p *PM2) App(name string) *App {
	for _, a := range p.List() {
		if a.Name == name {
			return &a
		}
	}
	return nil
}

// DaemonPID reads the daemon's pid file; 0 when there is none.
func (p *PM2) DaemonPID() int {
	raw, err := os.ReadFile(filepath.Join(p.Home, "pm2.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	return pid
}

// kill stops the daemon (which stops its apps), SIGKILLs it if it lingers, and
// fails the test if a daemon is still alive afterwards.
func (p *PM2) kill() {
	pid := p.DaemonPID()
	if pid == 0 {
		os.RemoveAll(p.Home)
		return
	}
	p.Try("kill")
	if Alive(pid) {
		if proc, err := os.FindProcess(pid); err == nil {
			proc.Kill()
		}
		time.Sleep(200 * time.Millisecond)
	}
	if Alive(pid) {
		p.t.Errorf("PM2 daemon %d (PM2_HOME %s) is still alive after cleanup", pid, p.Home)
		return
	}
	os.RemoveAll(p.Home)
}

// Alive reports whether pid names a live (non-zombie) process.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if proc, err := os.FindProcess(pid); err != nil || proc.Signal(syscall.Signal(0)) != nil {
		return false
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // not Linux: kill(0) said yes
	}
	// state is the field after the parenthesised command name.
	s := string(raw)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
