package status

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
)

// Watch intervals: how often state files are looked at, and how long a source
// that went away (no daemon, no engine) is left before it is tried again.
var (
	StatePoll  = 200 * time.Millisecond
	RetryAfter = time.Second
)

// Changes signals when the view of keys may have changed, from the same three
// sources Collect joins: a PM2 process event of one of the services (the
// daemon's event bus), an engine event of one of their containers, or a state
// file written by a shim. Signals coalesce (the channel holds one). A PM2
// daemon that is not there (yet, or any more) is looked for each RetryAfter,
// so a watch started before the stack picks it up; the engine is watched as
// src has it (nil: not at all — the caller reconnects and calls again).
// Uptimes move anyway: a watcher also redraws on its own clock.
func Changes(ctx context.Context, src Sources, keys []string) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go watchPM2(ctx, src, keys, signal)
	go watchEngine(ctx, src, keys, signal)
	go watchStateFiles(ctx, src, keys, signal)
	return out
}

func watchPM2(ctx context.Context, src Sources, keys []string, signal func()) {
	for first := true; ctx.Err() == nil; first = false {
		events, err := rpc.Subscribe(ctx, src.PM2Home)
		if err == nil {
			if !first {
				signal() // a daemon came back: the list may differ
			}
			for ev := range events { // always read on: the daemon buffers what is not
				if ev.Topic == "pm2:kill" {
					signal()
					continue
				}
				if ev.Topic != "process:event" {
					continue // log lines, mostly
				}
				var pe rpc.ProcessEvent
				json.Unmarshal(ev.Data, &pe) // a field of another type spoils only that field
				if pe.Process.Name != "" && pe.Process.Namespace == src.Profile.Namespace && slices.Contains(keys, pe.Process.Name) {
					signal()
				}
			}
			signal() // the daemon went away
		}
		sleep(ctx, RetryAfter)
	}
}

// watchEngine signals on the engine's events for the containers of keys'
// compose services. exec_* events are left out: every healthcheck probe makes
// three, and redrawing on them would redraw several times a second for
// nothing (a health change has its own health_status event).
func watchEngine(ctx context.Context, src Sources, keys []string, signal func()) {
	if src.Engine == nil {
		return
	}
	services := map[string]bool{}
	for _, k := range keys {
		if svc, err := src.Profile.Service(k); err == nil {
			services[svc.Compose] = true
		}
	}
	f := client.Filters{}.Add("type", "container").Add("label", engine.LabelProject+"="+src.Profile.Project.Name)
	for ctx.Err() == nil {
		evs := src.Engine.Events(ctx, client.EventsListOptions{Filters: f})
	read:
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-evs.Messages:
				if !ok {
					break read
				}
				if !strings.HasPrefix(string(ev.Action), "exec_") && services[ev.Actor.Attributes[engine.LabelService]] {
					signal()
				}
			case <-evs.Err:
				break read
			}
		}
		signal()
		sleep(ctx, RetryAfter)
	}
}

// watchStateFiles polls the state files: a shim replaces its file on every
// change (a rename: a new file), so the file's identity, modification time
// and size tell.
func watchStateFiles(ctx context.Context, src Sources, keys []string, signal func()) {
	look := func() []os.FileInfo {
		out := make([]os.FileInfo, len(keys))
		for i, k := range keys {
			out[i], _ = os.Stat(src.Profile.StateDir.State(k))
		}
		return out
	}
	same := func(a, b os.FileInfo) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
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
		now := look()
		if !slices.EqualFunc(now, last, same) {
			signal()
		}
		last = now
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
