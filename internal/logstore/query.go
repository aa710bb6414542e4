package logstore

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
)

// QueryOptions select records. The zero value selects everything.
type QueryOptions struct {
	// Services to read; empty: every service folder in the store. Several
	// services are merged in timestamp order (ties: in this order).
	Services []string
	// Since and Until bound the window [Since, Until); zero: unbounded.
	Since, Until time.Time
	// MinLevel: only records at this level or above; zero: all.
	MinLevel Level
	// Grep: only records whose message matches (the raw message bytes, not
	// the formatted line).
	Grep *regexp.Regexp
	// Tail > 0: only the last Tail records that pass the other filters.
	Tail int
	// PollInterval is how often Follow looks for new records when it has
	// none; default 200 ms.
	PollInterval time.Duration
}

func (q QueryOptions) filter() filter {
	f := filter{since: q.Since, until: q.Until, minLevel: q.MinLevel, grep: q.Grep}
	if q.Grep != nil {
		if lit, _ := q.Grep.LiteralPrefix(); lit != "" && !strings.ContainsFunc(lit, func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' }) {
			f.lit = []byte(lit)
		}
	}
	return f
}

func (q QueryOptions) services(dir string) ([]string, error) {
	if len(q.Services) == 0 {
		return Services(dir)
	}
	var out []string
	for _, s := range q.Services {
		if err := ValidService(s); err != nil {
			return nil, err
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Iterator yields records in timestamp order:
//
//	it := logstore.Query(dir, q)
//	defer it.Close()
//	for it.Next() {
//		rec := it.Record() // valid until the next call to Next; Clone to keep
//	}
//	if err := it.Err(); err != nil { … }
type Iterator interface {
	// Next advances to the next record; false at the end or on an error.
	Next() bool
	// Record is the current record. Its Msg is reused by the next Next.
	Record() Record
	// Err is the error that ended the iteration, if any; for Follow, the
	// context's error once it is done.
	Err() error
	// Close releases the open segment files.
	Close() error
}

// Query reads the records of a store that match q. A service's folder that
// does not exist holds no records; a store that does not exist is empty.
//
// It never reads a segment from its start to find Since: it picks the
// segment by name and binary-searches byte offsets in it (see seekTS), so
// the first record of a one-hour window of a large store comes after a few
// small reads. With Tail it reads segments backwards from the end (or from
// Until) and stops after Tail matching records.
func Query(dir string, q QueryOptions) Iterator {
	return newMerge(nil, dir, q)
}

// Follow is Query that does not end: after the stored records it waits for
// new ones, polling every PollInterval, across segment rotation and a new
// shim starting a new segment, until ctx is done (Err then returns ctx's
// error) or every service has passed Until. Without Services it also picks
// up service folders created later. Records of several services are
// merged by timestamp among those available at each poll; a record stored
// late by a slower service can follow a later record of another.
func Follow(ctx context.Context, dir string, q QueryOptions) Iterator {
	if q.PollInterval <= 0 {
		q.PollInterval = 200 * time.Millisecond
	}
	return newMerge(ctx, dir, q)
}

func newMerge(ctx context.Context, dir string, q QueryOptions) Iterator {
	services, err := q.services(dir)
	follow := ctx != nil
	m := &mergeIter{ctx: ctx, poll: q.PollInterval, last: -1, err: err,
		dir: dir, filt: q.filter(), scan: follow && len(q.Services) == 0}
	if err != nil {
		return m
	}
	var ends []position
	if q.Tail > 0 {
		m.pre, ends, m.err = tailAll(dir, services, q, follow)
		if !follow || m.err != nil {
			return m
		}
	}
	for i, svc := range services {
		s := newSource(dir, svc, q.filter(), follow)
		if ends != nil { // follow after the tail, from where the store ended
			s.seek, s.resume, s.resAt = false, ends[i].name, ends[i].off
		}
		m.srcs = append(m.srcs, s)
	}
	m.heads = make([]bool, len(m.srcs))
	m.idle = make([]bool, len(m.srcs))
	return m
}
