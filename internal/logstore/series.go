package logstore

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Series appends one service's records of a store that holds facts rather
// than a container's lines (the event journal, the figures history): each
// record is flushed at once, so readers see it as soon as Append returns. A
// series that cannot be written (a read-only or full folder) never stops its
// caller: Append reports the first failure to Report, keeps trying on later
// records, and reports the recovery with nil. Safe for concurrent use; a nil
// *Series stores nothing.
type Series struct {
	Dir, Service string
	Name         string // what Report's errors say the series is ("event journal")
	SegmentSize  int64
	Report       func(error)

	mu     sync.Mutex
	w      *Writer
	failed bool
}

// Append stores rec (its Service is the series').
func (s *Series) Append(rec Record) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Service = s.Service
	err := s.append(rec)
	switch {
	case err != nil && !s.failed:
		s.failed = true
		s.report(fmt.Errorf("%s: %w", s.Name, err))
	case err == nil && s.failed:
		s.failed = false
		s.report(nil)
	}
}

func (s *Series) append(rec Record) error {
	if s.w == nil {
		w, err := OpenWriter(s.Dir, s.Service, WriterOptions{SegmentSize: s.SegmentSize, FlushInterval: -1})
		if err != nil {
			return err
		}
		s.w = w
	}
	err := s.w.Append(rec) // may report an earlier segment's close, with this record buffered
	return errors.Join(err, s.w.Flush())
}

func (s *Series) report(err error) {
	if s.Report != nil {
		s.Report(err)
	}
}

// Prune applies retention to the series (see Prune).
func (s *Series) Prune(policy Policy, now time.Time) error {
	if s == nil {
		return nil
	}
	_, _, err := Prune(s.Dir, s.Service, policy, now, false)
	return err
}

// Close flushes and closes the series.
func (s *Series) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return nil
	}
	err := s.w.Close()
	s.w = nil
	return err
}
