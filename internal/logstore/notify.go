package logstore

import (
	"path/filepath"
	"runtime"
	"slices"

	"github.com/fsnotify/fsnotify"
)

// notifier wakes a follower as soon as a writer flushes instead of at its
// next poll: `logs --follow` delivers a line within milliseconds of the
// shim storing it. It watches each followed service's folder (new segments,
// and on Linux writes to files in it; where the kernel reports no writes
// inside a watched folder, kqueue, the open segment files too) and the store
// itself when new service folders are followed. Without notifications (no
// watcher, a folder not created yet) the poll interval is the bound.
type notifier struct {
	w       *fsnotify.Watcher
	watched map[string]bool
	files   bool            // watch the open segments too
	segs    map[string]bool // the open segments watched
}

func newNotifier() *notifier {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil
	}
	go func() { // errors (a queue overflow) only cost a wake-up: the poll covers them
		for range w.Errors {
		}
	}()
	return &notifier{w: w, watched: map[string]bool{}, segs: map[string]bool{}, files: runtime.GOOS != "linux"}
}

// watch adds the paths not watched yet; one that does not exist (yet) is
// tried again on the next call.
func (n *notifier) watch(paths ...string) {
	for _, p := range paths {
		if p != "" && !n.watched[p] && n.w.Add(p) == nil {
			n.watched[p] = true
		}
	}
}

// sources watches the folders of srcs (and their open segments, see files).
func (n *notifier) sources(dir string, scan bool, srcs []*source) {
	if scan {
		n.watch(dir)
	}
	var open []string
	for _, s := range srcs {
		n.watch(s.folder)
		if n.files && s.cur != "" && !s.done {
			open = append(open, filepath.Join(s.folder, s.cur))
		}
	}
	for p := range n.segs { // segments left behind (rotation, a new shim)
		if !slices.Contains(open, p) {
			n.w.Remove(p)
			delete(n.segs, p)
			delete(n.watched, p)
		}
	}
	for _, p := range open {
		n.watch(p)
		n.segs[p] = n.watched[p]
	}
}

// events is where a change arrives; nil (never ready) without a watcher.
func (n *notifier) events() <-chan fsnotify.Event {
	if n == nil {
		return nil
	}
	return n.w.Events
}

func (n *notifier) close() {
	if n != nil {
		n.w.Close()
	}
}
