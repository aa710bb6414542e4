package e2e

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// stackExpect is a corpus stack's expect file (testdata/stacks/README.md).
type stackExpect struct {
	ports   []string
	states  map[string]string // PM2 app → state after start
	order   []string
	restart string
	oauth2  []string // admin and public port variables of an OAuth2 server to check
}

func readExpect(t *testing.T, path string) stackExpect {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x := stackExpect{states: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		switch {
		case len(w) == 0 || strings.HasPrefix(w[0], "#"):
		case w[0] == "ports":
			x.ports = w[1:]
		case w[0] == "restart" && len(w) == 2:
			x.restart = w[1]
		case w[0] == "oauth2" && len(w) == 3:
			x.oauth2 = w[1:]
		case len(w) == 2:
			x.states[w[0]] = w[1]
			x.order = append(x.order, w[0])
		default:
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
	}
	return x
}

// asked is how many restarts of key PM2 counts by step: the one restart the
// test asks for (`pm2 restart` counts too), none by themselves.
func (x stackExpect) asked(step, key string) int {
	if step == "restart" && key == x.restart {
		return 1
	}
	return 0
}

// copyTree copies the stack's files (not expect) into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "expect" {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		os.MkdirAll(filepath.Dir(out), 0o755)
		return os.WriteFile(out, raw, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Stacks nobody shaped for pm2dock (testdata/stacks, each after a public
// project's quickstart) run end to end in zero-config mode: start all, every
// state right, a restart of one service, stop; after each step no restart
// loop, one container per service, jobs completed, and after stop nothing
// running.
func TestRealWorldStacks(t *testing.T) {
	h.Require(t)
	for _, img := range []string{h.FixtureImage, h.PostgresImage, h.HydraImage} {
		h.RequireImage(t, img)
	}
	root, _ := filepath.Abs("testdata/stacks")
	entries, _ := os.ReadDir(root)
	for _, en := range entries {
		if !en.IsDir() {
			continue
		}
		t.Run(en.Name(), func(t *testing.T) {
			x := readExpect(t, filepath.Join(root, en.Name(), "expect"))
			p := h.NewProject(t, "")
			copyTree(t, filepath.Join(root, en.Name()), p.Dir)
			e := &stackEnv{t: t, P: p, Bin: h.Binary(t), Env: []string{"COMPOSE_PROJECT_NAME=" + p.Name}}
			e.PM2 = h.NewPM2(t)
			t.Cleanup(func() { exec.Command("docker", "image", "rm", "-f", p.Name+"-web").Run() }) // build-app's image
			for _, v := range x.ports {
				e.Env = append(e.Env, fmt.Sprintf("%s=%d", v, h.FreePort(t)))
			}
			out, errOut, code := e.Run("start")
			if code != 0 {
				t.Fatalf("start: exit %d\n%s%s", code, out, errOut)
			}
			e.stackInvariants(x, "start")
			e.oauth2(x, "start")
			restarted := e.Containers(composeName(t, e, x.restart))
			if out, errOut, code := e.Run("restart", x.restart); code != 0 {
				t.Fatalf("restart %s: exit %d\n%s%s", x.restart, code, out, errOut)
			}
			if after := e.Containers(composeName(t, e, x.restart)); len(after) != 1 || len(restarted) != 1 ||
				after[0].State.StartedAt == restarted[0].State.StartedAt {
				t.Errorf("restart %s did not restart its container", x.restart)
			}
			e.stackInvariants(x, "restart")
			e.oauth2(x, "restart")
			if out, errOut, code := e.Run("stop"); code != 0 {
				t.Fatalf("stop: exit %d\n%s%s", code, out, errOut)
			}
			e.NoneRunning()
		})
	}
}

// composeName is the compose service of PM2 app key (zero-config mode maps names).
func composeName(t *testing.T, e *stackEnv, key string) string {
	rows, _ := e.status(key)
	if r, ok := rows[key]; ok && r.Service != "" {
		return r.Service
	}
	t.Fatalf("no status row for %s", key)
	return ""
}

func (e *stackEnv) stackInvariants(x stackExpect, step string) {
	e.t.Helper()
	rows, _ := e.status()
	if len(rows) != len(x.states) {
		e.t.Errorf("after %s: %d services managed, want %d (%v)", step, len(rows), len(x.states), x.order)
	}
	for _, key := range x.order {
		r, ok := rows[key]
		switch {
		case !ok:
			e.t.Errorf("after %s: no service %s", step, key)
			continue
		case r.State != x.states[key]:
			e.t.Errorf("after %s: %s is %s, want %s (last failure %+v)", step, key, r.State, x.states[key], r.LastFailure)
		case r.PM2.Restarts != x.asked(step, key):
			e.t.Errorf("after %s: PM2 restarted %s %d times, want %d (asked for)", step, key, r.PM2.Restarts, x.asked(step, key))
		}
		cs := e.Containers(r.Service)
		if len(cs) != 1 {
			e.t.Errorf("after %s: %d containers of %s, want 1", step, len(cs), key)
			continue
		}
		if cs[0].RestartCount != 0 {
			e.t.Errorf("after %s: the engine restarted %s %d times", step, key, cs[0].RestartCount)
		}
		if x.states[key] == "completed" && (cs[0].State.Running || cs[0].State.ExitCode != 0) {
			e.t.Errorf("after %s: job %s's container running %v, exit %d", step, key, cs[0].State.Running, cs[0].State.ExitCode)
		}
	}
}

// oauth2 runs a client-credentials flow against the stack's OAuth2 server
// (internal/testsupport/oauth2check), when its expect names one.
func (e *stackEnv) oauth2(x stackExpect, step string) {
	e.t.Helper()
	if x.oauth2 == nil {
		return
	}
	port := func(v string) string {
		for _, kv := range e.Env {
			if val, ok := strings.CutPrefix(kv, v+"="); ok {
				return val
			}
		}
		e.t.Fatalf("no port %s", v)
		return ""
	}
	cmd := exec.Command("go", "run", "./internal/testsupport/oauth2check",
		"-admin", "http://127.0.0.1:"+port(x.oauth2[0]), "-public", "http://127.0.0.1:"+port(x.oauth2[1]))
	cmd.Dir = h.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		e.t.Fatalf("after %s: the OAuth2 flow failed: %v\n%s", step, err, out)
	}
}
