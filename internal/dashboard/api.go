package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pm2dock/pm2dock/internal/figures"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/when"
)

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
		return service.Strings(s.cfg.Keys), nil
	}
	for _, k := range s.cfg.Keys {
		if k.String() == v {
			return []string{v}, nil
		}
	}
	return nil, fmt.Errorf("service %q: not one of %s", v, strings.Join(service.Strings(s.cfg.Keys), ", "))
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
		badRequest(w, fmt.Errorf("service: name one of %s", strings.Join(service.Strings(s.cfg.Keys), ", ")))
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
