package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/figures"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/state"
	"github.com/pm2dock/pm2dock/internal/status"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// testServer is a dashboard of a profile with services db and auth whose
// stores hold a few events, points and lines; its hub does not run (no
// PM2, no engine): the routes that read the stores are under test.
func testServer(t *testing.T) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	compose := "name: dash\nservices:\n  db: {image: postgres}\n  auth: {image: hydra}\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(context.Background(), profile.Options{Dir: dir, View: true})
	if err != nil {
		t.Fatal(err)
	}
	j := journal.NewWriter(p.Logs.Dir, "db", nil)
	j.Record(journal.Event{TS: t0.Add(time.Minute), Kind: journal.Start, By: journal.ByUser})
	j.Record(journal.Event{TS: t0.Add(90 * time.Second), Kind: journal.Start, By: journal.ByPM2})
	j.Record(journal.Event{TS: t0.Add(2 * time.Minute), Kind: journal.Healthy, By: journal.ByEngine})
	j.Close()
	r := figures.NewRecorder(p.Logs.Dir, "db", nil)
	for i := range 20 {
		r.Add(state.Stats{At: t0.Add(time.Duration(i) * time.Second), Container: "c1", CPUPercent: 1, MemBytes: 10})
	}
	r.Close()
	w, err := logstore.OpenWriter(p.Logs.Dir, "db", logstore.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range []string{"one", "WARNING: two", "three"} {
		w.Append(logstore.Record{TS: t0.Add(time.Duration(i) * time.Second), Stream: logstore.StreamStdout, Msg: []byte(l)})
	}
	w.Close()
	s := New(Config{Status: status.Sources{Profile: p, Now: func() time.Time { return t0.Add(time.Hour) }}, Keys: p.Keys()})
	s.host = hostCheck{port: "8080"}
	return s, s.Token()
}

func do(t *testing.T, s *Server, method, target string, headers map[string]string) (int, http.Header, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = "127.0.0.1:8080"
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, rec.Header(), string(body)
}

func TestGuardRefusesWhatIsNotThisPagesRead(t *testing.T) {
	s, tok := testServer(t)
	q := "?token=" + tok
	for _, c := range []struct {
		what, method, target string
		headers              map[string]string
		want                 int
	}{
		{"no token", "GET", "/api/events", nil, 401},
		{"a token one character short", "GET", "/api/events?token=" + tok[1:], nil, 401},
		{"an empty bearer", "GET", "/api/events", map[string]string{"Authorization": "Bearer "}, 401},
		{"a name as Host", "GET", "/api/events" + q, map[string]string{"Host": "rebind.example:8080"}, 421},
		{"another port as Host", "GET", "/api/events" + q, map[string]string{"Host": "127.0.0.1:9090"}, 421},
		{"no port in Host", "GET", "/api/events" + q, map[string]string{"Host": "127.0.0.1"}, 421},
		{"a foreign Origin", "GET", "/api/events" + q, map[string]string{"Origin": "http://evil.example"}, 403},
		{"an https Origin of this host", "GET", "/api/events" + q, map[string]string{"Origin": "https://127.0.0.1:8080"}, 403},
		{"Origin null", "GET", "/api/events" + q, map[string]string{"Origin": "null"}, 403},
		{"cross-site", "GET", "/api/events" + q, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site (another port)", "GET", "/api/events" + q, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"another site's navigation to the page", "GET", "/" + q, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 200},
		{"another site's navigation to an answer", "GET", "/api/events" + q, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 403},
		{"another site's frame of the page", "GET", "/" + q, map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}, 403},
		{"POST", "POST", "/api/events" + q, nil, 405},
		{"PUT", "PUT", "/" + q, nil, 405},
		{"an unknown route", "GET", "/api/restart" + q, nil, 404},
		{"the events", "GET", "/api/events" + q, nil, 200},
		{"its own Origin", "GET", "/api/events" + q, map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, 200},
		{"localhost", "GET", "/api/events" + q, map[string]string{"Host": "localhost:8080"}, 200},
		{"IPv6 loopback", "GET", "/api/events" + q, map[string]string{"Host": "[::1]:8080"}, 200},
		{"a bearer", "GET", "/api/events", map[string]string{"Authorization": "Bearer " + tok}, 200},
		{"an asset", "GET", "/assets/app.js" + q, nil, 200},
		{"the vendored chart library", "GET", "/assets/vendor/uplot/uPlot.iife.min.js" + q, nil, 200},
	} {
		code, h, body := do(t, s, c.method, c.target, c.headers)
		if code != c.want {
			t.Errorf("%s: %s %s → %d %q, want %d", c.what, c.method, c.target, code, body, c.want)
		}
		if h.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", c.what, h)
		}
	}
}

func TestPageCarriesTheTokenToItsAssets(t *testing.T) {
	s, tok := testServer(t)
	code, _, body := do(t, s, "GET", "/?token="+tok, nil)
	if code != 200 || strings.Count(body, "token="+tok) != 7 || !strings.Contains(body, `data-service="auth"`) {
		t.Fatalf("page %d:\n%s", code, body)
	}
}

func TestWindowRoutesReadTheStores(t *testing.T) {
	s, tok := testServer(t)
	get := func(target string, out any) int {
		t.Helper()
		code, _, body := do(t, s, "GET", target+"&token="+tok, nil)
		if code == 200 {
			if err := json.Unmarshal([]byte(body), out); err != nil {
				t.Fatalf("%s: %v\n%s", target, err, body)
			}
		}
		return code
	}
	var ev struct {
		Events []map[string]any `json:"events"`
	}
	if get("/api/events?since=2026-12-02T10:00:30Z&until=2026-12-02T10:01:30Z", &ev); len(ev.Events) != 1 || ev.Events[0]["event"] != "start" || len(ev.Events[0]) != 9 {
		t.Errorf("events in [0:30, 1:30): %v, want the start alone with the 9 keys", ev.Events)
	}
	var folded struct {
		Events []map[string]any `json:"events"`
		Folded int              `json:"folded"`
	}
	if get("/api/events?since=2026-12-02T10:00:00Z&until=2026-12-02T10:03:00Z&buckets=1", &folded); len(folded.Events) != 2 || folded.Folded != 1 ||
		folded.Events[0]["by"] != "user" || folded.Events[1]["event"] != "healthy" {
		t.Errorf("events folded into one span: %v (%d folded), want the first start and the healthy, one folded", folded.Events, folded.Folded)
	}
	if get("/api/events?since=2026-12-02T10:00:00Z&until=2026-12-02T10:03:00Z&buckets=2", &folded); len(folded.Events) != 3 || folded.Folded != 0 {
		t.Errorf("events in two spans: %v (%d folded), want all three", folded.Events, folded.Folded)
	}
	var fig struct {
		Services map[string][][4]float64 `json:"services"`
	}
	if get("/api/figures?since=2026-12-02T10:00:00Z&until=2026-12-02T10:00:20Z&buckets=2", &fig); len(fig.Services["db"]) != 2 || len(fig.Services["auth"]) != 0 {
		t.Errorf("figures: %v, want db's 4 points folded into 2 and auth's none", fig.Services)
	}
	var logs struct {
		Records   []logstore.Record `json:"records"`
		Truncated bool              `json:"truncated"`
	}
	if get("/api/logs?service=db&since=2026-12-02T10:00:00Z&until=2026-12-02T10:00:02Z", &logs); len(logs.Records) != 2 || string(logs.Records[1].Msg) != "WARNING: two" {
		t.Errorf("logs [0 s, 2 s): %+v, want one and two", logs.Records)
	}
	if get("/api/logs?service=db&since=2026-12-02T10:00:00Z&tail=1", &logs); len(logs.Records) != 1 || string(logs.Records[0].Msg) != "three" {
		t.Errorf("logs tail=1: %+v, want three alone", logs.Records)
	}
	if get("/api/logs?service=db&since=2026-12-02T10:00:00Z&level=warn", &logs); len(logs.Records) != 1 || logs.Truncated {
		t.Errorf("logs at warn: %+v, want two alone", logs.Records)
	}
	for target, want := range map[string]string{
		"/api/logs?since=1h":                      "service: name one of auth, db",
		"/api/logs?service=web":                   `service "web": not one of auth, db`,
		"/api/logs?service=db&level=loud":         "level:",
		"/api/events?since=soon":                  "since:",
		"/api/events?since=1h&until=2h":           "is not after since",
		"/api/figures?buckets=0":                  "buckets \"0\": want a number from 1 to 2000",
		"/api/stream?logs=web":                    `service "web"`,
		"/api/figures?since=2026-13-01T00:00:00Z": "since:",
		"/api/events?service=db&until=not-a-time": "until:",
	} {
		code, _, body := do(t, s, "GET", target+"&token="+tok, nil)
		if code != 400 || !strings.Contains(body, want) {
			t.Errorf("%s → %d %q, want 400 saying %q", target, code, body, want)
		}
	}
}

func TestHubSendsToSubscribersAndDropsTheSlow(t *testing.T) {
	s, _ := testServer(t)
	h := s.hub
	fast := &client{ch: make(chan message, clientBuffer), gone: make(chan struct{})}
	slow := &client{ch: make(chan message, 1), gone: make(chan struct{})}
	logs := &client{ch: make(chan message, clientBuffer), gone: make(chan struct{}), logs: "db", level: logstore.LevelWarn}
	h.subscribe(fast)
	h.subscribe(slow)
	h.subscribe(logs)
	h.broadcast(message{"event", []byte("1")}, nil)
	h.broadcast(message{"event", []byte("2")}, nil)
	if len(fast.ch) != 2 {
		t.Errorf("fast client got %d messages, want 2", len(fast.ch))
	}
	select {
	case <-slow.gone:
	default:
		t.Errorf("a client too slow to read was not dropped")
	}
	want := func(c *client) bool { return c.logs == "db" && logstore.LevelError >= c.level }
	h.broadcast(message{"log", []byte("x")}, want)
	if len(logs.ch) != 3 || len(fast.ch) != 2 {
		t.Errorf("a log message reached %d/%d, want the log follower alone", len(logs.ch), len(fast.ch))
	}
	h.unsubscribe(logs)
	h.unsubscribe(fast)
	h.unsubscribe(slow) // already dropped: no panic, no double close
	if len(h.clients) != 0 {
		t.Errorf("%d clients left", len(h.clients))
	}
}

// Serve ends when its context does, and a client of the stream gets the
// status first (here: what a profile without PM2 and engine shows).
func TestServeStreamsStatusAndEndsWithItsContext(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no-engine.sock") // a unit test talks to no engine
	s, tok := testServer(t)
	s.cfg.Status.PM2Home = ""
	s.cfg.Status.Now = time.Now
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	res, err := http.Get("http://" + l.Addr().String() + "/api/stream?token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(res.Body, buf, 20)
	if !strings.HasPrefix(string(buf[:n]), "event: status\ndata: {") || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("stream began %q (%s)", buf[:n], res.Header.Get("Content-Type"))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still running 5 s after its context ended")
	}
	res.Body.Close()
}

func TestHeadOfTheStreamEndsAtOnce(t *testing.T) {
	s, tok := testServer(t)
	done := make(chan int, 1)
	go func() { code, _, _ := do(t, s, "HEAD", "/api/stream?token="+tok, nil); done <- code }()
	select {
	case code := <-done:
		if code != 200 {
			t.Errorf("HEAD /api/stream: %d", code)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("HEAD /api/stream still open after 2 s")
	}
	if len(s.hub.clients) != 0 {
		t.Errorf("HEAD left a subscriber")
	}
}
