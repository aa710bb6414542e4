package logstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	segmentExt   = ".jsonl"
	nameTSLayout = "20060102T150405.000000000Z"
	maxSeq       = 9999
)

// segRef is a segment as its file name describes it. Names sort as
// (start, seq): the timestamps have a fixed width and "_" sorts after ".".
type segRef struct {
	name  string
	start time.Time // the first record's timestamp
	seq   int       // tie-breaker among segments with the same start
}

func segmentName(start time.Time, seq int) string {
	s := start.UTC().Format(nameTSLayout)
	if seq > 0 {
		s += fmt.Sprintf("_%04d", seq)
	}
	return s + segmentExt
}

// parseSegmentName accepts only names segmentName produces; other files in a
// service folder are ignored.
func parseSegmentName(name string) (segRef, bool) {
	base, ok := strings.CutSuffix(name, segmentExt)
	if !ok {
		return segRef{}, false
	}
	ts, seq := base, 0
	if i := strings.IndexByte(base, '_'); i >= 0 {
		ts, seq = base[:i], num([]byte(base[i+1:]))
		if len(base)-i-1 != 4 || seq < 1 {
			return segRef{}, false
		}
	}
	if len(ts) != len(nameTSLayout) {
		return segRef{}, false
	}
	start, err := time.Parse(nameTSLayout, ts)
	if err != nil || start.Format(nameTSLayout) != ts {
		return segRef{}, false
	}
	return segRef{name: name, start: start, seq: seq}, true
}

// listSegments returns a service folder's segments, oldest first. A folder
// that does not exist holds no segments.
func listSegments(folder string) ([]segRef, error) {
	entries, err := os.ReadDir(folder)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list log segments: %w", err)
	}
	segs := make([]segRef, 0, len(entries))
	for _, e := range entries { // ReadDir sorts by name, which is time order
		if ref, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			segs = append(segs, ref)
		}
	}
	return segs, nil
}

// ValidService reports whether name can be a service folder: 1–128
// characters of [A-Za-z0-9_.-], starting with a letter or digit (compose's
// own rule for service names), so it is always one safe path component.
func ValidService(name string) error {
	ok := len(name) > 0 && len(name) <= 128 && isAlnum(name[0])
	for i := 1; ok && i < len(name); i++ {
		c := name[i]
		ok = isAlnum(c) || c == '_' || c == '.' || c == '-'
	}
	if !ok {
		return fmt.Errorf("%w %q: use letters, digits, '_', '.' and '-'", ErrInvalidService, name)
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// Services lists the service folders of a store, sorted. A store that does
// not exist yet has none.
func Services(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list log store %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && ValidService(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// SegmentInfo describes one segment file for retention and status.
type SegmentInfo struct {
	Service string
	Name    string    // file name inside <dir>/<service>/
	Start   time.Time // first record's timestamp, from the name
	Last    time.Time // last complete record's timestamp; zero if none is readable
	ModTime time.Time
	Size    int64
}

// ID names the segment across services: "db/20261126T003740.123456789Z.jsonl".
func (s SegmentInfo) ID() string { return s.Service + "/" + s.Name }

// ListSegments describes a service's segments, oldest first. Last is read
// from the end of each file (one small read per segment).
func ListSegments(dir, service string) ([]SegmentInfo, error) {
	if err := ValidService(service); err != nil {
		return nil, err
	}
	folder := filepath.Join(dir, service)
	refs, err := listSegments(folder)
	if err != nil {
		return nil, err
	}
	out := make([]SegmentInfo, 0, len(refs))
	for _, ref := range refs {
		info, err := describeSegment(folder, service, ref)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

func describeSegment(folder, service string, ref segRef) (SegmentInfo, error) {
	f, err := os.Open(filepath.Join(folder, ref.name))
	if err != nil {
		return SegmentInfo{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return SegmentInfo{}, fmt.Errorf("stat log segment %s: %w", ref.name, err)
	}
	info := SegmentInfo{Service: service, Name: ref.name, Start: ref.start, ModTime: st.ModTime(), Size: st.Size()}
	d := decoder{service: service}
	back := newBackLines(f, st.Size())
	for {
		line, _, ok, err := back.prev()
		if err != nil {
			return info, fmt.Errorf("read log segment %s: %w", ref.name, err)
		}
		if !ok {
			return info, nil
		}
		if ts, ok := d.ts(line); ok {
			info.Last = ts
			return info, nil
		}
	}
}
