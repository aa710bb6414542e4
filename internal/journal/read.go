package journal

import (
	"context"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

// Window selects events: services (empty: every service with a journal),
// merged by time, in [Since, Until) (zero: unbounded); Tail > 0 keeps the
// last Tail of them.
type Window struct {
	Services     []string
	Since, Until time.Time
	Tail         int
	Poll         time.Duration // Follow: how often to look for new events (0: the log store's 200 ms)
}

// Iterator yields events in time order; see logstore.Iterator.
type Iterator struct {
	it  logstore.Iterator
	cur Event
}

// Query reads the events of the journal at logsDir that fall in w. The first
// event of a window is found by seeking, as in the log store.
func Query(logsDir string, w Window) *Iterator {
	return &Iterator{it: logstore.Query(Dir(logsDir), w.options())}
}

// Follow is Query that keeps yielding new events until ctx ends.
func Follow(ctx context.Context, logsDir string, w Window) *Iterator {
	return &Iterator{it: logstore.Follow(ctx, Dir(logsDir), w.options())}
}

func (w Window) options() logstore.QueryOptions {
	return logstore.QueryOptions{Services: w.Services, Since: w.Since, Until: w.Until, Tail: w.Tail, PollInterval: w.Poll}
}

// Next advances to the next event, skipping records that hold none.
func (i *Iterator) Next() bool {
	for i.it.Next() {
		if e, ok := fromRecord(i.it.Record()); ok {
			i.cur = e
			return true
		}
	}
	return false
}

// Event is the current event.
func (i *Iterator) Event() Event { return i.cur }

// Err is the error that ended the iteration, if any.
func (i *Iterator) Err() error { return i.it.Err() }

// Close releases the open files.
func (i *Iterator) Close() error { return i.it.Close() }

// Last returns the last n events of the services, oldest first.
func Last(logsDir string, services []string, n int) ([]Event, error) {
	it := Query(logsDir, Window{Services: services, Tail: n})
	defer it.Close()
	var out []Event
	for it.Next() {
		out = append(out, it.Event())
	}
	return out, it.Err()
}
