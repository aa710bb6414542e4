package shim

import (
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

// Store is the LineSink that writes a service's lines to the log store
// (docs/contracts.md#log-store). A write error (disk full, read-only folder) never stops
// supervision: the line still reaches PM2 through stdout, the error is shown in
// the state file, and writing resumes by itself when the store accepts again.
type Store struct {
	Dir, Service string
	Opts         logstore.WriterOptions
	// Report is told the store's error, or "" once it writes again.
	Report func(string)

	mu      sync.Mutex
	w       *logstore.Writer
	tail    map[tailKey]int // records stored in the resume window, by count
	tailEnd time.Time       // the newest stored record when the writer opened
	// blind is set when Since was asked while the store could not be read:
	// the engine then replays the whole run, and once the store opens, lines
	// older than its resume window count as stored (as a normal resume never
	// asks for them).
	blind   bool
	floor   time.Time
	cls     logstore.Classifier
	errText string
	retryAt time.Time
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
	s.w = w
	if err := s.loadTail(); err != nil {
		s.fail(fmt.Errorf("read the stored lines to resume from: %w", err), now)
	}
	if s.blind && !s.tailEnd.IsZero() {
		s.floor = s.tailEnd.Add(-resumeMargin)
	}
	return nil
}

// resumeMargin is how far before the newest stored line a restarted shim asks
// the engine to replay. The engine stamps stdout and stderr lines in separate
// goroutines, so the newest stored line of one stream can be a little younger
// than a line of the other stream that a killed shim never stored; replaying
// from the newest one alone would lose that line.
const resumeMargin = 2 * time.Second

// Since is where the engine's replay starts: resumeMargin before the newest
// stored line (zero when the store is empty). Line drops the replayed lines
// the store already holds.
func (s *Store) Since() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		s.blind = true
		return time.Time{}
	}
	if s.w.LastTimestamp().IsZero() {
		return time.Time{}
	}
	return s.w.LastTimestamp().Add(-resumeMargin)
}

// loadTail remembers the records stored in the resume window, to recognise
// them when the engine replays them.
func (s *Store) loadTail() error {
	last := s.w.LastTimestamp()
	s.tail, s.tailEnd = map[tailKey]int{}, last
	if last.IsZero() {
		return nil
	}
	it := logstore.Query(s.Dir, logstore.QueryOptions{Services: []string{s.Service}, Since: last.Add(-resumeMargin)})
	defer it.Close()
	for it.Next() {
		r := it.Record()
		s.tail[keyOf(r.TS, r.Stream, r.Msg)]++
		// The last record stored is not always the newest: a line of the
		// other stream, stamped later, can have been delivered before it.
		// Up to the newest, a replayed line may be one stored already.
		if r.TS.After(s.tailEnd) {
			s.tailEnd = r.TS
		}
	}
	return it.Err()
}

type tailKey struct {
	ts     int64
	stream string
	sum    uint64
}

func keyOf(ts time.Time, stream string, msg []byte) tailKey {
	h := fnv.New64a()
	h.Write(msg)
	return tailKey{ts.UnixNano(), stream, h.Sum64()}
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
	if ts.After(s.tailEnd.Add(resumeMargin)) {
		// Well past the window, on every stream: nothing more to recognise
		// (and no later line is held to the floor, even after a clock step).
		s.tail, s.floor = nil, time.Time{}
	}
	if ts.Before(s.floor) { // replayed blind, older than the resume window: stored before
		return true
	}
	if len(s.tail) > 0 && !ts.After(s.tailEnd) { // inside the replayed window
		k := keyOf(ts, stream, msg)
		if s.tail[k] > 0 {
			s.tail[k]--
			return true
		}
	}
	rec := logstore.Record{TS: ts, Service: s.Service, Stream: stream, Msg: msg}
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
