package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

const pgPassword = "e2e-Secret-9f3"

func pgStack(t *testing.T, withAuth bool) (*stackEnv, int) {
	t.Helper()
	h.Require(t)
	h.RequireImage(t, h.PostgresImage)
	port, authPort, profile := h.FreePort(t), 0, pgProfile
	if withAuth {
		h.RequireImage(t, h.AuthImage)
		authPort, profile = h.FreePort(t), authProfile
	}
	e := newStack(t, pgCompose(port, authPort), profile)
	e.Env = []string{"POSTGRES_PASSWORD=" + pgPassword}
	return e, port
}

func TestStartDBIsHealthyTrackedAndServesSQL(t *testing.T) {
	e, port := pgStack(t, false)
	out := e.MustRun("start", "db")
	if !strings.Contains(out, "db") || !strings.Contains(out, "healthy") || !strings.Contains(out, fmt.Sprintf("127.0.0.1:%d->5432/tcp", port)) {
		t.Fatalf("summary lacks db healthy and its port:\n%s", out)
	}
	c := e.Running("postgres")
	if c.State.Health == nil || c.State.Health.Status != "healthy" {
		t.Fatalf("container health %+v, want healthy", c.State.Health)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://app:%s@127.0.0.1:%d/app", pgPassword, port))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1: %d %v", one, err)
	}
	app := e.PM2.App("db")
	if app == nil || app.PM2Env.Status != "online" || app.PM2Env.Namespace != "e2e" {
		t.Fatalf("pm2 jlist db = %+v, want online in namespace e2e", app)
	}
	// The password reached the container but not PM2.
	if env, _ := e.PM2.Try("env", strconv.Itoa(app.PMID)); strings.Contains(env, pgPassword) {
		t.Fatal("the password is in `pm2 env`")
	}
	if list, _ := e.PM2.Try("jlist"); strings.Contains(list, pgPassword) {
		t.Fatal("the password is in `pm2 jlist`")
	}
}

func TestRestartAuthRestartsItsContainerWithANewShim(t *testing.T) {
	e, _ := pgStack(t, true)
	e.MustRun("start", "auth")
	before, oldPID := e.Running("zitadel"), e.PM2.App("auth").PID
	out := e.MustRun("restart", "auth")
	after, newPID := e.Running("zitadel"), e.PM2.App("auth").PID
	if after.State.StartedAt == before.State.StartedAt {
		t.Fatalf("container StartedAt unchanged: %s", after.State.StartedAt)
	}
	if newPID == oldPID || !strings.Contains(out, strconv.Itoa(newPID)) {
		t.Fatalf("PM2 pid %d → %d; output must print the new one:\n%s", oldPID, newPID, out)
	}
	if e.PM2.App("db").PID == 0 || e.Running("postgres").ID == "" {
		t.Fatal("restarting auth must leave db running")
	}
}

func TestStartAuthStartsDBFirstAndWaitsForHealthy(t *testing.T) {
	e, _ := pgStack(t, true)
	e.MustRun("start", "auth")
	db, auth := e.State("db"), e.State("auth")
	dbReady, _ := time.Parse(time.RFC3339Nano, db["ready_at"].(string))
	authStarted, _ := time.Parse(time.RFC3339Nano, auth["container"].(map[string]any)["started_at"].(string))
	if !dbReady.Before(authStarted) {
		t.Fatalf("auth's container started %v, before db was healthy at %v", authStarted, dbReady)
	}
}

func TestDirectPM2CommandsStopTheContainer(t *testing.T) {
	for _, verb := range []string{"stop", "delete", "kill"} {
		t.Run(verb, func(t *testing.T) {
			e, _ := pgStack(t, false)
			e.MustRun("start", "db")
			e.Running("postgres")
			start := time.Now()
			args := []string{verb, "db"}
			if verb == "kill" {
				args = []string{"kill"}
			}
			e.PM2.Run(args...)
			e.NoneRunning() // pm2 returns once the shim exited, i.e. after the container stopped
			if took := time.Since(start); took > 5*time.Second+3*time.Second {
				t.Fatalf("pm2 %s took %v, more than the 5 s grace period allows", verb, took)
			}
		})
	}
}

func TestKilledShimIsReplacedAndAdoptsTheSameContainer(t *testing.T) {
	e, _ := pgStack(t, false)
	e.MustRun("start", "db")
	before := e.Running("postgres")
	oldPID := e.PM2.App("db").PID
	if err := syscall.Kill(oldPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "a new shim adopts the container", func() bool {
		st := e.State("db")
		return int(st["shim_pid"].(float64)) != oldPID && st["phase"] == "ready" && st["adopted"] == true
	})
	after := e.Running("postgres")
	if after.ID != before.ID || after.State.StartedAt != before.State.StartedAt {
		t.Fatalf("container %s started %s, want the same %s started %s", after.ID, after.State.StartedAt, before.ID, before.State.StartedAt)
	}
}

func TestMissingImageWithPullNeverFailsOnce(t *testing.T) {
	h.Require(t)
	e := newStack(t, "services:\n  ghost:\n    image: pm2dock-test/absent:nope\n", "defaults:\n  pull: never\nservices:\n  ghost: {}\n")
	_, errOut, code := e.Run("start", "ghost")
	if code != 3 || !strings.Contains(errOut, "pm2dock-test/absent:nope") {
		t.Fatalf("exit %d, stderr:\n%s\nwant 3 naming the image", code, errOut)
	}
	time.Sleep(10 * time.Second)
	if app := e.PM2.App("ghost"); app == nil || app.PM2Env.RestartTime != 0 || app.PM2Env.Status == "online" {
		t.Fatalf("after 10 s PM2 shows %+v, want restart count 0 and not online", app)
	}
}

func TestMissingImageIsPulledFromTheRegistry(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	reg := h.StartRegistry(t)
	ref := reg.Push(h.FixtureImage, "pm2dock/pulled:"+strconv.FormatInt(time.Now().UnixNano(), 36))
	e := newStack(t, "services:\n  app:\n    image: "+ref+"\n", "")
	e.MustRun("start", "app")
	e.Running("app")
}

// A port published on an ephemeral host port is shown where the engine put
// it, in start's and restart's summaries as in status.
func TestSummaryShowsWhereAnEphemeralPortLanded(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf("services:\n  web:\n    image: %s\n    ports: [\"127.0.0.1::8080\"]\n", h.FixtureImage), "")
	for _, verb := range []string{"start", "restart"} {
		out := e.MustRun(verb, "web")
		rows, _ := e.status("web")
		c := rows["web"].Container
		if c == nil || len(c.Ports) != 1 || !strings.HasPrefix(c.Ports[0], "127.0.0.1:") || strings.HasPrefix(c.Ports[0], "127.0.0.1:->") {
			t.Fatalf("status after %s: container %+v, want one published port", verb, c)
		}
		if !strings.Contains(out, c.Ports[0]) {
			t.Errorf("%s's summary does not show %s:\n%s", verb, c.Ports[0], out)
		}
	}
}

func TestPortHeldByAProcessIsNamed(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	e := newStack(t, fmt.Sprintf("services:\n  web:\n    image: %s\n    ports: [\"127.0.0.1:%d:8080\"]\n", h.FixtureImage, port), "")
	_, errOut, code := e.Run("start", "web")
	if code != 4 || !strings.Contains(errOut, strconv.Itoa(os.Getpid())) || !strings.Contains(errOut, "e2e.test") {
		t.Fatalf("exit %d, stderr:\n%s\nwant 4 naming pid %d and its command", code, errOut, os.Getpid())
	}
	e.NoneRunning()
}

func TestPortHeldByAnotherProjectsContainerIsNamed(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	port := h.FreePort(t)
	other := h.NewProject(t, fmt.Sprintf("services:\n  squatter:\n    image: %s\n    ports: [\"127.0.0.1:%d:8080\"]\n", h.FixtureImage, port))
	other.Compose("up", "-d")
	e := newStack(t, fmt.Sprintf("services:\n  web:\n    image: %s\n    ports: [\"127.0.0.1:%d:8080\"]\n", h.FixtureImage, port), "")
	_, errOut, code := e.Run("start", "web")
	if code != 4 || !strings.Contains(errOut, other.Name+"-squatter-1") || !strings.Contains(errOut, "squatter") {
		t.Fatalf("exit %d, stderr:\n%s\nwant 4 naming container %s-squatter-1", code, errOut, other.Name)
	}
}

func TestMissingRequiredEnvAndBadProfileExit2(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, "services:\n  web:\n    image: "+h.FixtureImage+"\n",
		"services:\n  web:\n    require_env: [WEB_TOKEN_E2E]\n")
	_, errOut, code := e.Run("start", "web")
	if code != 2 || !strings.Contains(errOut, "WEB_TOKEN_E2E") {
		t.Fatalf("missing env: exit %d, stderr:\n%s\nwant 2 naming WEB_TOKEN_E2E", code, errOut)
	}
	e.P.WriteFile("pm2dock.yaml", "services:\n  web:\n    image_policy: sometimes\n")
	_, errOut, code = e.Run("start", "web")
	if code != 2 || !strings.Contains(errOut, `pm2dock.yaml:3: unknown key "image_policy"`) {
		t.Fatalf("unknown key: exit %d, stderr:\n%s\nwant 2 naming key and line", code, errOut)
	}
}

// An app of the same name in another PM2 namespace belongs to somebody else.
// A stop stops ours by pm_id and leaves theirs running (`pm2 stop NAME` would
// stop both); a start that PM2 would turn into a restart of theirs (`pm2 start
// ECOSYSTEM --only NAME` matches names across namespaces) is refused with exit
// 2 naming it, and theirs keeps running untouched.
func TestSameNameAppInAnotherNamespaceIsLeftAlone(t *testing.T) {
	e := fixtureApp(t, "2s", "", "pm2:\n  namespace: mine\nservices:\n  app: {}\n")
	e.MustRun("start", "app")
	e.PM2.Run("start", "/bin/sleep", "--name", "app", "--namespace", "theirs", "--no-autorestart", "--", "300")
	find := func(ns string) *h.App {
		for _, a := range e.PM2.List() {
			if a.Name == "app" && a.PM2Env.Namespace == ns {
				return &a
			}
		}
		return nil
	}
	theirs := find("theirs")
	if theirs == nil || theirs.PM2Env.Status != "online" {
		t.Fatalf("their app after pm2 start: %+v", theirs)
	}
	untouched := func(after string) {
		t.Helper()
		if a := find("theirs"); a == nil || a.PM2Env.Status != "online" || a.PID != theirs.PID || a.PM2Env.RestartTime != 0 {
			t.Fatalf("their app after %s: %+v, want online with pid %d and no restart", after, a, theirs.PID)
		}
	}
	e.MustRun("stop", "app")
	untouched("our stop")
	if a := find("mine"); a == nil || a.PM2Env.Status != "stopped" {
		t.Fatalf("our app after stop: %+v, want stopped", a)
	}
	e.NoneRunning()
	_, errOut, code := e.Run("start", "app")
	if code != 2 || !strings.Contains(errOut, `namespace "theirs"`) || !strings.Contains(errOut, "rename the service key") {
		t.Fatalf("start beside a namesake: exit %d, want 2 naming the other namespace\n%s", code, errOut)
	}
	untouched("our refused start")
	e.NoneRunning()
}
