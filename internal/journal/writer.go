package journal

import (
	"fmt"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

// SegmentSize is the journal's segment size: a day of events of a busy
// service is a few hundred KiB, so segments close by day, and retention by
// age removes whole days.
const SegmentSize = 4 << 20

// Writer appends one service's events. A journal that cannot be written (a
// read-only or full logs.dir) never stops supervision: Record reports the
// error once, keeps trying on later events, and reports the recovery (see
// logstore.Series). Safe for concurrent use; a nil *Writer records nothing.
type Writer struct {
	s *logstore.Series
}

// NewWriter is the journal writer of service in the log store at logsDir;
// report is told each new failure and, with nil, the recovery.
func NewWriter(logsDir, service string, report func(error)) *Writer {
	return &Writer{s: store.Series(logsDir, service, report)}
}

// Record stores e (its Service is the writer's) and makes it visible to
// readers at once: events are rare, and `pm2dock events` right after a
// transition must show it. An event of no known kind is reported, not stored.
func (j *Writer) Record(e Event) {
	if j == nil {
		return
	}
	rec, err := e.record()
	if err != nil {
		if j.s.Report != nil {
			j.s.Report(fmt.Errorf("%s: %w", store.Name, err))
		}
		return
	}
	j.s.Append(rec)
}

// Prune applies retention to the service's journal (see logstore.Prune).
func (j *Writer) Prune(policy logstore.Policy, now time.Time) error {
	return j.series().Prune(policy, now)
}

// Close flushes and closes the journal.
func (j *Writer) Close() error { return j.series().Close() }

// series is j's series: nil, which stores nothing, for a nil j.
func (j *Writer) series() *logstore.Series {
	if j == nil {
		return nil
	}
	return j.s
}
