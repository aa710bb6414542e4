package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/pm2dock/pm2dock/internal/testsupport/browser"
	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// dashboard starts `pm2dock dashboard` in the project and returns the URL it
// prints; the server is interrupted in cleanup and must end by itself.
func (e *stackEnv) dashboard(args ...string) string {
	e.t.Helper()
	cmd := exec.Command(e.Bin, append([]string{"dashboard"}, args...)...)
	cmd.Dir = e.P.Dir
	cmd.Env = append(append(e.PM2.Env(), "PM2DOCK_PM2="+e.PM2.Bin), e.Env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan error, 1)
	e.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-done:
			if err != nil && !strings.Contains(err.Error(), "130") {
				e.t.Errorf("dashboard ended with %v\n%s", err, errOut.String())
			}
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			e.t.Errorf("dashboard still serving 5 s after SIGINT")
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "http://") {
				urls <- sc.Text()
			}
		}
		done <- cmd.Wait()
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(20 * time.Second):
		e.t.Fatalf("dashboard printed no URL in 20 s; stderr:\n%s", errOut.String())
	}
	return ""
}

// get requests path of the dashboard at base with the headers, and returns
// the status code and body.
func get(t *testing.T, method, rawURL string, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, rawURL, nil)
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

type rect struct{ Left, Top, Width, Height float64 }

type shownLine struct {
	TS  string `json:"ts"`
	Msg string `json:"msg"`
}

// The dashboard against a running stack (PostgreSQL and the auth service),
// in a real browser: the rows as status shows them, a docker kill on the
// timeline within 2 s, a window dragged on the timeline showing exactly
// the lines `pm2dock logs` gives for it (and with a level filter), graphs,
// a screenshot; and the guard: no token, a foreign Host or Origin, a write,
// and another site's page in the same browser are all refused.
func TestDashboardInARealBrowser(t *testing.T) {
	e, port := pgStack(t, true)
	e.MustRun("start")
	page := e.dashboard()
	u, err := url.Parse(page)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("dashboard URL %q: want http://127.0.0.1:PORT/?token=…", page)
	}
	base, token := "http://"+u.Host, u.Query().Get("token")
	if len(token) < 40 {
		t.Fatalf("token %q: want 256 random bits", token)
	}

	// The guard, over plain HTTP.
	for _, c := range []struct {
		what, method, path string
		headers            map[string]string
		want               int
	}{
		{"no token", "GET", "/api/status", nil, 401},
		{"a wrong token", "GET", "/api/status?token=x" + token[1:], nil, 401},
		{"no token on the page", "GET", "/", nil, 401},
		{"a rebinding name as Host", "GET", "/api/status?token=" + token, map[string]string{"Host": "attacker.example:" + u.Port()}, 421},
		{"another site's Origin", "GET", "/api/status?token=" + token, map[string]string{"Origin": "http://attacker.example"}, 403},
		{"a cross-site fetch", "GET", "/api/status?token=" + token, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"a write", "POST", "/api/status?token=" + token, nil, 405},
		{"a delete", "DELETE", "/?token=" + token, nil, 405},
		{"an unknown service", "GET", "/api/logs?service=nosuch&token=" + token, nil, 400},
		{"a bad window", "GET", "/api/events?since=yesterday&token=" + token, nil, 400},
		{"the page", "GET", "/?token=" + token, nil, 200},
		{"localhost as Host", "GET", "/api/status?token=" + token, map[string]string{"Host": "localhost:" + u.Port()}, 200},
		{"the token as a bearer", "GET", "/api/status", map[string]string{"Authorization": "Bearer " + token}, 200},
	} {
		code, body := get(t, c.method, base+c.path, c.headers)
		if code != c.want {
			t.Errorf("%s: %s %s → %d %q, want %d", c.what, c.method, c.path, code, body, c.want)
		}
	}
	code, body := get(t, "GET", base+"/api/status?token="+token, nil)
	if code != 200 || strings.Contains(body, "Access-Control") {
		t.Fatalf("status: %d %s", code, body)
	}
	for _, path := range []string{"/", "/api/status", "/api/events?since=1h", "/api/logs?service=db&since=1h", "/api/figures?since=1h"} {
		if _, body := get(t, "GET", base+path+sep(path)+"token="+token, nil); strings.Contains(body, pgPassword) {
			t.Errorf("%s holds the database password", path)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, stop, err := browser.Start(ctx, 1400, 1000)
	h.RequireBrowser(t, err)
	defer stop()
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string, out any) {
		t.Helper()
		raw, err := chromedp.Run(b, chromedp.Evaluate[json.RawMessage](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("evaluate %s: %s: %v", expr, raw, err)
		}
	}
	poll := func(what, expr string, d time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(b, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			state, _ := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('#conn').textContent + ' | ' + document.querySelector('#timeline').innerHTML.slice(0, 3000) + ' | ' + document.querySelector('#problems').textContent`))
			t.Fatalf("%s within %s (%s): %v\npage: %s", what, d, expr, err, state)
		}
	}
	run("open the page", chromedp.Navigate(page))
	poll("the page ready", `document.body.dataset.ready`, 10*time.Second)
	var readyMS int
	eval(`Number(document.body.dataset.ready)`, &readyMS)
	t.Logf("page ready %d ms after navigation (browser's timing)", readyMS)

	// The rows are status's.
	rows, _ := e.status()
	poll("rows as status shows them", `[...document.querySelectorAll('#status tbody tr')].map(r => r.dataset.service + '=' + r.dataset.state).join(' ') === `+
		fmt.Sprintf("%q", "db="+rows["db"].State+" auth="+rows["auth"].State), 5*time.Second)

	// A failure injected behind pm2dock's back is on the timeline within 2 s.
	killed := time.Now()
	h.Docker(t, "", "kill", e.Running("postgres").ID)
	poll("the exit on db's timeline lane", `document.querySelector('#timeline .lane[data-service="db"] .ev[data-event="exit"]') !== null`, 2*time.Second)
	t.Logf("docker kill on the timeline %v after the kill", time.Since(killed).Round(time.Millisecond))
	poll("db healthy again, live", `document.querySelector('#status tr[data-service="db"]').dataset.state === 'healthy'`, 60*time.Second)
	poll("the journal's exit event", `document.querySelector('#timeline .lane[data-service="db"] .ev[data-event="exit"]:not(.pending)') !== null`, 10*time.Second)
	var title string
	eval(`document.querySelector('#timeline .lane[data-service="db"] .ev[data-event="exit"]:not(.pending)').title`, &title)
	if !strings.Contains(title, "exit 137") || !strings.Contains(title, "by engine") {
		t.Errorf("the exit event's text %q, want its exit code and who", title)
	}

	// A window dragged across db's lane, from before its first event to the
	// lane's end, shows exactly the lines `pm2dock logs` gives for it.
	var lane rect
	eval(`(() => { const r = document.querySelector('#timeline .lane[data-service="db"] .track').getBoundingClientRect(); return {Left: r.left, Top: r.top, Width: r.width, Height: r.height}; })()`, &lane)
	var first rect
	eval(`(() => { const r = document.querySelector('#timeline .lane[data-service="db"] .ev').getBoundingClientRect(); return {Left: r.left, Top: r.top, Width: r.width, Height: r.height}; })()`, &first)
	y := lane.Top + lane.Height/2
	x1, x2 := first.Left-6, lane.Left+lane.Width-1
	run("drag across db's lane",
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x1, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (x1+x2)/2, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x2, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x2, y, chromedp.ButtonLeft))
	compare := func(level string) int {
		t.Helper()
		poll("the window's lines", `document.querySelector('#logs').dataset.state === 'loaded'`, 10*time.Second)
		var win struct{ Since, Until string }
		eval(`({Since: document.querySelector('#logs').dataset.since, Until: document.querySelector('#logs').dataset.until})`, &win)
		var shown []shownLine
		eval(`[...document.querySelectorAll('#logs .line')].map(l => ({ts: l.dataset.ts, msg: l.querySelector('.msg').textContent}))`, &shown)
		args := []string{"db", "--since", win.Since, "--until", win.Until}
		if level != "" {
			args = append(args, "--level", level)
		}
		want := e.logs(args...)
		if level == "" && len(want) < 5 {
			t.Fatalf("pm2dock logs %v: %d lines; the window should hold PostgreSQL's starts", args, len(want))
		}
		if len(shown) != len(want) {
			t.Fatalf("the page shows %d lines for %s..%s (level %q), pm2dock logs %d", len(shown), win.Since, win.Until, level, len(want))
		}
		for i := range want {
			ts, err := time.Parse(time.RFC3339Nano, shown[i].TS)
			if err != nil || !ts.Equal(want[i].TS) || shown[i].Msg != want[i].Msg {
				t.Fatalf("line %d: page %s %q, pm2dock logs %s %q", i, shown[i].TS, shown[i].Msg, want[i].TS.Format(time.RFC3339Nano), want[i].Msg)
			}
		}
		t.Logf("window %s..%s level %q: %d lines, as pm2dock logs", win.Since, win.Until, level, len(want))
		return len(want)
	}
	all := compare("")
	run("choose level warn", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(b, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#loglevel'); s.value = 'warn'; document.querySelector('#logs').dataset.state = ''; s.dispatchEvent(new Event('change')); })()`))
		return err
	}))
	if warn := compare("warn"); warn >= all {
		t.Errorf("level warn kept %d of %d lines: PostgreSQL's LOG lines are info", warn, all)
	}

	// Follow: a line PostgreSQL writes now (a refused login) arrives on the
	// page without a reload, once, in the store's form.
	run("follow db's lines", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(b, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#loglevel'); s.value = ''; const f = document.querySelector('#follow'); f.checked = true; f.dispatchEvent(new Event('change')); })()`))
		return err
	}))
	poll("following", `document.querySelector('#logs').dataset.state === 'following'`, 10*time.Second)
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	if conn, err := pgx.Connect(cctx, fmt.Sprintf("postgres://app:wrong-%d@127.0.0.1:%d/app", time.Now().UnixNano(), port)); err == nil {
		conn.Close(cctx)
		t.Fatal("a wrong password was accepted")
	}
	ccancel()
	poll("the refused login's line, followed", `[...document.querySelectorAll('#logs .line .msg')].filter(m => m.textContent.includes('password authentication failed for user "app"')).length === 1`, 5*time.Second)

	// The graphs have the services' figures (a point each 5 s a service),
	// pushed as the shims store them; the last 15 minutes show them widest.
	run("show the last 15 minutes", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(b, chromedp.Evaluate[chromedp.Void](`document.querySelector('.range button[data-range="900000"]').click()`))
		return err
	}))
	poll("the 15 minutes shown", `document.body.dataset.windowMs !== undefined`, 10*time.Second)
	poll("figures graphed", `Number(document.querySelector('#cpu').dataset.points) >= 4 && [...document.querySelectorAll('#cpu .u-legend .u-label')].some(l => l.textContent === 'db')`, 15*time.Second)

	shot, err := chromedp.Run(b, chromedp.FullScreenshot(100))
	if err != nil || len(shot) < 10000 {
		t.Fatalf("screenshot: %d bytes, %v", len(shot), err)
	}
	path := os.Getenv("PM2DOCK_SCREENSHOT")
	if path == "" {
		path = t.TempDir() + "/dashboard.png"
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}

	// Another site's page in the same browser cannot read the dashboard,
	// token or not.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>another site</title>")
	}))
	defer other.Close()
	run("open another site", chromedp.Navigate(other.URL))
	var verdict string
	expr := fmt.Sprintf(`fetch(%q).then(r => r.text().then(t => 'read ' + r.status + ' ' + t.slice(0, 40)), e => 'blocked: ' + e.message)`, base+"/api/status?token="+token)
	v, err := chromedp.Run(b, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	verdict = v
	if !strings.HasPrefix(verdict, "blocked") {
		t.Errorf("another site's fetch of the dashboard: %s, want it blocked", verdict)
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}
