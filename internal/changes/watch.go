package changes

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
)

// Intervals: a source that went away (no daemon, no engine, no state
// folder yet) is tried again each RetryAfter; the state files are also
// looked at each Fallback while notifications work (a bound on a missed
// one), and each Poll while they do not (the folder cannot be watched).
var (
	RetryAfter = time.Second
	Fallback   = time.Second
	Poll       = 200 * time.Millisecond
)

func watchPM2(ctx context.Context, src Sources, keys []service.Key, signal func(Kind)) {
	for first := true; ctx.Err() == nil; first = false {
		events, err := rpc.Subscribe(ctx, src.PM2Home)
		if err == nil {
			if !first {
				signal(PM2) // a daemon came back: the list may differ
			}
			for ev := range events { // always read on: the daemon buffers what is not
				if ev.Topic == "pm2:kill" {
					signal(PM2)
					continue
				}
				if ev.Topic != "process:event" {
					continue // log lines, mostly
				}
				var pe rpc.ProcessEvent
				json.Unmarshal(ev.Data, &pe) // a field of another type spoils only that field
				if pe.Process.Name != "" && pe.Process.Namespace == src.Profile.Namespace && slices.Contains(keys, service.Key(pe.Process.Name)) {
					signal(PM2)
				}
			}
			signal(PM2) // the daemon went away
		}
		sleep(ctx, RetryAfter)
	}
}

// engineActions are the container events that can change what status shows;
// the engine sends only those (health_status matches each "health_status: …").
// exec_* events are left out above all: every healthcheck probe makes three,
// ten services probed each 500 ms are sixty a second, and decoding them was
// half of a watch's CPU.
var engineActions = []string{"create", "start", "restart", "die", "kill", "stop", "pause", "unpause", "oom", "destroy", "remove", "rename", "update", "health_status"} // remove: Podman's destroy

// watchEngine signals on the engine's events for the containers of keys'
// compose services (engineActions; an engine that ignores the filter still has
// its exec_* events skipped here: a health change has its own event).
func watchEngine(ctx context.Context, src Sources, keys []service.Key, signal func(Kind)) {
	services := map[string]bool{}
	for _, k := range keys {
		if svc, err := src.Profile.Service(k); err == nil {
			services[svc.Compose] = true
		}
	}
	f := client.Filters{}.Add("type", "container").Add("label", engine.LabelProject+"="+src.Profile.Project.Name).Add("event", engineActions...)
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
					signal(Engine)
				}
			case <-evs.Err:
				break read
			}
		}
		signal(Engine)
		sleep(ctx, RetryAfter)
	}
}

// stateWatch signals when one of keys' state files is replaced. A shim
// replaces its file on every change (a rename into the folder), which the
// folder's notifications report at once; the files' identity, modification
// time and size are also compared each Fallback (each Poll while the folder
// cannot be watched: not there yet, or no notifications on this file system).
type stateWatch struct {
	dir      state.Dir
	keys     []service.Key
	names    map[string]bool // the state files' base names
	w        *fsnotify.Watcher
	watching bool
	last     []os.FileInfo
}

// watchStateFiles watches the folder and takes its first look before it
// returns, so a state written once Watch has returned is never missed; the
// watch then runs until ctx ends.
func watchStateFiles(ctx context.Context, dir state.Dir, keys []service.Key, signal func(Kind)) {
	sw := &stateWatch{dir: dir, keys: keys, names: map[string]bool{}}
	for _, k := range keys {
		sw.names[filepath.Base(dir.State(k))] = true
	}
	if w, err := fsnotify.NewWatcher(); err == nil {
		sw.w = w
	} // else no notifications here: poll
	sw.watch()
	sw.last = sw.look()
	go sw.run(ctx, signal)
}

func (sw *stateWatch) watch() {
	if sw.w != nil && !sw.watching && sw.w.Add(string(sw.dir)) == nil {
		sw.watching = true
	}
}

func (sw *stateWatch) look() []os.FileInfo {
	out := make([]os.FileInfo, len(sw.keys))
	for i, k := range sw.keys {
		out[i], _ = os.Stat(sw.dir.State(k))
	}
	return out
}

// changed looks again and reports whether any file differs from the last look.
func (sw *stateWatch) changed() bool {
	same := func(a, b os.FileInfo) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
	}
	now := sw.look()
	differs := !slices.EqualFunc(now, sw.last, same)
	sw.last = now
	return differs
}

func (sw *stateWatch) interval() time.Duration {
	if sw.watching {
		return Fallback
	}
	return Poll
}

func (sw *stateWatch) run(ctx context.Context, signal func(Kind)) {
	var events <-chan fsnotify.Event
	var errs <-chan error
	if sw.w != nil {
		defer sw.w.Close()
		events, errs = sw.w.Events, sw.w.Errors
	}
	t := time.NewTimer(sw.interval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if ev.Name == string(sw.dir) && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				sw.watching = false // the folder went: watch it again once it is back
				sw.w.Remove(string(sw.dir))
				continue
			}
			if !sw.names[filepath.Base(ev.Name)] || !ev.Has(fsnotify.Create|fsnotify.Write|fsnotify.Rename|fsnotify.Remove) {
				continue // another service's file, or a temporary being written
			}
			sw.last = sw.look()
			signal(State)
		case <-errs: // notifications overflowed: look now
			if sw.changed() {
				signal(State)
			}
		case <-t.C:
			sw.watch()
			if sw.changed() {
				signal(State)
			}
			t.Reset(sw.interval())
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
