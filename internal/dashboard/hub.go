package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pm2dock/pm2dock/internal/figures"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/status"
)

// The hub follows every source once and pushes what changes to every open
// page: the status rows (collected by status.Watch on the change sources
// `status --watch` uses), new events (following the journal), new figures
// points (following the history) and, while a page follows a service's
// logs, its new lines (one follow of the log store, started for the first
// such page and stopped after the last). No page makes the server look
// itself: a page is a subscriber, not a poller.
type hub struct {
	cfg Config

	mu      sync.Mutex
	last    []byte        // the last status message
	ready   chan struct{} // closed once last is set
	clients map[*client]struct{}
	logs    context.CancelFunc // the log store follow, while a client follows logs
	ctx     context.Context
}

// message is one server-sent event.
type message struct {
	name string
	data []byte
}

// client is one open stream; logs is the service whose lines it follows ("": none).
type client struct {
	ch    chan message
	gone  chan struct{} // closed when the hub drops a client too slow to read
	logs  string
	level logstore.Level
}

// clientBuffer is how many messages a stream may lag before it is dropped
// (the page reconnects and reads the window afresh).
const clientBuffer = 1024

func newHub(cfg Config) *hub {
	return &hub{cfg: cfg, ready: make(chan struct{}), clients: map[*client]struct{}{}}
}

func (h *hub) setContext(ctx context.Context) {
	h.mu.Lock()
	h.ctx = ctx
	h.mu.Unlock()
}

func (h *hub) run(ctx context.Context) {
	now := h.cfg.Status.Now()
	go h.follow(ctx, now)
	status.Watch(ctx, h.cfg.Status, h.cfg.Keys, h.cfg.Interval, h.cfg.EngineErr, func(rep status.Report) error {
		msg := statusMessage(rep, h.cfg.Status.Now())
		h.mu.Lock()
		first := h.last == nil
		h.last = msg
		h.mu.Unlock()
		if first {
			close(h.ready)
		}
		h.broadcast(message{"status", msg}, nil)
		return nil
	})
}

// statusMessage is the status as the page reads it: the rows of
// docs/contracts.md#status-json, and what did not answer.
func statusMessage(rep status.Report, now time.Time) []byte {
	type msg struct {
		At          time.Time    `json:"at"`
		Rows        []status.Row `json:"rows"`
		PM2Source   string       `json:"pm2_source"`
		PM2Error    *string      `json:"pm2_error"`
		EngineError *string      `json:"engine_error"`
	}
	m := msg{At: now.UTC(), Rows: rep.Rows, PM2Source: rep.PM2Source}
	if m.Rows == nil {
		m.Rows = []status.Row{}
	}
	if rep.PM2Err != nil {
		s := rep.PM2Err.Error()
		m.PM2Error = &s
	}
	if rep.EngineErr != nil {
		s := rep.EngineErr.Error()
		m.EngineError = &s
	}
	return compactJSON(m)
}

func compactJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		raw, _ := json.Marshal(map[string]string{"error": err.Error()})
		return raw
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// status is the last status message, waiting for the first.
func (h *hub) status(ctx context.Context) []byte {
	select {
	case <-h.ready:
	case <-ctx.Done():
		return []byte(`{"rows":[]}`)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// How often the hub looks for new events and figures points: an event is on
// the page within half a second of its record (a container's end is there at
// once already, through the status), a point comes each figures.Period.
const (
	eventsPoll  = 500 * time.Millisecond
	figuresPoll = time.Second
)

// follow pushes the journal's and the history's new records from since.
func (h *hub) follow(ctx context.Context, since time.Time) {
	dir := h.cfg.Status.Profile.Logs.Dir
	go func() {
		it := journal.Follow(ctx, dir, journal.Window{Services: service.Strings(h.cfg.Keys), Since: since, Poll: eventsPoll})
		defer it.Close()
		for it.Next() {
			h.broadcast(message{"event", compactJSON(it.Event())}, nil)
		}
	}()
	it := figures.Follow(ctx, dir, service.Strings(h.cfg.Keys), since, figuresPoll)
	defer it.Close()
	for it.Next() {
		h.broadcast(message{"figure", compactJSON(struct {
			Service string `json:"service"`
			Point   point  `json:"point"`
		}{it.Service(), toPoint(it.Point())})}, nil)
	}
}

// broadcast sends m to every client that wants it (want nil: all).
func (h *hub) broadcast(m message, want func(*client) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if want != nil && !want(c) {
			continue
		}
		select {
		case c.ch <- m:
		default: // too slow: drop it, its page reconnects
			delete(h.clients, c)
			close(c.gone)
			h.logFollowLocked()
		}
	}
}

func (h *hub) subscribe(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clients[c] = struct{}{}
	h.logFollowLocked()
}

func (h *hub) unsubscribe(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		h.logFollowLocked()
	}
}

// logFollowLocked starts the log store follow when a client follows logs
// and none runs, and stops it when no client does any more.
func (h *hub) logFollowLocked() {
	want := false
	for c := range h.clients {
		if c.logs != "" {
			want = true
			break
		}
	}
	switch {
	case want && h.logs == nil && h.ctx != nil:
		ctx, cancel := context.WithCancel(h.ctx)
		h.logs = cancel
		// From a moment back: a line stamped just before is stored a flush
		// later; the page shows each line once whichever way it came.
		go h.followLogs(ctx, h.cfg.Status.Now().Add(-followBack))
	case !want && h.logs != nil:
		h.logs()
		h.logs = nil
	}
}

func (h *hub) followLogs(ctx context.Context, since time.Time) {
	it := logstore.Follow(ctx, h.cfg.Status.Profile.Logs.Dir, logstore.QueryOptions{Services: service.Strings(h.cfg.Keys), Since: since})
	defer it.Close()
	var buf []byte
	for it.Next() {
		if ctx.Err() != nil { // stopped: a new follow may have begun; never send a record twice
			return
		}
		rec := it.Record()
		buf = rec.AppendJSON(buf[:0])
		m := message{"log", bytes.Clone(buf)}
		h.broadcast(m, func(c *client) bool { return c.logs == rec.Service && rec.Level >= c.level })
	}
}

// followBack is how far back a log follow starts: the store's writer flushes
// its buffer every 200 ms, so a line can reach the file that long after its
// time, and more under load.
const followBack = 2 * time.Second

// keepAlive is how often an idle stream gets a comment line, so a proxy or
// the browser does not take it for dead; writeWait is how long one write may
// wait for the client to read.
const (
	keepAlive = 30 * time.Second
	writeWait = 10 * time.Second
)

// apiStream is the page's one stream of server-sent events: status first,
// then every status, event, figure and (with logs=SERVICE, and level) log
// message as it comes.
func (s *Server) apiStream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c := &client{ch: make(chan message, clientBuffer), gone: make(chan struct{})}
	if v := q.Get("logs"); v != "" {
		keys, err := s.services(url.Values{"service": {v}})
		if err != nil {
			badRequest(w, err)
			return
		}
		c.logs = keys[0]
	}
	if v := q.Get("level"); v != "" {
		lv, err := logstore.ParseLevel(v)
		if err != nil {
			badRequest(w, fmt.Errorf("level: %w", err))
			return
		}
		c.level = lv
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	if r.Method == http.MethodHead {
		return // the headers are the answer
	}
	s.hub.subscribe(c)
	defer s.hub.unsubscribe(c)
	rc := http.NewResponseController(w)
	// A write the client does not read within writeWait ends the stream: a
	// stuck client would block its handler forever.
	write := func(f func() error) bool {
		rc.SetWriteDeadline(time.Now().Add(writeWait))
		if f() != nil {
			return false
		}
		return rc.Flush() == nil
	}
	send := func(m message) bool {
		return write(func() error { _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", m.name, m.data); return err })
	}
	if !send(message{"status", s.hub.status(r.Context())}) {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.gone:
			return
		case m := <-c.ch:
			if !send(m) {
				return
			}
		case <-tick.C:
			if !write(func() error { _, err := fmt.Fprint(w, ": keep-alive\n\n"); return err }) {
				return
			}
		}
	}
}
