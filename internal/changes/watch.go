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

func watchPM2(ctx context.Context, src Sources, keys []string, signal func(Kind)) {
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
				if pe.Process.Name != "" && pe.Process.Namespace == src.Profile.Namespace && slices.Contains(keys, pe.Process.Name) {
					signal(PM2)
				}
			}
			signal(PM2) // the daemon went away
		}
		sleep(ctx, RetryAfter)
	}
}

// watchEngine signals on the engine's events for the containers of keys'
// compose services. exec_* events are left out: every healthcheck probe makes
// three, and redrawing on them would redraw several times a second for
// nothing (a health change has its own health_status event).
func watchEngine(ctx context.Context, src Sources, keys []string, signal func(Kind)) {
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

// watchStateFiles signals when one of keys' state files is replaced. A shim
// replaces its file on every change (a rename into the folder), which the
// folder's notifications report at once; the files' identity, modification
// time and size are also compared each Fallback (each Poll while the folder
// cannot be watched: not there yet, or no notifications on this file system).
func watchStateFiles(ctx context.Context, dir state.Dir, keys []string, signal func(Kind)) {
	names := map[string]bool{}
	for _, k := range keys {
		names[filepath.Base(dir.State(k))] = true
	}
	look := func() []os.FileInfo {
		out := make([]os.FileInfo, len(keys))
		for i, k := range keys {
			out[i], _ = os.Stat(dir.State(k))
		}
		return out
	}
	same := func(a, b os.FileInfo) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		w = nil // no notifications here: poll
	} else {
		defer w.Close()
	}
	watching := false
	var events <-chan fsnotify.Event
	var errs <-chan error
	watch := func() {
		if w != nil && !watching && w.Add(string(dir)) == nil {
			watching, events, errs = true, w.Events, w.Errors
		}
	}
	watch()
	last := look()
	interval := func() time.Duration {
		if watching {
			return Fallback
		}
		return Poll
	}
	t := time.NewTimer(interval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if ev.Name == string(dir) && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				watching = false // the folder went: watch it again once it is back
				w.Remove(string(dir))
				continue
			}
			if !names[filepath.Base(ev.Name)] || !ev.Has(fsnotify.Create|fsnotify.Write|fsnotify.Rename|fsnotify.Remove) {
				continue // another service's file, or a temporary being written
			}
			last = look()
			signal(State)
		case <-errs: // notifications overflowed: look now
			if now := look(); !slices.EqualFunc(now, last, same) {
				last = now
				signal(State)
			}
		case <-t.C:
			watch()
			if now := look(); !slices.EqualFunc(now, last, same) {
				last = now
				signal(State)
			}
			t.Reset(interval())
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
