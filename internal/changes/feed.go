// Package changes tells when what pm2dock shows of a profile's services may
// have changed, from the three places that view is joined from: PM2's event
// bus (a process event of one of the services' apps, the daemon going or
// coming), the engine's events for the services' containers, and the shims'
// state files (file-system notifications on the state folder, with a bounded
// poll behind them). It is the one source of changes: `status --watch` redraws
// on it, and `start`, `restart` and their waits read the state file again on
// it instead of polling.
//
// A signal says only that something may have changed and where (Kind); the
// reader looks itself. Signals coalesce: a listener that is slow to look sees
// one signal carrying every kind that arrived meanwhile.
package changes

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
)

// Kind says where a change came from; kinds combine as bits.
type Kind uint32

// The kinds.
const (
	PM2    Kind = 1 << iota // PM2's event bus: an app's process event, or the daemon came or went
	Engine                  // an engine event of a service's container, or the engine came or went
	State                   // a shim wrote its state file (or the poll saw it differ)
)

// Sources are what is watched.
type Sources struct {
	Profile *profile.Profile
	PM2Home string         // "": PM2 is not watched
	Engine  *engine.Engine // nil: the engine is not watched
}

// Feed broadcasts the changes of one watch to its listeners.
type Feed struct {
	mu        sync.Mutex
	listeners []*Listener
}

// Listener receives a feed's signals: a value on C means Take has kinds.
type Listener struct {
	C       <-chan struct{}
	c       chan struct{}
	pending atomic.Uint32
}

// Take returns the kinds signalled since the last Take, and clears them.
func (l *Listener) Take() Kind { return Kind(l.pending.Swap(0)) }

// Watch watches keys of src until ctx ends.
func Watch(ctx context.Context, src Sources, keys []service.Key) *Feed {
	f := &Feed{}
	if src.PM2Home != "" {
		go watchPM2(ctx, src, keys, f.signal)
	}
	if src.Engine != nil {
		go watchEngine(ctx, src, keys, f.signal)
	}
	watchStateFiles(ctx, src.Profile.StateDir, keys, f.signal) // set up before Watch returns
	return f
}

// Listen adds a listener; it hears every change from now on.
func (f *Feed) Listen() *Listener {
	c := make(chan struct{}, 1)
	l := &Listener{C: c, c: c}
	f.mu.Lock()
	f.listeners = append(f.listeners, l)
	f.mu.Unlock()
	return l
}

func (f *Feed) signal(k Kind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.listeners {
		l.pending.Or(uint32(k))
		select {
		case l.c <- struct{}{}:
		default: // one is waiting already: it carries this kind too
		}
	}
}
