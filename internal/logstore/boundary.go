package logstore

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LastTimestamp is the timestamp of the last complete record on disk: when
// the writer opened, the newest record a previous shim stored (zero for an
// empty store); later, the last one this writer wrote. On restart the shim
// asks the engine to replay from a little before then and drops what the store
// already holds (see the shim's Store: stdout and stderr are stamped apart).
func (w *Writer) LastTimestamp() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// lastTimestamp reads the store's records backwards to the newest complete
// one and returns its timestamp (zero for an empty store).
func lastTimestamp(folder, service string, segs []segRef) (time.Time, error) {
	var last time.Time
	d := decoder{service: service}
	var rec Record
	for i := len(segs) - 1; i >= 0; i-- {
		f, err := os.Open(filepath.Join(folder, segs[i].name))
		if err != nil {
			return last, fmt.Errorf("read log segment: %w", err)
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
			f.Close()
			return rec.TS, nil
		}
		f.Close()
		if err != nil {
			return last, fmt.Errorf("read log segment %s: %w", segs[i].name, err)
		}
	}
	return last, nil
}
