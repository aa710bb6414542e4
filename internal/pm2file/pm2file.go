package pm2file

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pm2dock/pm2dock/internal/service"
)

// Name is the file's name in a service's log folder.
const Name = "pm2.NULL.log"

// Max is the size past which the file is cut to its last Max/2 bytes.
const Max = 1 << 20

// FlushEvery bounds how long a write waits in the buffer.
const FlushEvery = 200 * time.Millisecond

// bufSize is how much is buffered before a write goes to the file at once.
const bufSize = 64 << 10

// Path is the file of service key in the log store folder logsDir.
func Path(logsDir string, key service.Key) string { return filepath.Join(logsDir, string(key), Name) }

// File is the open window file of one service. Its methods are safe for
// concurrent use.
type File struct {
	path string
	max  int64

	mu      sync.Mutex
	f       *os.File
	buf     []byte
	retryAt time.Time // after a failure, the next open or write waits until then
	checkAt time.Time // when to look again whether path is still the open file
	closed  bool
	stop    chan struct{}
	done    chan struct{}
}

// Open starts the window file at path (its folder is created), cut at max
// bytes; max 0 means Max. A file that cannot be opened now is tried again
// on later writes.
func Open(path string, max int64) *File {
	if max <= 0 {
		max = Max
	}
	w := &File{path: path, max: max, stop: make(chan struct{}), done: make(chan struct{})}
	w.mu.Lock()
	w.open(time.Now())
	w.mu.Unlock()
	go w.flusher()
	return w
}

// Tee returns a writer that writes to out and then into the file. What out
// says is what the caller sees; the file never fails a write.
func (w *File) Tee(out io.Writer) io.Writer { return tee{out, w} }

type tee struct {
	out io.Writer
	w   *File
}

func (t tee) Write(p []byte) (int, error) {
	n, err := t.out.Write(p)
	t.w.write(p)
	return n, err
}

func (w *File) write(p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed { // a late line (a goroutine winding down): the stream has it
		return
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= bufSize {
		w.flushAll(time.Now())
	}
}

func (w *File) flusher() {
	defer close(w.done)
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			w.mu.Lock()
			w.flushAll(now)
			w.mu.Unlock()
		}
	}
}

// Close writes what is buffered and closes the file; later writes reach the
// stream only. Closing twice is harmless.
func (w *File) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushAll(time.Now())
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// open (re)opens the file for appending (and reading, to cut it); called
// with mu held.
func (w *File) open(now time.Time) bool {
	if w.f != nil {
		return true
	}
	if now.Before(w.retryAt) {
		return false
	}
	if err := os.MkdirAll(filepath.Dir(w.path), 0o755); err == nil {
		if f, err := os.OpenFile(w.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
			w.f = f
			return true
		}
	}
	w.retryAt = now.Add(time.Second)
	return false
}

// flushAll is flush after making sure the open file is still the one at
// path (looked at every few seconds): a log folder removed or replaced under
// the shim must not leave it writing to a file nobody can see.
func (w *File) flushAll(now time.Time) {
	if w.f != nil && !now.Before(w.checkAt) {
		w.checkAt = now.Add(5 * time.Second)
		fi, err1 := os.Stat(w.path)
		ofi, err2 := w.f.Stat()
		if err1 != nil || err2 != nil || !os.SameFile(fi, ofi) {
			w.f.Close()
			w.f = nil
		}
	}
	w.flush(now)
}

// flush writes the buffer, then cuts the file when it passed max; called
// with mu held. What cannot be written is dropped (the store has it).
func (w *File) flush(now time.Time) {
	if len(w.buf) == 0 {
		return
	}
	defer func() {
		if cap(w.buf) > 4*bufSize {
			w.buf = nil // a burst must not pin its buffer
		} else {
			w.buf = w.buf[:0]
		}
	}()
	if !w.open(now) {
		return
	}
	if _, err := w.f.Write(w.buf); err != nil {
		w.fail(now)
		return
	}
	if fi, err := w.f.Stat(); err == nil && fi.Size() > w.max {
		w.cut(now, fi.Size())
	}
}

func (w *File) fail(now time.Time) {
	w.f.Close()
	w.f, w.retryAt = nil, now.Add(time.Second)
}

// cut keeps the last max/2 bytes from a line start: written to a temporary
// file renamed over the window, so a reader sees the old or the new file,
// never a half. The shim is the only writer, so nothing is lost in between.
func (w *File) cut(now time.Time, size int64) {
	keep := w.max / 2
	tail := make([]byte, keep)
	n, err := w.f.ReadAt(tail, size-keep) // pread: the append offset stays
	if err != nil && err != io.EOF {
		return
	}
	tail = tail[:n]
	if i := bytes.IndexByte(tail, '\n'); i >= 0 {
		tail = tail[i+1:]
	}
	tmp := filepath.Join(filepath.Dir(w.path), "."+Name+".tmp")
	err = os.WriteFile(tmp, tail, 0o644)
	if err == nil {
		err = os.Rename(tmp, w.path)
	}
	if err != nil {
		// No room for the copy (a full or read-only folder): the bound
		// comes first, so the window starts again empty.
		os.Remove(tmp)
		if w.f.Truncate(0) != nil {
			w.fail(now)
		}
		return
	}
	w.f.Close()
	w.f = nil
	w.open(now)
}
