package logstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// position is where a service's store ended when the tail was read: a
// segment and the offset after its last complete line.
type position struct {
	name string
	off  int64
}

// tailAll returns the last q.Tail matching records across services, oldest
// first, and where each service's store ended (for Follow to go on from).
func tailAll(dir string, services []string, q QueryOptions, wantEnds bool) ([]Record, []position, error) {
	var all []Record
	var ends []position
	for _, svc := range services {
		recs, end, err := tailService(filepath.Join(dir, svc), svc, q.filter(), q.Tail, nil)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, recs...)
		ends = append(ends, end)
	}
	if len(services) > 1 {
		slices.SortStableFunc(all, func(a, b Record) int { return a.TS.Compare(b.TS) })
	}
	if len(all) > q.Tail {
		all = all[len(all)-q.Tail:]
	}
	if !wantEnds {
		ends = nil
	}
	return all, ends, nil
}

// tailService reads one service's segments backwards from the end — or from
// the first record at Until — and stops after n matching records or at the
// first record before Since. It adds the bytes it reads to *read, if not nil.
func tailService(folder, service string, f filter, n int, read *int64) ([]Record, position, error) {
	var out []Record
	var end position
	segs, err := listSegments(folder)
	if err != nil {
		return nil, end, err
	}
	t := tailer{dec: decoder{service: service}, f: f, n: n}
	for i := len(segs) - 1; i >= 0 && !t.stop; i-- {
		ref := segs[i]
		if err := t.segment(folder, ref, &out, i == len(segs)-1, &end); err != nil {
			return nil, end, fmt.Errorf("tail log segment %s: %w", ref.name, err)
		}
		if !f.since.IsZero() && ref.start.Before(f.since) {
			break // older segments end before this one's start
		}
	}
	slices.Reverse(out)
	if read != nil {
		*read += t.read
	}
	return out, end, nil
}

type tailer struct {
	dec   decoder
	f     filter
	n     int
	stop  bool
	until bool // the segment holding Until has been cut
	read  int64
}

// segment adds one segment's matching records to out, newest first.
func (t *tailer) segment(folder string, ref segRef, out *[]Record, newest bool, end *position) error {
	file, err := os.Open(filepath.Join(folder, ref.name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	limit := st.Size()
	if newest { // the end of the complete lines now; Follow goes on from here
		back := newBackLines(file, limit)
		line, off, ok, err := back.prev()
		t.read += back.read
		switch {
		case err != nil:
			return err
		case ok:
			limit = off + int64(len(line)) + 1
		default:
			limit = 0
		}
		*end = position{name: ref.name, off: limit}
	}
	if !t.f.until.IsZero() && !t.until {
		if !ref.start.Before(t.f.until) {
			return nil
		}
		t.until = true
		if limit, err = seekExact(file, limit, t.f.until, &t.dec, &t.read); err != nil {
			return err
		}
	}
	back := newBackLines(file, limit)
	defer func() { t.read += back.read }()
	var rec Record
	for len(*out) < t.n {
		line, _, ok, err := back.prev()
		if err != nil || !ok {
			return err
		}
		if !t.dec.decode(line, &rec) || t.f.afterWindow(rec.TS) {
			continue
		}
		if rec.TS.Before(t.f.since) {
			t.stop = true
			return nil
		}
		if t.f.match(&rec) {
			*out = append(*out, rec.Clone())
		}
	}
	t.stop = true
	return nil
}
