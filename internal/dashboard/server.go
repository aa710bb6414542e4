package dashboard

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/status"
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
	Keys      []service.Key  // the services shown, in profile order
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

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	data := struct {
		Token, Title string
		Services     []service.Key
	}{s.cfg.Token, s.cfg.Status.Profile.Dir, s.cfg.Keys}
	if err := s.page.Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
