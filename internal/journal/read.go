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

// Iterator yields events in time order, skipping records that hold none
// (see logstore.FactIterator: Next, Err, Close).
type Iterator struct {
	*logstore.FactIterator[Event]
}

// Query reads the events of the journal at logsDir that fall in w. The first
// event of a window is found by seeking, as in the log store.
func Query(logsDir string, w Window) *Iterator {
	return &Iterator{store.Query(logsDir, w.options())}
}

// Follow is Query that keeps yielding new events until ctx ends.
func Follow(ctx context.Context, logsDir string, w Window) *Iterator {
	return &Iterator{store.Follow(ctx, logsDir, w.options())}
}

func (w Window) options() logstore.QueryOptions {
	return logstore.QueryOptions{Services: w.Services, Since: w.Since, Until: w.Until, Tail: w.Tail, PollInterval: w.Poll}
}

// Event is the current event.
func (i *Iterator) Event() Event { return i.Fact() }

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
