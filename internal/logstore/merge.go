package logstore

import (
	"context"
	"errors"
	"slices"
	"time"
)

// mergeIter is the k-way merge of one source per service. Sources are few
// (the services of one profile), so a linear scan for the oldest head beats
// a heap. A source is advanced lazily, on the Next after its record was
// yielded, which keeps that record's buffers valid in between.
type mergeIter struct {
	ctx    context.Context // nil: a query, which ends when the sources do
	poll   time.Duration
	dir    string
	filt   filter
	scan   bool     // following every service: look for new service folders at each poll
	pre    []Record // the tail, yielded before the sources
	srcs   []*source
	heads  []bool // source i holds an unyielded record
	idle   []bool // following: source i had nothing at the last poll
	last   int    // source of the current record, -1 if none
	rec    Record
	err    error
	closed bool
	note   *notifier // following: wakes wait early (nil: poll only)
	noted  bool      // note was created (or could not be)
}

func (m *mergeIter) Next() bool {
	if m.err != nil || m.closed {
		return false
	}
	if len(m.pre) > 0 {
		m.rec, m.pre = m.pre[0], m.pre[1:]
		return true
	}
	if m.last >= 0 {
		m.heads[m.last], m.last = false, -1
	}
	for {
		if m.err = m.fill(); m.err != nil {
			return false
		}
		if i := m.oldest(); i >= 0 {
			m.rec, m.last = m.srcs[i].rec, i
			return true
		}
		if m.ctx == nil || m.allDone() || !m.wait() {
			return false
		}
	}
}

// fill reads a record from every source without one, except those idle
// since the last poll.
func (m *mergeIter) fill() error {
	for i, s := range m.srcs {
		if m.heads[i] || m.idle[i] || s.done {
			continue
		}
		ok, err := s.read()
		if err != nil {
			return err
		}
		m.heads[i], m.idle[i] = ok, !ok
	}
	return nil
}

func (m *mergeIter) oldest() int {
	best := -1
	for i, s := range m.srcs {
		if m.heads[i] && (best < 0 || s.rec.TS.Before(m.srcs[best].rec.TS)) {
			best = i
		}
	}
	return best
}

func (m *mergeIter) allDone() bool {
	if m.scan && len(m.srcs) == 0 {
		return false
	}
	for _, s := range m.srcs {
		if !s.done {
			return false
		}
	}
	return true
}

// wait sleeps until a followed folder changes (see notifier) or one poll
// interval has passed, then marks every source for polling.
func (m *mergeIter) wait() bool {
	if !m.noted {
		m.note, m.noted = newNotifier(), true
	}
	if m.note != nil {
		m.note.sources(m.dir, m.scan, m.srcs)
	}
	t := time.NewTimer(m.poll)
	defer t.Stop()
	select {
	case <-m.ctx.Done():
		m.err = m.ctx.Err()
		return false
	case <-t.C:
	case <-m.note.events():
		m.drainEvents()
	}
	clear(m.idle)
	if m.scan {
		m.addServices()
	}
	return true
}

// drainEvents takes the changes that arrived together: one look covers them.
func (m *mergeIter) drainEvents() {
	for {
		select {
		case <-m.note.events():
		default:
			return
		}
	}
}

// addServices follows service folders created since Follow started. Their
// records are read from the start, filtered like the others.
func (m *mergeIter) addServices() {
	names, err := Services(m.dir)
	if err != nil {
		return // transient; the next poll tries again
	}
	for _, name := range names {
		if !slices.ContainsFunc(m.srcs, func(s *source) bool { return s.dec.service == name }) {
			m.srcs = append(m.srcs, newSource(m.dir, name, m.filt, true))
			m.heads, m.idle = append(m.heads, false), append(m.idle, false)
		}
	}
}

func (m *mergeIter) Record() Record { return m.rec }

func (m *mergeIter) Err() error { return m.err }

func (m *mergeIter) Close() error {
	m.closed = true
	m.note.close()
	var errs []error
	for _, s := range m.srcs {
		if s.file != nil {
			errs = append(errs, s.file.Close())
			s.file = nil
		}
	}
	return errors.Join(errs...)
}
