package logstore

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"time"
)

// LastTimestamp is the timestamp of the last complete record on disk: when
// the writer opened, the newest record a previous shim stored (zero for an
// empty store); later, the last one this writer wrote. On restart the shim
// asks the engine for lines since then and drops those Seen reports.
func (w *Writer) LastTimestamp() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// Seen reports whether rec was already stored when the writer opened, for
// the lines the engine sends again after a restart (since LastTimestamp,
// inclusive). Records before that timestamp were stored; at it, several
// records may share the nanosecond, so Seen matches stream and message
// against the records stored at it, each match used once: the engine's
// second "x" at that nanosecond is new if only one "x" was stored. Call it
// once per record the engine replays, in order.
func (w *Writer) Seen(rec Record) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.boundary.IsZero() || rec.TS.After(w.boundary):
		return false
	case rec.TS.Before(w.boundary):
		return true
	}
	h := recordHash(rec.Stream, rec.Msg)
	if w.seen[h] > 0 {
		w.seen[h]--
		return true
	}
	return false
}

func recordHash(stream string, msg []byte) uint64 {
	h := fnv.New64a()
	h.Write([]byte(stream))
	h.Write([]byte{0})
	h.Write(msg)
	return h.Sum64()
}

// maxBoundary bounds how many records at the last timestamp are remembered.
const maxBoundary = 1 << 16

// loadBoundary reads the store's last records backwards: the timestamp of
// the newest complete one and the records that share it.
func loadBoundary(folder, service string, segs []segRef) (time.Time, map[uint64]int, error) {
	var last time.Time
	seen := map[uint64]int{}
	d := decoder{service: service}
	var rec Record
	for i := len(segs) - 1; i >= 0 && len(seen) < maxBoundary; i-- {
		f, err := os.Open(filepath.Join(folder, segs[i].name))
		if err != nil {
			return last, seen, fmt.Errorf("read log segment: %w", err)
		}
		st, err := f.Stat()
		back := newBackLines(f, st.Size())
		for err == nil {
			var line []byte
			var ok bool
			if line, _, ok, err = back.prev(); !ok || err != nil {
				break
			}
			if !d.decode(line, &rec) {
				continue
			}
			if last.IsZero() {
				last = rec.TS
			}
			if rec.TS.Before(last) {
				f.Close()
				return last, seen, nil
			}
			if rec.TS.Equal(last) {
				seen[recordHash(rec.Stream, rec.Msg)]++
			}
		}
		f.Close()
		if err != nil {
			return last, seen, fmt.Errorf("read log segment %s: %w", segs[i].name, err)
		}
		if !last.IsZero() && segs[i].start.Before(last) {
			break // older segments end at or before this one's start
		}
	}
	return last, seen, nil
}
