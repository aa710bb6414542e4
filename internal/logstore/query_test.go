package logstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var levels = []Level{LevelInfo, LevelInfo, LevelWarn, LevelDebug, LevelError, LevelInfo, LevelFatal}

// genStore writes n records for service: three share each timestamp (step
// apart), levels cycle, messages are "<service> <i>" padded to pad bytes.
func genStore(t testing.TB, dir, service string, n int, step time.Duration, pad int, opts WriterOptions) []Record {
	t.Helper()
	w := openWriter(t, dir, service, opts)
	var out []Record
	for i := range n {
		m := fmt.Sprintf("%s %d ", service, i)
		m += strings.Repeat("x", max(0, pad-len(m)))
		r := Record{TS: t0.Add(time.Duration(i/3) * step), Service: service, Stream: "stdout", Level: levels[i%len(levels)], Msg: []byte(m)}
		mustAppend(t, w, r)
		out = append(out, r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// genSegment writes records as genStore does, straight into one segment.
func genSegment(t testing.TB, dir, service string, n int, step time.Duration, pad int) []Record {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, service), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	var out []Record
	for i := range n {
		m := fmt.Sprintf("%s %d ", service, i)
		m += strings.Repeat("x", max(0, pad-len(m)))
		r := Record{TS: t0.Add(time.Duration(i/3) * step), Service: service, Stream: "stdout", Level: levels[i%len(levels)], Msg: []byte(m)}
		buf = append(r.AppendJSON(buf), '\n')
		out = append(out, r)
	}
	if err := os.WriteFile(filepath.Join(dir, service, segmentName(t0, 0)), buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// expect is what a query must return, computed the slow way.
func expect(all []Record, q QueryOptions) []string {
	var out []Record
	for _, r := range all {
		if r.TS.Before(q.Since) || !q.Until.IsZero() && !r.TS.Before(q.Until) || r.Level < q.MinLevel ||
			q.Grep != nil && !q.Grep.Match(r.Msg) {
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.TS.Compare(b.TS) })
	if q.Tail > 0 && len(out) > q.Tail {
		out = out[len(out)-q.Tail:]
	}
	return msgs(out)
}

func TestQueryWindowsMatchAFullScan(t *testing.T) {
	dir := t.TempDir()
	all := genStore(t, dir, "db", 300, time.Second, 40, WriterOptions{SegmentSize: 2000})
	if n := len(segmentNames(t, dir, "db")); n < 10 {
		t.Fatalf("only %d segments", n)
	}
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	windows := [][2]time.Time{
		{}, {at(10), at(20)}, {at(10), time.Time{}}, {time.Time{}, at(20)},
		{at(9.5), at(20.5)}, {at(-100), at(0)}, {at(-100), at(0.5)}, {at(99), at(1000)},
		{at(100), at(100)}, {at(20), at(10)}, {at(0), at(1)},
	}
	for _, ref := range segmentNames(t, dir, "db") { // windows starting exactly at segment starts
		s, _ := parseSegmentName(ref)
		windows = append(windows, [2]time.Time{s.start, s.start.Add(3 * time.Second)}, [2]time.Time{s.start.Add(-time.Second), s.start})
	}
	for _, w := range windows {
		q := QueryOptions{Since: w[0], Until: w[1]}
		got := msgs(collect(t, Query(dir, q)))
		if want := expect(all, q); !equalStrings(got, want) {
			t.Errorf("[%s, %s): got %v\nwant %v", w[0].Sub(t0), w[1].Sub(t0), got, want)
		}
		for _, tail := range []int{1, 4, 1000} {
			q.Tail = tail
			got := msgs(collect(t, Query(dir, q)))
			if want := expect(all, q); !equalStrings(got, want) {
				t.Errorf("[%s, %s) tail %d: got %v\nwant %v", w[0].Sub(t0), w[1].Sub(t0), tail, got, want)
			}
		}
	}
}

func TestQueryFilters(t *testing.T) {
	dir := t.TempDir()
	all := genStore(t, dir, "db", 200, time.Second, 20, WriterOptions{SegmentSize: 1500})
	for _, q := range []QueryOptions{
		{MinLevel: LevelWarn},
		{MinLevel: LevelFatal, Since: t0.Add(10 * time.Second)},
		{Grep: regexp.MustCompile(`^db 1\d `)},
		{Grep: regexp.MustCompile(`7 `), MinLevel: LevelError, Tail: 3},
		{Grep: regexp.MustCompile(`nothing`)},
	} {
		if got, want := msgs(collect(t, Query(dir, q))), expect(all, q); !equalStrings(got, want) {
			t.Errorf("%+v: got %v\nwant %v", q, got, want)
		}
	}
}

func TestQueryMergesServicesInTimestampOrder(t *testing.T) {
	dir := t.TempDir()
	db := genStore(t, dir, "db", 90, 2*time.Second, 10, WriterOptions{SegmentSize: 700})
	auth := genStore(t, dir, "auth", 60, 3*time.Second, 10, WriterOptions{SegmentSize: 500})
	all := append(slices.Clone(auth), db...) // ties: auth first, as Services sorts
	for _, q := range []QueryOptions{{}, {Since: t0.Add(20 * time.Second), Until: t0.Add(40 * time.Second)}, {Tail: 7}, {Tail: 5, Until: t0.Add(30 * time.Second)}} {
		got := collect(t, Query(dir, q))
		if want := expect(all, q); !equalStrings(msgs(got), want) {
			t.Errorf("%+v: got %v\nwant %v", q, msgs(got), want)
		}
	}
	// Named services: ties follow the order given.
	q := QueryOptions{Services: []string{"db", "auth"}, Since: t0.Add(6 * time.Second), Until: t0.Add(7 * time.Second)}
	want := []string{"db 9 xxxxx", "db 10 xxxx", "db 11 xxxx", "auth 6 xxx", "auth 7 xxx", "auth 8 xxx"}
	if got := msgs(collect(t, Query(dir, q))); !equalStrings(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestQuerySeeksInsteadOfReadingFromTheStart(t *testing.T) {
	dir := t.TempDir()
	all := genSegment(t, dir, "db", 120_000, 10*time.Millisecond, 100)
	size := fileSize(t, dir)
	since := t0.Add(250 * time.Second)
	it := Query(dir, QueryOptions{Since: since}).(*mergeIter)
	defer it.Close()
	if !it.Next() {
		t.Fatal(it.Err())
	}
	src := it.srcs[0]
	read := src.lr.read + src.seekRead
	if want := expect(all, QueryOptions{Since: since})[0]; string(it.Record().Msg) != want {
		t.Fatalf("first record %q, want %q", it.Record().Msg, want)
	}
	if read > 512<<10 {
		t.Fatalf("read %d bytes of a %d-byte segment to find Since", read, size)
	}
	t.Logf("found Since after reading %d of %d bytes", read, size)

	var tailRead int64
	recs, _, err := tailService(filepath.Join(dir, "db"), "db", filter{until: since}, 10, &tailRead)
	if err != nil || len(recs) != 10 || tailRead > 512<<10 {
		t.Fatalf("tail: %d records, %d bytes read, %v", len(recs), tailRead, err)
	}
}

func fileSize(t testing.TB, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, _ error) error {
		if info != nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

func TestReadersSkipTornAndForeignLines(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	mustAppend(t, w, mkrec(t0, "stdout", "one"), mkrec(t0.Add(time.Second), "stdout", "two"))
	w.Close()
	seg := filepath.Join(dir, "db", segmentName(t0, 0))
	f, _ := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("not json at all\n\x00\x00\x00\n{\"ts\":\"2026-11-26T00:37:4\n")
	f.Close()
	w = openWriter(t, dir, "db", WriterOptions{}) // the segment ends cleanly: it continues it
	mustAppend(t, w, mkrec(t0.Add(2*time.Second), "stdout", "three"))
	w.Close()
	f, _ = os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"ts":"2026-11-26T00:37:43.000000000Z","service":"db","stream":"stdout","level":"info","msg":"torn`)
	f.Close()
	for _, q := range []QueryOptions{{}, {Since: t0.Add(time.Second)}, {Tail: 2}, {Tail: 10}} {
		got := msgs(collect(t, Query(dir, q)))
		want := expect([]Record{mkrec(t0, "", "one"), mkrec(t0.Add(time.Second), "", "two"), mkrec(t0.Add(2*time.Second), "", "three")}, q)
		if !equalStrings(got, want) {
			t.Errorf("%+v: got %v, want %v", q, got, want)
		}
	}
}

func TestLongLines(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{SegmentSize: 4 << 20})
	var all []Record
	for i := range 40 {
		m := []byte(fmt.Sprintf("%d ", i))
		if i%3 == 0 { // 1.1 MB, a few escapes
			m = append(append(m, bytes.Repeat([]byte("long line "), 110_000)...), "\t\"end\""...)
		}
		r := Record{TS: t0.Add(time.Duration(i) * time.Second), Stream: "stdout", Level: LevelInfo, Msg: m}
		mustAppend(t, w, r)
		all = append(all, r)
	}
	w.Close()
	for _, q := range []QueryOptions{{}, {Since: t0.Add(20 * time.Second)}, {Since: t0.Add(21 * time.Second), Until: t0.Add(33 * time.Second)}, {Tail: 5}, {Tail: 5, Until: t0.Add(30 * time.Second)}} {
		got := collect(t, Query(dir, q))
		if want := expect(all, q); !equalStrings(msgs(got), want) {
			t.Errorf("%+v: got %d records, want %d", q, len(got), len(want))
		}
	}
}

func TestQueryOfMissingStoresAndBadNames(t *testing.T) {
	dir := t.TempDir()
	if got := collect(t, Query(filepath.Join(dir, "nope"), QueryOptions{})); len(got) != 0 {
		t.Fatal(got)
	}
	if got := collect(t, Query(dir, QueryOptions{Services: []string{"db"}, Tail: 3})); len(got) != 0 {
		t.Fatal(got)
	}
	it := Query(dir, QueryOptions{Services: []string{"../x"}})
	if it.Next() || !errors.Is(it.Err(), ErrInvalidService) {
		t.Fatalf("err = %v", it.Err())
	}
}

// grep's literal prefilter (filter.mayMatch) never hides a match: messages
// whose literal is escaped in the line (a quote, a backslash, a tab), stored
// as base64 (not UTF-8), or present only in another field; and a windowed
// grep still ends at Until.
func TestGrepPrefilterHidesNoMatch(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	lines := []string{"seq=1 plain", "a \"seq=2\" quoted", "tab\tseq=3\\back", "not utf8 \xff seq=4", "stderr seq=5",
		"nothing here", "seq = 6 spaced", "SEQ=7 upper", "db"}
	var all []Record
	for i, m := range lines {
		r := Record{TS: t0.Add(time.Duration(i) * time.Second), Service: "db", Stream: "stdout", Msg: []byte(m)}
		mustAppend(t, w, r)
		r.Level = Classify(r.Stream, r.Msg)
		all = append(all, r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []QueryOptions{
		{Grep: regexp.MustCompile(`seq=\d`)},
		{Grep: regexp.MustCompile(`"seq=`)},       // the quote: no prefilter
		{Grep: regexp.MustCompile(`seq=3\\back`)}, // the backslash: no prefilter
		{Grep: regexp.MustCompile(`(?i)seq=`)},
		{Grep: regexp.MustCompile(`db`)}, // also the service's name in every line
		{Grep: regexp.MustCompile(`seq=\d`), Since: t0.Add(time.Second), Until: t0.Add(4 * time.Second)},
		{Grep: regexp.MustCompile(`nothing`), Until: t0.Add(2 * time.Second)},
	} {
		if got, want := msgs(collect(t, Query(dir, q))), expect(all, q); !equalStrings(got, want) {
			t.Errorf("%s [%v, %v): got %q\nwant %q", q.Grep, q.Since, q.Until, got, want)
		}
	}
}
