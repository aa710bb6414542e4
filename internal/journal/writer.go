package journal

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

// SegmentSize is the journal's segment size: a day of events of a busy
// service is a few hundred KiB, so segments close by day, and retention by
// age removes whole days.
const SegmentSize = 4 << 20

// Writer appends one service's events. A journal that cannot be written (a
// read-only or full logs.dir) never stops supervision: Record reports the
// error once, keeps trying on later events, and reports the recovery. Safe
// for concurrent use; the zero of a nil *Writer records nothing.
type Writer struct {
	Dir, Service string
	Report       func(error) // told each new failure and, with nil, the recovery

	mu     sync.Mutex
	w      *logstore.Writer
	failed bool
}

// Record stores e (its Service is the writer's) and makes it visible to
// readers at once: events are rare, and `pm2dock events` right after a
// transition must show it.
func (j *Writer) Record(e Event) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	e.Service = j.Service
	err := j.append(e)
	switch {
	case err != nil && !j.failed:
		j.failed = true
		j.report(fmt.Errorf("event journal: %w", err))
	case err == nil && j.failed:
		j.failed = false
		j.report(nil)
	}
}

func (j *Writer) append(e Event) error {
	rec, err := e.record()
	if err != nil {
		return err
	}
	if j.w == nil {
		if j.w, err = logstore.OpenWriter(Dir(j.Dir), j.Service,
			logstore.WriterOptions{SegmentSize: SegmentSize, FlushInterval: -1}); err != nil {
			return err
		}
	}
	err = j.w.Append(rec) // may report an earlier segment's close, with this record buffered
	return errors.Join(err, j.w.Flush())
}

func (j *Writer) report(err error) {
	if j.Report != nil {
		j.Report(err)
	}
}

// Prune applies retention to the service's journal (see logstore.Prune).
func (j *Writer) Prune(policy logstore.Policy, now time.Time) error {
	if j == nil {
		return nil
	}
	_, _, err := logstore.Prune(Dir(j.Dir), j.Service, policy, now, false)
	return err
}

// Close flushes and closes the journal.
func (j *Writer) Close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.w == nil {
		return nil
	}
	err := j.w.Close()
	j.w = nil
	return err
}
