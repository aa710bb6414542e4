package logstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// filter is what a record must satisfy besides its place in the window.
type filter struct {
	since, until time.Time
	minLevel     Level
	grep         *regexp.Regexp
	lit          []byte // grep's literal prefix, when it has one stored verbatim (see mayMatch)
}

// mayMatch is grep's prefilter on a stored line: a message holding the
// expression's literal prefix holds it verbatim in the line, since the store
// escapes only '"', '\\' and control bytes (a literal with none of them), unless
// the message is base64 (not UTF-8), which is then decoded and matched.
func (f *filter) mayMatch(line []byte) bool {
	return f.lit == nil || bytes.Contains(line, f.lit) || bytes.Contains(line, b64Mark)
}

var b64Mark = []byte(`"b64":true`)

func (f *filter) match(r *Record) bool {
	return r.Level >= f.minLevel && (f.grep == nil || f.grep.Match(r.Msg))
}

func (f *filter) afterWindow(ts time.Time) bool {
	return !f.until.IsZero() && !ts.Before(f.until)
}

// source reads one service's records forward, segment after segment. In a
// query it ends at the last segment listed when it started; following, it
// waits at the end of the newest segment and moves on when a newer one
// appears.
type source struct {
	folder string
	filt   filter
	follow bool

	segs   []segRef
	next   int // index in segs of the next segment to open
	listed bool
	seek   bool   // seek to filt.since in the first segment opened
	resume string // or open this segment at resAt (Follow after a tail)
	resAt  int64

	file      *os.File
	cur, prev string // the open segment's name and the one before it
	drain     bool   // follow: a newer segment exists; read this one to its end once more
	lr        lineReader
	dec       decoder
	rec       Record
	done      bool
	seekRead  int64 // bytes read by seeking (lr.read counts the rest)
}

func newSource(dir, service string, f filter, follow bool) *source {
	return &source{folder: filepath.Join(dir, service), filt: f, follow: follow,
		dec: decoder{service: service}, seek: !f.since.IsZero()}
}

// read advances to the next matching record. It returns false with a nil
// error when there is nothing more: for now when following, for good
// otherwise (done is then set).
func (s *source) read() (bool, error) {
	for !s.done {
		if s.file == nil {
			if ok, err := s.open(); err != nil || !ok {
				return false, err
			}
		}
		line, _, ok, err := s.lr.next()
		if err != nil {
			return false, fmt.Errorf("read log segment %s: %w", s.cur, err)
		}
		if !ok {
			if s.follow && !s.drain {
				if more, err := s.relist(); err != nil || !more {
					return false, err
				}
				s.drain = true // the writer has moved on: whatever it wrote here is here now
				continue
			}
			s.closeFile()
			continue
		}
		if !s.filt.mayMatch(line) {
			// It cannot match; only the window's end matters, from the
			// timestamp alone (a line not in the writer's shape is decoded).
			if s.filt.until.IsZero() {
				continue
			}
			if ts, ok := parseTSPrefix(line); ok {
				if s.filt.afterWindow(ts) {
					s.done = true
					s.closeFile()
					return false, nil
				}
				continue
			}
		}
		if !s.dec.decode(line, &s.rec) {
			continue // a torn or foreign line
		}
		if s.filt.afterWindow(s.rec.TS) {
			s.done = true
			s.closeFile()
			return false, nil
		}
		if !s.rec.TS.Before(s.filt.since) && s.filt.match(&s.rec) {
			return true, nil
		}
	}
	return false, nil
}

// open opens the next segment, listing the folder first if needed.
func (s *source) open() (bool, error) {
	if !s.listed {
		if err := s.list(); err != nil {
			return false, err
		}
	}
	for {
		for s.next < len(s.segs) {
			ref := s.segs[s.next]
			s.next++
			if ok, err := s.openSegment(ref); err != nil || ok {
				return ok, err
			}
		}
		if !s.follow {
			s.done = true
			return false, nil
		}
		if more, err := s.relist(); err != nil || !more {
			return false, err
		}
	}
}

func (s *source) openSegment(ref segRef) (bool, error) {
	f, err := os.Open(filepath.Join(s.folder, ref.name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // pruned since the listing
	}
	if err != nil {
		return false, fmt.Errorf("open log segment: %w", err)
	}
	var off int64
	switch {
	case ref.name == s.resume:
		off = s.resAt
	case s.seek:
		if st, err := f.Stat(); err == nil {
			off, err = seekTS(f, st.Size(), s.filt.since, &s.dec, &s.seekRead)
		}
		if err != nil {
			f.Close()
			return false, fmt.Errorf("seek in log segment %s: %w", ref.name, err)
		}
	}
	s.seek, s.resume = false, ""
	s.file, s.prev, s.cur, s.drain = f, s.cur, ref.name, false
	s.lr.reset(f, off)
	return true, nil
}

// list chooses where to start. A segment covers [its start, the next one's
// start], so the window's first record is in the last segment starting
// strictly before Since (records at exactly Since may end that segment).
func (s *source) list() error {
	segs, err := listSegments(s.folder)
	if err != nil {
		return err
	}
	s.segs, s.listed, s.next = segs, true, 0
	if !s.filt.until.IsZero() && !s.follow {
		for len(s.segs) > 0 && !s.segs[len(s.segs)-1].start.Before(s.filt.until) {
			s.segs = s.segs[:len(s.segs)-1]
		}
	}
	if s.resume != "" {
		s.next = len(s.segs)
		for i, ref := range s.segs {
			if ref.name >= s.resume {
				s.next = i
				break
			}
		}
		return nil
	}
	for i, ref := range s.segs {
		if s.seek && ref.start.Before(s.filt.since) {
			s.next = i
		}
	}
	return nil
}

// relist looks for segments after the current one. If the current one is
// gone (pruned, or an empty segment a restarted writer removed), it looks
// after the one before it, since the new writer's segment may sort before
// the removed one's name.
func (s *source) relist() (bool, error) {
	segs, err := listSegments(s.folder)
	if err != nil {
		return false, err
	}
	after := s.cur
	if after != "" && !hasSegment(segs, after) {
		after = s.prev
	}
	s.segs, s.next, s.listed = segs, len(segs), true
	for i, ref := range segs {
		if ref.name > after && ref.name != s.cur {
			s.next = i
			break
		}
	}
	return s.next < len(segs), nil
}

func hasSegment(segs []segRef, name string) bool {
	for _, ref := range segs {
		if ref.name == name {
			return true
		}
	}
	return false
}

func (s *source) closeFile() {
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
}
