package dashboard

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pm2dock/pm2dock/internal/figures"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/status"
	"github.com/pm2dock/pm2dock/internal/when"
)

//go:embed assets
var assets embed.FS

// Limits of one answer: a window with more is cut (and says so).
const (
	MaxEvents  = 20000
	MaxLines   = 5000
	MaxBuckets = 2000
)

// Config is what a dashboard shows.
type Config struct {
	Status    status.Sources // without Engine: Run connects it, and again while it is down
	Keys      []string       // the services shown, in profile order
	EngineErr error          // why the engine did not answer at the start, if it did not
	Token     string         // "" : NewToken
	Interval  time.Duration  // the status is collected at least this often (0: 10 s)
}

// Server serves one profile's dashboard. It only reads: no request starts,
// stops or restarts anything.
type Server struct {
	cfg   Config
	hub   *hub
	page  *template.Template
	files fs.FS
	host  hostCheck
}

// NewToken is a random token of 256 bits, URL-safe.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// New makes the dashboard of cfg.
func New(cfg Config) *Server {
	if cfg.Token == "" {
		cfg.Token = NewToken()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	files, _ := fs.Sub(assets, "assets")
	return &Server{cfg: cfg, hub: newHub(cfg), files: files,
		page: template.Must(template.ParseFS(files, "index.html"))}
}

// Token is the token every request must carry.
func (s *Server) Token() string { return s.cfg.Token }

// URL is the page's address on l, token included.
func (s *Server) URL(l net.Listener) string {
	return "http://" + l.Addr().String() + "/?token=" + s.cfg.Token
}

// Serve serves on l until ctx ends; the change sources, the journal and the
// figures history are followed once for every open page.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.host = newHostCheck(l.Addr())
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	s.hub.setContext(ctx) // before the first request can subscribe
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); s.hub.run(ctx) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if hs.Shutdown(sctx) != nil {
			hs.Close() // streams that would not end
		}
	}()
	err := hs.Serve(l)
	<-ctx.Done() // Serve ends only when ctx does, or on a listener error
	<-hubDone    // the engine the caller closes is no longer used
	if err != http.ErrServerClosed {
		return err
	}
	return nil
}

// Handler is the dashboard's routes behind its guard.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(s.files)))
	mux.HandleFunc("GET /api/status", s.apiStatus)
	mux.HandleFunc("GET /api/events", s.apiEvents)
	mux.HandleFunc("GET /api/figures", s.apiFigures)
	mux.HandleFunc("GET /api/logs", s.apiLogs)
	mux.HandleFunc("GET /api/stream", s.apiStream)
	return s.guard(mux)
}

// guard refuses, before any route runs, a request that is not a read, is
// addressed to a name rather than this server (DNS rebinding), comes from
// another site's page, or lacks the token; and sets the headers that keep
// the page and its answers to itself.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer") // the token is in the URL
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			h.Set("Allow", "GET, HEAD")
			refuse(w, http.StatusMethodNotAllowed, "the dashboard only reads: "+r.Method+" is not allowed")
		case !s.host.ok(r.Host):
			refuse(w, http.StatusMisdirectedRequest, fmt.Sprintf("Host %q is not this dashboard's address", r.Host))
		case !sameOrigin(r):
			refuse(w, http.StatusForbidden, "a request from another site's page is refused")
		case !s.authorized(r):
			refuse(w, http.StatusUnauthorized, "a token is required: open the URL pm2dock dashboard printed")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func refuse(w http.ResponseWriter, code int, why string) {
	http.Error(w, "pm2dock dashboard: "+why, code)
}

// sameOrigin: a browser names the page that made a request in Origin (on
// fetches and EventSource) and says in Sec-Fetch-Site whether it was this
// site; both, when present, must say it was.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || u.Host != r.Host {
			return false
		}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none": // none: typed in the address bar
		return true
	}
	// A top-level navigation to the page from elsewhere (the file --open
	// hands the desktop, a link): the other page cannot read what loads, and
	// the page refuses to be framed.
	return r.URL.Path == "/" && r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document"
}

func (s *Server) authorized(r *http.Request) bool {
	got := r.URL.Query().Get("token")
	if a := r.Header.Get("Authorization"); got == "" && strings.HasPrefix(a, "Bearer ") {
		got = strings.TrimPrefix(a, "Bearer ")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) == 1
}

// hostCheck accepts the Host headers that name this server: its port, and
// an IP address or localhost. A name that resolves here (a rebinding
// attacker's) is refused.
type hostCheck struct{ port string }

func newHostCheck(a net.Addr) hostCheck {
	_, port, _ := net.SplitHostPort(a.String())
	return hostCheck{port: port}
}

func (c hostCheck) ok(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || port != c.port {
		return false
	}
	return strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	data := struct {
		Token, Title string
		Services     []string
	}{s.cfg.Token, s.cfg.Status.Profile.Dir, s.cfg.Keys}
	if err := s.page.Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, s.hub.status(r.Context()))
}

// window reads since and until (RFC 3339, a date, or a duration ago, as the
// commands take them); since defaults to an hour ago, until to now.
func (s *Server) window(q url.Values) (since, until time.Time, err error) {
	now := s.cfg.Status.Now()
	since, until = now.Add(-time.Hour), now
	if v := q.Get("since"); v != "" {
		if since, err = when.Parse(v, now); err != nil {
			return since, until, fmt.Errorf("since: %w", err)
		}
	}
	if v := q.Get("until"); v != "" {
		if until, err = when.Parse(v, now); err != nil {
			return since, until, fmt.Errorf("until: %w", err)
		}
	}
	if !until.After(since) {
		return since, until, fmt.Errorf("until %s is not after since %s", until.Format(time.RFC3339Nano), since.Format(time.RFC3339Nano))
	}
	return since, until, nil
}

// services reads the service parameter (one, or empty: every shown one).
func (s *Server) services(q url.Values) ([]string, error) {
	v := q.Get("service")
	if v == "" {
		return s.cfg.Keys, nil
	}
	for _, k := range s.cfg.Keys {
		if k == v {
			return []string{v}, nil
		}
	}
	return nil, fmt.Errorf("service %q: not one of %s", v, strings.Join(s.cfg.Keys, ", "))
}

func badRequest(w http.ResponseWriter, err error) { refuse(w, http.StatusBadRequest, err.Error()) }

// params are a window route's parameters: the window, the services, the buckets.
type params struct {
	since, until time.Time
	keys         []string
	buckets      int
}

// params reads them, answering 400 itself when one is wrong (false);
// buckets defaults to defBuckets.
func (s *Server) params(w http.ResponseWriter, q url.Values, defBuckets int) (params, bool) {
	var p params
	var err error
	if p.since, p.until, err = s.window(q); err == nil {
		if p.keys, err = s.services(q); err == nil {
			p.buckets, err = bucketsParam(q, defBuckets)
		}
	}
	if err != nil {
		badRequest(w, err)
		return p, false
	}
	return p, true
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	pa, ok := s.params(w, r.URL.Query(), 0)
	if !ok {
		return
	}
	since, until, keys, buckets := pa.since, pa.until, pa.keys, pa.buckets
	it := journal.Query(s.cfg.Status.Profile.Logs.Dir, journal.Window{Services: keys, Since: since, Until: until})
	defer it.Close()
	evs := []journal.Event{}
	truncated, folded := false, 0
	type slot struct {
		service string
		bucket  int64
		kind    journal.Kind
	}
	taken := map[slot]bool{}
	width := int64(0)
	if buckets > 0 {
		width = max(1, int64(until.Sub(since))/int64(buckets))
	}
	for it.Next() {
		e := it.Event()
		if width > 0 { // one event of each kind per service and span: a lane is a few hundred pixels
			k := slot{e.Service, int64(e.TS.Sub(since)) / width, e.Kind}
			if taken[k] {
				folded++
				continue
			}
			taken[k] = true
		}
		if len(evs) == MaxEvents {
			truncated = true
			break
		}
		evs = append(evs, e)
	}
	if err := it.Err(); err != nil {
		http.Error(w, "read the event journal: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"since": since, "until": until, "events": evs, "folded": folded, "truncated": truncated})
}

// bucketsParam reads buckets (def when absent).
func bucketsParam(q url.Values, def int) (int, error) {
	v := q.Get("buckets")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxBuckets {
		return 0, fmt.Errorf("buckets %q: want a number from 1 to %d", v, MaxBuckets)
	}
	return n, nil
}

// point is a figures point as the page graphs it: [unix ms, cpu %, mem bytes, limit bytes].
type point [4]float64

func toPoint(p figures.Point) point {
	return point{float64(p.At.UnixMilli()), p.CPUPercent, float64(p.MemBytes), float64(p.MemLimitBytes)}
}

func (s *Server) apiFigures(w http.ResponseWriter, r *http.Request) {
	pa, ok := s.params(w, r.URL.Query(), 600)
	if !ok {
		return
	}
	since, until, keys, buckets := pa.since, pa.until, pa.keys, pa.buckets
	out := map[string][]point{}
	for _, k := range keys {
		pts, err := figures.Read(s.cfg.Status.Profile.Logs.Dir, k, since, until, buckets)
		if err != nil {
			http.Error(w, "read the figures history: "+err.Error(), http.StatusInternalServerError)
			return
		}
		out[k] = make([]point, 0, len(pts))
		for _, p := range pts {
			out[k] = append(out[k], toPoint(p))
		}
	}
	writeJSON(w, map[string]any{"since": since, "until": until, "services": out})
}

// apiLogs answers the stored lines of one service in a window, with a
// minimum level: the lines `pm2dock logs SERVICE --since --until --level
// --json` prints, each record as stored.
func (s *Server) apiLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("service") == "" {
		badRequest(w, fmt.Errorf("service: name one of %s", strings.Join(s.cfg.Keys, ", ")))
		return
	}
	pa, ok := s.params(w, q, 0)
	if !ok {
		return
	}
	since, until, keys := pa.since, pa.until, pa.keys
	var err error
	opts := logstore.QueryOptions{Services: keys, Since: since, Until: until}
	if v := q.Get("tail"); v != "" {
		if opts.Tail, err = strconv.Atoi(v); err != nil || opts.Tail < 1 || opts.Tail > MaxLines {
			badRequest(w, fmt.Errorf("tail %q: want a number from 1 to %d", v, MaxLines))
			return
		}
	}
	if v := q.Get("level"); v != "" {
		if opts.MinLevel, err = logstore.ParseLevel(v); err != nil {
			badRequest(w, fmt.Errorf("level: %w", err))
			return
		}
	}
	it := logstore.Query(s.cfg.Status.Profile.Logs.Dir, opts)
	defer it.Close()
	var b bytes.Buffer
	b.WriteString(`{"since":`)
	writeTime(&b, since)
	b.WriteString(`,"until":`)
	writeTime(&b, until)
	b.WriteString(`,"records":[`)
	n, truncated := 0, false
	var buf []byte
	for it.Next() {
		if n == MaxLines {
			truncated = true
			break
		}
		if n > 0 {
			b.WriteByte(',')
		}
		buf = it.Record().AppendJSON(buf[:0])
		b.Write(buf)
		n++
	}
	if err := it.Err(); err != nil {
		http.Error(w, "read the log store: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(&b, `],"truncated":%t}`, truncated)
	writeRaw(w, b.Bytes())
}

func writeTime(b *bytes.Buffer, t time.Time) {
	raw, _ := json.Marshal(t.UTC())
	b.Write(raw)
}

func writeJSON(w http.ResponseWriter, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, raw)
}

func writeRaw(w http.ResponseWriter, raw []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(raw)
}
