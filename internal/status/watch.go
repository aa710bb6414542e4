package status

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"time"

	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/state"
)

// Watch intervals: how often state files are looked at, and how long a source
// that went away (no daemon, no engine) is left before it is tried again.
var (
	StatePoll  = 200 * time.Millisecond
	RetryAfter = time.Second
)

// Changes signals when the view of keys may have changed, from the same three
// sources Collect joins: a PM2 process event of one of the services (the
// daemon's event bus), an engine event of the project's containers, or a state
// file written by a shim. Signals coalesce (the channel holds one). A source
// that is not there — no daemon yet, the engine down — is tried again each
// RetryAfter, so a watch started before the stack picks it up. Uptimes move
// anyway: a watcher also redraws on its own clock.
func Changes(ctx context.Context, src Sources, keys []string) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go watchPM2(ctx, src, keys, signal)
	go watchEngine(ctx, src, signal)
	go watchStateFiles(ctx, src, keys, signal)
	return out
}

func watchPM2(ctx context.Context, src Sources, keys []string, signal func()) {
	for ctx.Err() == nil {
		events, err := rpc.Subscribe(ctx, src.PM2Home)
		if err == nil {
			signal() // a daemon came (back): the list may differ
			for ev := range events {
				if ev.Topic == "pm2:kill" {
					signal()
					continue
				}
				var pe rpc.ProcessEvent
				if ev.Topic != "process:event" || json.Unmarshal(ev.Data, &pe) != nil {
					continue // log lines, mostly
				}
				if pe.Process.Namespace == src.Profile.Namespace && slices.Contains(keys, pe.Process.Name) {
					signal()
				}
			}
			signal() // the daemon went away
		}
		sleep(ctx, RetryAfter)
	}
}

func watchEngine(ctx context.Context, src Sources, signal func()) {
	if src.Engine == nil {
		return // the caller reports the engine down; a watch does not reconnect it
	}
	f := client.Filters{}.Add("type", "container").Add("label", engine.LabelProject+"="+src.Profile.Project.Name)
	for ctx.Err() == nil {
		evs := src.Engine.Events(ctx, client.EventsListOptions{Filters: f})
	read:
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-evs.Messages:
				if !ok {
					break read
				}
				signal()
			case <-evs.Err:
				break read
			}
		}
		signal()
		sleep(ctx, RetryAfter)
	}
}

// watchStateFiles polls the state files: a shim replaces its file on every
// change (rename), so the modification time and size tell.
func watchStateFiles(ctx context.Context, src Sources, keys []string, signal func()) {
	type stamp struct {
		mod  time.Time
		size int64
	}
	look := func() []stamp {
		out := make([]stamp, len(keys))
		for i, k := range keys {
			if fi, err := os.Stat(state.Path(src.Profile.StateDir, k)); err == nil {
				out[i] = stamp{fi.ModTime(), fi.Size()}
			}
		}
		return out
	}
	last := look()
	t := time.NewTicker(StatePoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if now := look(); !slices.Equal(now, last) {
			last = now
			signal()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
