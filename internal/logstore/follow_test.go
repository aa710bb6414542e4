package logstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// follow collects n records from Follow, failing after a timeout.
func follow(t *testing.T, dir string, q QueryOptions, n int, during func()) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q.PollInterval = 5 * time.Millisecond
	it := Follow(ctx, dir, q)
	defer it.Close()
	done := make(chan struct{})
	go func() { defer close(done); during() }()
	var got []string
	for len(got) < n && it.Next() {
		got = append(got, string(it.Record().Msg))
	}
	if len(got) < n {
		t.Fatalf("follow stopped after %d of %d records: %v", len(got), n, it.Err())
	}
	<-done
	return got
}

func seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprint(prefix, i))
	}
	return out
}

func TestFollowAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	got := follow(t, dir, QueryOptions{Services: []string{"db"}}, 400, func() {
		w, _ := OpenWriter(dir, "db", WriterOptions{SegmentSize: 2000, FlushInterval: time.Millisecond})
		defer w.Close()
		for i := range 400 {
			w.Append(mkrec(t0.Add(time.Duration(i)*time.Millisecond), "stdout", fmt.Sprint("r", i)))
			if i%50 == 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
	if want := seq("r", 0, 400); !equalStrings(got, want) {
		t.Fatalf("got %v", got)
	}
	if n := len(segmentNames(t, dir, "db")); n < 10 {
		t.Fatalf("only %d segments: rotation not exercised", n)
	}
}

func TestFollowAcrossANewShimAfterACrash(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	for i := range 5 {
		mustAppend(t, w, mkrec(t0.Add(time.Duration(i)*time.Second), "stdout", fmt.Sprint("r", i)))
	}
	w.Flush()
	got := follow(t, dir, QueryOptions{Tail: 2}, 7, func() {
		time.Sleep(20 * time.Millisecond)
		for i := 5; i < 7; i++ {
			w.Append(mkrec(t0.Add(time.Duration(i)*time.Second), "stdout", fmt.Sprint("r", i)))
		}
		w.Flush()
		time.Sleep(20 * time.Millisecond)
		// The shim dies mid-write; the next one starts a new segment.
		w.Close()
		f, _ := os.OpenFile(filepath.Join(dir, "db", segmentName(t0, 0)), os.O_WRONLY|os.O_APPEND, 0)
		f.WriteString(`{"ts":"2026-11-26T00:37:47.123456789Z","serv`)
		f.Close()
		time.Sleep(20 * time.Millisecond)
		w2, _ := OpenWriter(dir, "db", WriterOptions{FlushInterval: time.Millisecond})
		defer w2.Close()
		for i := 7; i < 10; i++ {
			w2.Append(mkrec(t0.Add(time.Duration(i)*time.Second), "stdout", fmt.Sprint("r", i)))
		}
	})
	if want := seq("r", 3, 10); !equalStrings(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if n := len(segmentNames(t, dir, "db")); n != 2 {
		t.Fatalf("%d segments", n)
	}
}

func TestFollowMergesServicesAndAppliesFilters(t *testing.T) {
	dir := t.TempDir()
	got := follow(t, dir, QueryOptions{MinLevel: LevelError}, 6, func() {
		db, _ := OpenWriter(dir, "db", WriterOptions{FlushInterval: time.Millisecond})
		auth, _ := OpenWriter(dir, "auth", WriterOptions{FlushInterval: time.Millisecond})
		defer db.Close()
		defer auth.Close()
		for i := range 6 {
			w := db
			if i%2 == 1 {
				w = auth
			}
			w.Append(mkrec(t0.Add(time.Duration(i)*time.Second), "stderr", fmt.Sprint("info ", i)))
			w.Append(mkrec(t0.Add(time.Duration(i)*time.Second), "stderr", fmt.Sprint("ERROR ", i)))
			w.Flush() // on disk before the other service's next record
			time.Sleep(5 * time.Millisecond)
		}
	})
	if want := seq("ERROR ", 0, 6); !equalStrings(got, want) {
		t.Fatalf("got %v", got)
	}
}

func TestFollowEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	it := Follow(ctx, t.TempDir(), QueryOptions{PollInterval: time.Millisecond})
	defer it.Close()
	time.AfterFunc(20*time.Millisecond, cancel)
	if it.Next() || !errors.Is(it.Err(), context.Canceled) {
		t.Fatalf("Next after cancel: err = %v", it.Err())
	}
}

func TestFollowEndsAtUntil(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	mustAppend(t, w, mkrec(t0, "stdout", "in"), mkrec(t0.Add(time.Minute), "stdout", "out"))
	w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := collect(t, Follow(ctx, dir, QueryOptions{Until: t0.Add(time.Second)}))
	if !equalStrings(msgs(got), []string{"in"}) {
		t.Fatalf("got %v", msgs(got))
	}
}

func TestFollowPastAnEmptySegmentARestartedShimRemoves(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	mustAppend(t, w, mkrec(t0, "stdout", "r0"), mkrec(t0.Add(time.Second), "stdout", "r1"))
	w.Close()
	// Crash right after creating a segment for a record at t0+1h.
	empty := filepath.Join(dir, "db", segmentName(t0.Add(time.Hour), 0))
	os.WriteFile(empty, nil, 0o644)
	got := follow(t, dir, QueryOptions{}, 4, func() {
		time.Sleep(30 * time.Millisecond) // the follower is in the empty segment by now
		w2, _ := OpenWriter(dir, "db", WriterOptions{FlushInterval: time.Millisecond})
		defer w2.Close()
		// The engine replays from the last stored record: the new segment
		// sorts before the removed one's name.
		w2.Append(mkrec(t0.Add(2*time.Second), "stdout", "r2"))
		w2.Append(mkrec(t0.Add(time.Hour), "stdout", "r3"))
	})
	if want := seq("r", 0, 4); !equalStrings(got, want) {
		t.Fatalf("got %v", got)
	}
}

// A follower is woken by the file system's notification of a write, not by
// its poll: with a poll of a minute, each flushed record (of a service
// folder that exists, of one created later, and across a new segment)
// arrives within moments.
func TestFollowIsWokenByTheWriteNotTheNextPoll(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("writes inside a watched folder are reported by inotify only")
	}
	dir := t.TempDir()
	db := openWriter(t, dir, "db", WriterOptions{FlushInterval: time.Millisecond})
	mustAppend(t, db, mkrec(t0, "stdout", "first"))
	db.Flush()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := Follow(ctx, dir, QueryOptions{PollInterval: time.Minute})
	defer it.Close()
	next := func(want string) time.Duration {
		t.Helper()
		began := time.Now()
		if !it.Next() {
			t.Fatalf("follow ended before %q: %v", want, it.Err())
		}
		if got := string(it.Record().Msg); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		return time.Since(began)
	}
	next("first")
	var cache *Writer
	for i, step := range []func() string{
		func() string { mustAppend(t, db, mkrec(t0.Add(time.Second), "stdout", "written")); return "written" },
		func() string {
			cache = openWriter(t, dir, "cache", WriterOptions{FlushInterval: time.Millisecond})
			mustAppend(t, cache, mkrec(t0.Add(2*time.Second), "stdout", "new service"))
			return "new service"
		},
		func() string { // the next UTC day: a new segment
			mustAppend(t, db, mkrec(t0.Add(25*time.Hour), "stdout", "next day"))
			return "next day"
		},
	} {
		want := step()
		if d := next(want); d > 10*time.Second {
			t.Fatalf("step %d: %q took %v: the poll, not the notification, woke the follower", i, want, d)
		}
	}
	cache.Close()
}
