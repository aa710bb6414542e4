package logstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// rotate closes the active segment, if any, and creates the next one, named
// by ts. Names stay in order even if the engine's clock stepped back: a
// segment never gets a name before the newest one's. Errors closing the old
// segment are returned with a new segment in place; w.f is nil if none could
// be created.
func (w *Writer) rotate(ts time.Time) error {
	var err error
	if w.f != nil {
		if err = w.flushLocked(); w.f != nil {
			w.closeInBackground(w.f, w.seg.name)
			w.f = nil
		}
	}
	start, seq := ts.UTC(), 0
	if w.hasSeg && !start.After(w.seg.start) {
		start, seq = w.seg.start, w.seg.seq+1
	}
	for ; seq <= maxSeq; seq++ {
		name := segmentName(start, seq)
		f, cerr := w.create(filepath.Join(w.folder, name))
		if errors.Is(cerr, fs.ErrExist) {
			continue
		}
		if cerr != nil {
			return errors.Join(err, fmt.Errorf("create log segment %s/%s: %w", w.service, name, cerr))
		}
		w.seg, w.hasSeg = segRef{name: name, start: start, seq: seq}, true
		w.startSegment(f, 0)
		return err
	}
	return errors.Join(err, fmt.Errorf("create log segment: %d segments already start at %s",
		maxSeq, start.Format(time.RFC3339Nano)))
}

// closeInBackground syncs and closes a segment the writer has left, without
// holding up Append: an fsync of 64 MiB can take a while. Close waits for it;
// a failure is reported by a later call.
func (w *Writer) closeInBackground(f segmentFile, name string) {
	w.bg.Add(1)
	go func() {
		defer w.bg.Done()
		if err := errors.Join(f.Sync(), f.Close()); err != nil {
			w.bgMu.Lock()
			w.bgErr = errors.Join(w.bgErr, fmt.Errorf("close log segment %s/%s: %w", w.service, name, err))
			w.bgMu.Unlock()
		}
	}()
}

// takeErrors returns, once, what failed in the background since the last call.
func (w *Writer) takeErrors() error {
	err := w.pending
	w.pending = nil
	w.bgMu.Lock()
	err, w.bgErr = errors.Join(err, w.bgErr), nil
	w.bgMu.Unlock()
	return err
}

func (w *Writer) closeSegment() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err != nil {
		return fmt.Errorf("close log segment %s: %w", w.seg.name, err)
	}
	return nil
}

// Flush writes the buffered records to the active segment.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	return errors.Join(w.takeErrors(), w.flushLocked())
}

// Close flushes, syncs and closes the active segment. Closing twice is a no-op.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.timer.Stop()
	err := errors.Join(w.flushLocked(), w.closeSegment())
	w.bg.Wait()
	return errors.Join(w.takeErrors(), err)
}

func (w *Writer) flushTick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed = false
	if !w.closed {
		if err := w.flushLocked(); err != nil {
			w.pending = errors.Join(w.pending, err)
		}
	}
}

func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 || w.f == nil {
		return nil
	}
	n, err := w.f.Write(w.buf)
	if err != nil {
		return w.failWrite(n, err)
	}
	w.segDisk += int64(n)
	w.last = w.bufLast
	w.buf = w.buf[:0]
	if cap(w.buf) > 4*w.opts.BufferSize { // after a huge record
		w.buf = make([]byte, 0, w.opts.BufferSize+4096)
	}
	return nil
}

// failWrite abandons the active segment after a failed write of n bytes of
// the buffer. Records written whole stay; the rest are dropped (the shim's
// stdout still carries them). A segment left empty is removed, so a full
// disk does not fill the folder with empty files.
func (w *Writer) failWrite(n int, werr error) error {
	done := bytes.LastIndexByte(w.buf[:n], '\n') + 1
	if done > 0 {
		start := bytes.LastIndexByte(w.buf[:done-1], '\n') + 1
		if ts, ok := parseTSPrefix(w.buf[start : done-1]); ok {
			w.last = ts
		}
	}
	lost := bytes.Count(w.buf[done:], []byte{'\n'})
	w.buf = w.buf[:0]
	w.f.Close()
	w.f = nil
	if w.segDisk == 0 && n == 0 {
		os.Remove(filepath.Join(w.folder, w.seg.name))
	}
	return fmt.Errorf("write log segment %s/%s: %w (%d records not stored)", w.service, w.seg.name, werr, lost)
}
