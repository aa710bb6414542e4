package status

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/state"
)

// A shim writing its state file is a change; with no PM2 daemon and no
// engine, the watch still runs on what it has.
func TestChangesSignalsAStateFileWrite(t *testing.T) {
	dir := state.Dir(t.TempDir())
	src := Sources{Profile: &profile.Profile{StateDir: dir, Namespace: "n"}, PM2Home: filepath.Join(string(dir), "no-pm2"),
		Now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := Changes(ctx, src, []string{"db"})
	select {
	case <-changes:
		t.Fatal("a change before anything changed")
	case <-time.After(3 * StatePoll):
	}
	if err := dir.Write(&state.File{Service: "db", Phase: state.Ready}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("no change signalled after the state file was written")
	}
	if err := dir.Write(&state.File{Service: "other", Phase: state.Ready}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
		t.Fatal("a change for a service not watched")
	case <-time.After(3 * StatePoll):
	}
}
