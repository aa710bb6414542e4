package changes

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
)

func expect(t *testing.T, l *Listener, want Kind, what string) {
	t.Helper()
	select {
	case <-l.C:
		if got := l.Take(); got&want == 0 {
			t.Fatalf("%s: signalled %b, want kind %b", what, got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no change signalled", what)
	}
}

func quiet(t *testing.T, l *Listener, what string) {
	t.Helper()
	select {
	case <-l.C:
		t.Fatalf("%s: signalled %b", what, l.Take())
	case <-time.After(3 * Poll):
	}
}

// A shim writing its state file is a change, whether the folder is there when
// the watch begins or only later (found by the poll, then watched); other
// files of the folder are not. With no
// PM2 daemon and no engine, the watch still runs on what it has.
func TestStateFileWritesAreSignalled(t *testing.T) {
	// Once the folder is watched, only a notification can signal in time.
	defer func(d time.Duration) { Fallback = d }(Fallback)
	Fallback = time.Hour
	for _, exists := range []bool{true, false} {
		root := t.TempDir()
		dir := state.Dir(filepath.Join(root, "state"))
		if exists {
			os.MkdirAll(string(dir), 0o755)
		}
		src := Sources{Profile: &profile.Profile{StateDir: dir, Namespace: "n"}, PM2Home: filepath.Join(root, "no-pm2")}
		ctx, cancel := context.WithCancel(context.Background())
		feed := Watch(ctx, src, []service.Key{"db"})
		l, other := feed.Listen(), feed.Listen()
		quiet(t, l, "before anything changed")
		if err := dir.Write(&state.File{Service: "db", Phase: state.Ready}); err != nil {
			t.Fatal(err)
		}
		expect(t, l, State, "db's state written")
		expect(t, other, State, "db's state written, second listener")
		if err := dir.Write(&state.File{Service: "other", Phase: state.Ready}); err != nil {
			t.Fatal(err)
		}
		quiet(t, l, "a service not watched")
		if err := dir.Write(&state.File{Service: "db", Phase: state.Stopped}); err != nil {
			t.Fatal(err)
		}
		expect(t, l, State, "db's state rewritten")
		cancel()
	}
}

// Kinds that arrive while a listener is busy come together in one signal.
func TestSignalsCoalesce(t *testing.T) {
	f := &Feed{}
	l := f.Listen()
	f.signal(PM2)
	f.signal(State)
	f.signal(State)
	<-l.C
	if got := l.Take(); got != PM2|State {
		t.Fatalf("Take = %b, want PM2|State", got)
	}
	select {
	case <-l.C:
		t.Fatal("a second signal for one burst")
	default:
	}
	if got := l.Take(); got != 0 {
		t.Fatalf("Take after Take = %b", got)
	}
}

// A state written as soon as Watch has returned is signalled: the folder is
// watched before Watch returns (it was watched by a goroutine that could come
// too late, and the write was then missed for good).
func TestAWriteRightAfterWatchIsSignalled(t *testing.T) {
	defer func(d time.Duration) { Fallback = d }(Fallback)
	Fallback = time.Hour
	for i := 0; i < 50; i++ {
		dir := state.Dir(t.TempDir())
		ctx, cancel := context.WithCancel(context.Background())
		feed := Watch(ctx, Sources{Profile: &profile.Profile{StateDir: dir, Namespace: "n"}}, []service.Key{"db"})
		l := feed.Listen()
		if err := dir.Write(&state.File{Service: "db", Phase: state.Ready}); err != nil {
			t.Fatal(err)
		}
		expect(t, l, State, fmt.Sprintf("run %d: a write right after Watch", i))
		cancel()
	}
}
