package shim

import (
	"sync"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

// Store is the LineSink that writes a service's lines to the log store
// (DESIGN §4). A write error (disk full, read-only folder) never stops
// supervision: the line still reaches PM2 through stdout, the error is shown in
// the state file, and writing resumes by itself when the store accepts again.
type Store struct {
	Dir, Service string
	Opts         logstore.WriterOptions
	// Report is told the store's error, or "" once it writes again.
	Report func(string)

	mu       sync.Mutex
	w        *logstore.Writer
	cls      logstore.Classifier
	errText  string
	retryAt  time.Time
	openedAt time.Time
}

// Open opens the writer; on failure the store retries on later lines.
func (s *Store) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open(time.Now())
}

func (s *Store) open(now time.Time) error {
	w, err := logstore.OpenWriter(s.Dir, s.Service, s.Opts)
	if err != nil {
		s.fail(err, now)
		return err
	}
	s.w, s.openedAt = w, now
	return nil
}

// LastTimestamp is the newest stored record's time (zero when none): the shim
// asks the engine for lines since then.
func (s *Store) LastTimestamp() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return time.Time{}
	}
	return s.w.LastTimestamp()
}

// Line stores one line; dup is true when a previous shim already stored it
// (the engine replays the boundary after a restart), and the shim then does
// not print it again either.
func (s *Store) Line(ts time.Time, stream string, msg []byte) (dup bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.w == nil {
		if now.Before(s.retryAt) || s.open(now) != nil {
			return false
		}
	}
	rec := logstore.Record{TS: ts, Service: s.Service, Stream: stream, Msg: msg}
	if s.w.Seen(rec) {
		return true
	}
	rec.Level = s.cls.Classify(stream, msg)
	if err := s.w.Append(rec); err != nil {
		s.fail(err, now)
		return false
	}
	// Append only buffers: the store counts as writing again once a flush
	// reaches the disk, checked at most once a second while in error.
	if s.errText != "" && !now.Before(s.retryAt) {
		if err := s.w.Flush(); err != nil {
			s.fail(err, now)
			return false
		}
		s.errText = ""
		if s.Report != nil {
			s.Report("")
		}
	}
	return false
}

func (s *Store) fail(err error, now time.Time) {
	s.retryAt = now.Add(time.Second)
	if err.Error() != s.errText {
		s.errText = err.Error()
		if s.Report != nil {
			s.Report(s.errText)
		}
	}
}

// Prune applies retention to this service's segments (never the active one).
func (s *Store) Prune(p logstore.Policy, now time.Time) error {
	_, _, err := logstore.Prune(s.Dir, s.Service, p, now, false)
	return err
}

// Close flushes and closes the writer.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return nil
	}
	return s.w.Close()
}
