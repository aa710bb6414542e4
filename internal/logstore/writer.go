package logstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// WriterOptions tune a Writer. Zero fields take the defaults.
type WriterOptions struct {
	// SegmentSize: once the active segment holds this many bytes, the next
	// record starts a new one (so a segment exceeds it by at most one
	// record). Default 64 MiB (the profile's logs.segment_size).
	SegmentSize int64
	// BufferSize: records are written to the file in batches of about this
	// many bytes. Default 256 KiB.
	BufferSize int
	// FlushInterval: a buffered record reaches the file at most this long
	// after Append, so followers see it. Default 10 ms (a chatty container
	// fills the buffer first, so the interval costs a quiet one a write per
	// few lines and a fast one nothing); negative: only when the buffer fills
	// and on Flush and Close.
	FlushInterval time.Duration
}

func (o WriterOptions) withDefaults() WriterOptions {
	if o.SegmentSize <= 0 {
		o.SegmentSize = 64 << 20
	}
	if o.BufferSize <= 0 {
		o.BufferSize = 256 << 10
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = 10 * time.Millisecond
	}
	return o
}

// segmentFile is what the writer needs of a file; tests substitute a full disk.
type segmentFile interface {
	io.Writer
	Sync() error
	Close() error
}

func createSegmentFile(path string) (segmentFile, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
}

// Writer appends one service's records to its folder. Only the shim of that
// service may hold a Writer on it (PM2 runs one shim per service; there is no
// file lock). A Writer is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	folder  string
	service string
	opts    WriterOptions
	create  func(path string) (segmentFile, error)

	f       segmentFile // the active segment; nil: the next Append starts one
	seg     segRef      // newest segment in the folder, active or not
	hasSeg  bool
	dayEnd  time.Time // the UTC midnight after the active segment's start
	segSize int64     // bytes of the active segment, buffered ones included
	segDisk int64     // bytes of it written to the file
	buf     []byte
	bufLast time.Time

	last time.Time // timestamp of the last complete record on disk

	timer   *time.Timer
	armed   bool
	pending error // a timer flush's failure, reported by the next call
	closed  bool

	bg    sync.WaitGroup // segments being synced and closed
	bgMu  sync.Mutex
	bgErr error
}

// OpenWriter opens the store of one service under dir, creating
// <dir>/<service>/ (0755) if needed. It continues the newest segment when that
// ends with a complete record and has room; after a crash (a torn last line)
// it leaves that segment as it is and starts a new one with the next record.
// An empty newest segment (a crash between creating and writing it) is
// removed, and the next record starts a new segment: a follower may already
// have left the one before for the empty one.
func OpenWriter(dir, service string, opts WriterOptions) (*Writer, error) {
	if err := ValidService(service); err != nil {
		return nil, err
	}
	w := &Writer{
		folder: filepath.Join(dir, service), service: service,
		opts: opts.withDefaults(), create: createSegmentFile,
	}
	w.buf = make([]byte, 0, w.opts.BufferSize+4096)
	if err := os.MkdirAll(w.folder, 0o755); err != nil {
		return nil, fmt.Errorf("create log folder: %w", err)
	}
	segs, err := listSegments(w.folder)
	dropped := false
	if err == nil {
		segs, dropped, err = dropEmptyNewest(w.folder, segs)
	}
	if err == nil {
		w.last, err = lastTimestamp(w.folder, service, segs)
	}
	if err == nil && len(segs) > 0 {
		w.seg, w.hasSeg = segs[len(segs)-1], true
		if !dropped { // a follower may have moved past it to the empty one
			err = w.resume()
		}
	}
	if err != nil {
		return nil, err
	}
	w.timer = time.AfterFunc(time.Hour, w.flushTick)
	w.timer.Stop()
	return w, nil
}

func dropEmptyNewest(folder string, segs []segRef) ([]segRef, bool, error) {
	dropped := false
	for len(segs) > 0 {
		path := filepath.Join(folder, segs[len(segs)-1].name)
		st, err := os.Stat(path)
		if err != nil || st.Size() > 0 {
			return segs, dropped, ignoreNotExist(err)
		}
		if err := os.Remove(path); err != nil {
			return nil, dropped, fmt.Errorf("remove empty log segment: %w", err)
		}
		segs, dropped = segs[:len(segs)-1], true
	}
	return segs, dropped, nil
}

// resume reopens the newest segment for appending when it ends cleanly.
func (w *Writer) resume() error {
	path := filepath.Join(w.folder, w.seg.name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("open log segment: %w", err)
	}
	st, err := f.Stat()
	last := []byte{0}
	if err == nil && st.Size() > 0 {
		_, err = f.ReadAt(last, st.Size()-1)
	}
	if err != nil || last[0] != '\n' || st.Size() >= w.opts.SegmentSize {
		f.Close()
		return ignoreNotExist(err)
	}
	w.startSegment(f, st.Size())
	return nil
}

func (w *Writer) startSegment(f segmentFile, size int64) {
	y, m, d := w.seg.start.Date()
	w.f, w.dayEnd = f, time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	w.segSize, w.segDisk = size, size
}

// Append stores one record. A zero Level is set by Classify; an empty Service
// is the writer's. Records are buffered; see WriterOptions.FlushInterval.
//
// An error means records were not stored: this one (invalid, or no segment
// could be created), or earlier buffered ones whose write failed, for
// instance on a full disk (IsDiskFull). The writer then abandons the segment
// it was writing, and the next Append starts a new one, so a half-written
// line never precedes later records and writing resumes once space returns.
func (w *Writer) Append(rec Record) error {
	if err := w.prepare(&rec); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	err := w.takeErrors()
	if w.f == nil || w.segSize >= w.opts.SegmentSize || !rec.TS.Before(w.dayEnd) {
		err = errors.Join(err, w.rotate(rec.TS))
		if w.f == nil {
			return err
		}
	}
	n := len(w.buf)
	w.buf = append(appendRecord(w.buf, &rec), '\n')
	w.segSize += int64(len(w.buf) - n)
	w.bufLast = rec.TS
	if len(w.buf) >= w.opts.BufferSize {
		return errors.Join(err, w.flushLocked())
	}
	if w.opts.FlushInterval > 0 && !w.armed {
		w.armed = true
		w.timer.Reset(w.opts.FlushInterval)
	}
	return err
}

func (w *Writer) prepare(rec *Record) error {
	var why string
	switch y := rec.TS.UTC().Year(); {
	case rec.TS.IsZero():
		why = "no timestamp"
	case y < 0 || y > 9999:
		why = "timestamp out of range"
	case rec.Stream != StreamStdout && rec.Stream != StreamStderr:
		why = fmt.Sprintf("stream %q", rec.Stream)
	case rec.Service != "" && rec.Service != w.service:
		why = fmt.Sprintf("service %q in the store of %q", rec.Service, w.service)
	case rec.Level != 0 && !rec.Level.valid():
		why = rec.Level.String()
	case len(rec.Msg) > MaxMsgSize:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrRecordTooLarge, len(rec.Msg), MaxMsgSize)
	}
	if why != "" {
		return fmt.Errorf("%w: %s", ErrInvalidRecord, why)
	}
	rec.Service = w.service
	if rec.Level == 0 {
		rec.Level = Classify(rec.Stream, rec.Msg)
	}
	return nil
}

func ignoreNotExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
