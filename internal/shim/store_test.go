package shim

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

// A shim killed after storing a stdout line but before a slightly older stderr
// line: the next shim's replay must store the stderr line and drop the rest.
func TestStoreResumeKeepsTheOlderLineOfTheOtherStream(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	first := &Store{Dir: dir, Service: "app"}
	if err := first.Open(); err != nil {
		t.Fatal(err)
	}
	first.Line(t0, "stdout", []byte("a"))
	first.Line(t0.Add(2*time.Millisecond), "stdout", []byte("c"))
	first.Close() // "b" on stderr at t0+1ms never reached this shim

	next := &Store{Dir: dir, Service: "app"}
	if err := next.Open(); err != nil {
		t.Fatal(err)
	}
	if since := next.Since(); !since.Before(t0) {
		t.Fatalf("Since = %v, want before the stored lines", since)
	}
	replay := []struct {
		ts     time.Time
		stream string
		msg    string
		dup    bool
	}{
		{t0, "stdout", "a", true},
		{t0, "stdout", "a", false}, // a second "a" at the same nanosecond was never stored
		{t0.Add(time.Millisecond), "stderr", "b", false},
		{t0.Add(2 * time.Millisecond), "stdout", "c", true},
		{t0.Add(3 * time.Millisecond), "stdout", "d", false},
	}
	for _, r := range replay {
		if dup := next.Line(r.ts, r.stream, []byte(r.msg)); dup != r.dup {
			t.Errorf("Line(%s) dup = %v, want %v", r.msg, dup, r.dup)
		}
	}
	next.Close()
	if got := storedMsgs(t, dir); got != "acabd" {
		t.Fatalf("stored %q, want a, c, then the missed b and second a, then d", got)
	}
}

// The engine delivered a stderr line before an older stdout line (the streams
// are stamped apart), and the shim was killed after both: the last record
// stored is not the newest, and the replay of the newer one is no new line
// (found under load in CI: nine stderr lines stored twice after a kill -9).
func TestStoreResumeRecognisesALaterLineStoredBeforeTheLast(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	first := &Store{Dir: dir, Service: "app"}
	if err := first.Open(); err != nil {
		t.Fatal(err)
	}
	first.Line(t0, "stdout", []byte("a"))
	first.Line(t0.Add(3*time.Millisecond), "stderr", []byte("b"))
	first.Line(t0.Add(2*time.Millisecond), "stdout", []byte("c")) // delivered after b, stamped before it
	first.Close()

	next := &Store{Dir: dir, Service: "app"}
	if err := next.Open(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		ts     time.Time
		stream string
		msg    string
		dup    bool
	}{
		{t0, "stdout", "a", true},
		{t0.Add(2 * time.Millisecond), "stdout", "c", true},
		{t0.Add(3 * time.Millisecond), "stderr", "b", true},
		{t0.Add(4 * time.Millisecond), "stdout", "d", false},
	} {
		if dup := next.Line(r.ts, r.stream, []byte(r.msg)); dup != r.dup {
			t.Errorf("Line(%s) dup = %v, want %v", r.msg, dup, r.dup)
		}
	}
	next.Close()
	if got := storedMsgs(t, dir); got != "abcd" {
		t.Fatalf("stored %q, want a, b, c once each, then d", got)
	}
}

// A store that cannot open when the shim starts makes the engine replay the
// whole run; once it opens, what it already held is not stored again.
func TestStoreOpenedLateDropsTheBlindReplayOfStoredLines(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	first := &Store{Dir: dir, Service: "app"}
	if err := first.Open(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ { // one line a second
		first.Line(t0.Add(time.Duration(i)*time.Second), "stdout", []byte{byte('a' + i)})
	}
	first.Close()

	svcDir := filepath.Join(dir, "app")
	if err := os.Rename(svcDir, svcDir+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(svcDir, nil, 0o644); err != nil { // the store cannot open
		t.Fatal(err)
	}
	next := &Store{Dir: dir, Service: "app"}
	if next.Open() == nil {
		t.Fatal("Open succeeded on a file")
	}
	if since := next.Since(); !since.IsZero() {
		t.Fatalf("Since = %v without a readable store, want zero (replay the whole run)", since)
	}
	os.Remove(svcDir)
	if err := os.Rename(svcDir+".away", svcDir); err != nil {
		t.Fatal(err)
	}
	if err := next.Open(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ { // the replay of the run
		if dup := next.Line(t0.Add(time.Duration(i)*time.Second), "stdout", []byte{byte('a' + i)}); !dup {
			t.Errorf("replayed line %c stored again", 'a'+i)
		}
	}
	if dup := next.Line(t0.Add(10*time.Second), "stdout", []byte("k")); dup {
		t.Error("a new line counted as stored")
	}
	next.Line(t0.Add(12*time.Second), "stdout", []byte("l"))
	// Past the window the floor is gone: a clock stepped back loses nothing.
	if dup := next.Line(t0.Add(time.Second), "stdout", []byte("m")); dup {
		t.Error("a line after a clock step back counted as stored")
	}
	next.Close()
	if got := storedMsgs(t, dir); got != "abcdefghijklm" {
		t.Fatalf("stored %q, want every line once", got)
	}
}

// storedMsgs is every stored message of service "app", concatenated in order.
func storedMsgs(t *testing.T, dir string) string {
	t.Helper()
	it := logstore.Query(dir, logstore.QueryOptions{Services: []string{"app"}})
	defer it.Close()
	var got string
	for it.Next() {
		got += string(it.Record().Msg)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}
