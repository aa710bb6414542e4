package logstore

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var day0 = time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)

func segInfo(service string, start time.Duration, last time.Duration, size int64) SegmentInfo {
	s := day0.Add(start)
	info := SegmentInfo{Service: service, Name: segmentName(s, 0), Start: s, Size: size, ModTime: day0.Add(last + time.Second)}
	if last >= 0 {
		info.Last = day0.Add(last)
	}
	return info
}

// daily makes one segment a day for n days, each ending an hour before the next.
func daily(service string, n int, size int64) []SegmentInfo {
	var out []SegmentInfo
	for i := range n {
		d := time.Duration(i) * 24 * time.Hour
		out = append(out, segInfo(service, d, d+23*time.Hour, size))
	}
	return out
}

func TestPlanGolden(t *testing.T) {
	now := day0.Add(8*24*time.Hour + 12*time.Hour) // 2026-11-26T12:00Z
	noLast := daily("db", 4, 100)
	for i := range noLast {
		noLast[i].Last = time.Time{} // unreadable: the modification time counts
	}
	sizes := []SegmentInfo{
		segInfo("db", 0, time.Hour, 400), segInfo("db", 2*time.Hour, 3*time.Hour, 300),
		segInfo("db", 4*time.Hour, 5*time.Hour, 200), segInfo("db", 6*time.Hour, 7*time.Hour, 100),
		segInfo("db", 8*time.Hour, 9*time.Hour, 5000), // active: neither counted nor removed
	}
	multi := append(daily("db", 9, 1000), daily("auth", 3, 10)...)
	multi[0], multi[len(multi)-1] = multi[len(multi)-1], multi[0] // unsorted input
	cases := []struct {
		name   string
		segs   []SegmentInfo
		policy Policy
	}{
		{"empty", nil, Policy{MaxAge: time.Hour, MaxSize: 1}},
		{"no_limits", daily("db", 9, 1000), Policy{}},
		{"max_age", daily("db", 9, 1000), Policy{MaxAge: 7 * 24 * time.Hour}},
		{"max_age_mtime_fallback", noLast, Policy{MaxAge: 7 * 24 * time.Hour}},
		{"max_size", sizes, Policy{MaxSize: 500}},
		{"max_size_exact_fit", sizes, Policy{MaxSize: 1000}},
		{"age_then_size", daily("db", 9, 1000), Policy{MaxAge: 7 * 24 * time.Hour, MaxSize: 2500}},
		{"multi_service", multi, Policy{MaxAge: 5 * 24 * time.Hour, MaxSize: 3000}},
		{"only_active_is_old", daily("db", 1, 1<<30), Policy{MaxAge: time.Hour, MaxSize: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := renderPlan(c.segs, c.policy, now)
			path := filepath.Join("testdata", "plan_"+c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("plan differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
}

func renderPlan(segs []SegmentInfo, p Policy, now time.Time) string {
	keep, remove, reasons := Plan(segs, p, now)
	var b strings.Builder
	fmt.Fprintf(&b, "now %s  max_age %s  max_size %d\n", now.Format(time.RFC3339), p.MaxAge, p.MaxSize)
	line := func(verb string, s SegmentInfo) {
		last := "-"
		if !s.Last.IsZero() {
			last = s.Last.Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "%-6s %s  size %d  last %s", verb, s.ID(), s.Size, last)
		if r, ok := reasons[s.ID()]; ok {
			fmt.Fprintf(&b, "  # %s", r)
		}
		b.WriteByte('\n')
	}
	for _, s := range keep {
		line("keep", s)
	}
	for _, s := range remove {
		line("remove", s)
	}
	if len(reasons) != len(remove) {
		fmt.Fprintf(&b, "!! %d reasons for %d removals\n", len(reasons), len(remove))
	}
	return b.String()
}

func TestPruneRemovesClosedSegmentsOnly(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	for d := range 10 { // one segment per UTC day
		mustAppend(t, w, mkrec(day0.Add(time.Duration(d)*24*time.Hour), "stdout", fmt.Sprint("day ", d)))
	}
	w.Close()
	now := day0.Add(10 * 24 * time.Hour)
	policy := Policy{MaxAge: 3 * 24 * time.Hour}
	dry, reasons, err := Prune(dir, "db", policy, now, true)
	if err != nil || len(dry) != 7 || len(reasons) != 7 || len(segmentNames(t, dir, "db")) != 10 {
		t.Fatalf("dry run: %d to remove, %v; %d segments left", len(dry), err, len(segmentNames(t, dir, "db")))
	}
	removed, _, err := Prune(dir, "db", policy, now, false)
	if err != nil || len(removed) != 7 {
		t.Fatalf("removed %d, %v", len(removed), err)
	}
	// Day 7's last record is exactly at the cutoff: not older, kept.
	if got := msgs(collect(t, Query(dir, QueryOptions{}))); !equalStrings(got, seq("day ", 7, 10)) {
		t.Fatalf("left %v", got)
	}
	// Everything is old now, but the newest segment stays.
	removed, _, _ = Prune(dir, "db", Policy{MaxAge: time.Nanosecond, MaxSize: 1}, now.Add(100*24*time.Hour), false)
	if got := msgs(collect(t, Query(dir, QueryOptions{}))); len(removed) != 2 || !equalStrings(got, []string{"day 9"}) {
		t.Fatalf("left %v", got)
	}
}

func TestPruneWhileWritingKeepsTheActiveSegmentIntact(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{SegmentSize: 4096, FlushInterval: time.Millisecond})
	const n = 20000
	var wg sync.WaitGroup
	wg.Add(1)
	stop := make(chan struct{})
	var appendErr error
	go func() {
		defer wg.Done()
		defer close(stop)
		for i := range n {
			if err := w.Append(mkrec(t0.Add(time.Duration(i)*time.Millisecond), "stdout", fmt.Sprint("r", i))); err != nil {
				appendErr = err
				return
			}
		}
	}()
	prunes, removedTotal := 0, 0
	for done := false; !done; prunes++ {
		select {
		case <-stop:
			done = true
		default:
		}
		removed, _, err := Prune(dir, "db", Policy{MaxSize: 1}, t0, false)
		if err != nil {
			t.Fatal(err)
		}
		removedTotal += len(removed)
		w.mu.Lock()
		active := w.seg.name
		w.mu.Unlock()
		for _, r := range removed {
			if r.Name >= active {
				t.Fatalf("pruned %s while %s was active", r.Name, active)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "db", active)); active != "" && err != nil {
			t.Fatalf("active segment %s: %v", active, err)
		}
	}
	wg.Wait()
	if appendErr != nil {
		t.Fatal(appendErr)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := collect(t, Query(dir, QueryOptions{}))
	if len(got) == 0 || string(got[len(got)-1].Msg) != fmt.Sprint("r", n-1) {
		t.Fatalf("the newest records are gone: %d left", len(got))
	}
	first := n - len(got)
	if want := seq("r", first, n); !equalStrings(msgs(got), want) {
		t.Fatalf("what is left is not a contiguous run ending at the last record")
	}
	if removedTotal < 10 || prunes < 2 {
		t.Fatalf("pruning was not exercised: %d prunes removed %d segments", prunes, removedTotal)
	}
	t.Logf("%d prunes removed %d segments; %d records left", prunes, removedTotal, len(got))
}
