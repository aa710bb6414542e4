package logstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestWriterRotatesBySizeAndNamesSegmentsByFirstRecord(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{SegmentSize: 1000})
	var want []string
	for i := range 50 {
		m := fmt.Sprintf("line %02d %s", i, strings.Repeat("x", 50))
		mustAppend(t, w, mkrec(t0.Add(time.Duration(i)*time.Millisecond), "stdout", m))
		want = append(want, m)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	names := segmentNames(t, dir, "db")
	if len(names) < 5 {
		t.Fatalf("want several segments, got %v", names)
	}
	if names[0] != "20261126T003740.123456789Z.jsonl" {
		t.Fatalf("first segment %s", names[0])
	}
	for _, n := range names {
		data := readFile(t, filepath.Join(dir, "db", n))
		lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		if len(data) > 1000+len(lines[0])+1 {
			t.Errorf("%s holds %d bytes, more than the segment size and one record", n, len(data))
		}
		first, _ := parseTSPrefix(lines[0])
		if segmentName(first, 0) != n {
			t.Errorf("%s starts with a record at %s", n, first)
		}
	}
	if got := msgs(collect(t, Query(dir, QueryOptions{}))); !equalStrings(got, want) {
		t.Fatalf("query after rotation lost or reordered records:\n%v", got)
	}
}

func TestWriterRotatesAtUTCMidnight(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	day := time.Date(2026, 11, 26, 23, 59, 59, 900_000_000, time.UTC)
	mustAppend(t, w,
		mkrec(day, "stdout", "before midnight"),
		mkrec(day.Add(50*time.Millisecond), "stdout", "still before"),
		mkrec(day.Add(100*time.Millisecond), "stdout", "at midnight"),
		mkrec(day.Add(200*time.Millisecond), "stdout", "after"),
	)
	w.Close()
	want := []string{"20261126T235959.900000000Z.jsonl", "20261127T000000.000000000Z.jsonl"}
	if got := segmentNames(t, dir, "db"); !equalStrings(got, want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
}

func TestWriterTieBreakerKeepsOrderWhenSegmentsShareATimestamp(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{SegmentSize: 1})
	var want []string
	for i := range 12 {
		want = append(want, fmt.Sprint("same nanosecond ", i))
		mustAppend(t, w, mkrec(t0, "stdout", want[i]))
	}
	w.Close()
	names := segmentNames(t, dir, "db")
	if len(names) != 12 || names[1] != "20261126T003740.123456789Z_0001.jsonl" || names[11] != "20261126T003740.123456789Z_0011.jsonl" {
		t.Fatalf("names %v", names)
	}
	if got := msgs(collect(t, Query(dir, QueryOptions{Since: t0}))); !equalStrings(got, want) {
		t.Fatalf("got %v", got)
	}
}

func TestWriterKeepsNamesInOrderWhenTheClockStepsBack(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{SegmentSize: 1})
	mustAppend(t, w, mkrec(t0, "stdout", "a"), mkrec(t0.Add(-time.Second), "stdout", "b"), mkrec(t0.Add(time.Second), "stdout", "c"))
	w.Close()
	if got := msgs(collect(t, Query(dir, QueryOptions{}))); !equalStrings(got, []string{"a", "b", "c"}) {
		t.Fatalf("got %v (segments %v)", got, segmentNames(t, dir, "db"))
	}
}

func TestReopenContinuesACleanSegment(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	mustAppend(t, w, mkrec(t0, "stdout", "one"), mkrec(t0.Add(time.Second), "stdout", "two"))
	w.Close()
	w2 := openWriter(t, dir, "db", WriterOptions{})
	if got := w2.LastTimestamp(); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("LastTimestamp = %v", got)
	}
	mustAppend(t, w2, mkrec(t0.Add(2*time.Second), "stdout", "three"))
	w2.Close()
	if names := segmentNames(t, dir, "db"); len(names) != 1 {
		t.Fatalf("segments %v", names)
	}
	if got := msgs(collect(t, Query(dir, QueryOptions{}))); !equalStrings(got, []string{"one", "two", "three"}) {
		t.Fatalf("got %v", got)
	}
}

func TestReopenAfterATornLineStartsANewSegment(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	mustAppend(t, w, mkrec(t0, "stdout", "one"), mkrec(t0.Add(time.Second), "stderr", "two"))
	w.Close()
	// A crash mid-write: a record cut short, no newline.
	torn := filepath.Join(dir, "db", segmentName(t0, 0))
	line := mkrec(t0.Add(2*time.Second), "stdout", "three").AppendJSON(nil)
	f, _ := os.OpenFile(torn, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(line[:len(line)/2])
	f.Close()
	before := readFile(t, torn)

	w2 := openWriter(t, dir, "db", WriterOptions{})
	if got := w2.LastTimestamp(); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("LastTimestamp = %v, want the last complete record", got)
	}
	mustAppend(t, w2, mkrec(t0.Add(2*time.Second), "stdout", "three"), mkrec(t0.Add(3*time.Second), "stdout", "four"))
	w2.Close()
	if !bytes.Equal(readFile(t, torn), before) {
		t.Fatal("the torn segment was modified")
	}
	if names := segmentNames(t, dir, "db"); len(names) != 2 {
		t.Fatalf("segments %v", names)
	}
	if got := msgs(collect(t, Query(dir, QueryOptions{}))); !equalStrings(got, []string{"one", "two", "three", "four"}) {
		t.Fatalf("got %v", got)
	}
	if got := msgs(collect(t, Query(dir, QueryOptions{Tail: 3}))); !equalStrings(got, []string{"two", "three", "four"}) {
		t.Fatalf("tail got %v", got)
	}
}

func TestReopenRemovesAnEmptyNewestSegment(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	mustAppend(t, w, mkrec(t0, "stdout", "one"))
	w.Close()
	empty := filepath.Join(dir, "db", segmentName(t0.Add(time.Hour), 0))
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w2 := openWriter(t, dir, "db", WriterOptions{})
	if _, err := os.Stat(empty); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("empty segment left behind")
	}
	mustAppend(t, w2, mkrec(t0.Add(time.Minute), "stdout", "two"))
	w2.Close()
	if got := msgs(collect(t, Query(dir, QueryOptions{}))); !equalStrings(got, []string{"one", "two"}) {
		t.Fatalf("got %v", got)
	}
	if names := segmentNames(t, dir, "db"); len(names) != 2 || names[1] != segmentName(t0.Add(time.Minute), 0) {
		t.Fatalf("segments %v", names)
	}
}

func TestLastTimestampIsTheNewestStoredRecord(t *testing.T) {
	dir := t.TempDir()
	if w := openWriter(t, dir, "db", WriterOptions{}); !w.LastTimestamp().IsZero() {
		t.Fatal("an empty store has a last timestamp")
	} else {
		w.Close()
	}
	t1, t2 := t0, t0.Add(time.Millisecond)
	w := openWriter(t, dir, "db", WriterOptions{})
	mustAppend(t, w, mkrec(t1, "stdout", "a"), mkrec(t2, "stdout", "b"))
	w.Close()
	w2 := openWriter(t, dir, "db", WriterOptions{})
	defer w2.Close()
	if !w2.LastTimestamp().Equal(t2) {
		t.Fatalf("LastTimestamp = %v, want %v", w2.LastTimestamp(), t2)
	}
}

func TestAppendRejectsRecordsTheStoreCannotHold(t *testing.T) {
	w := openWriter(t, t.TempDir(), "db", WriterOptions{})
	for name, r := range map[string]Record{
		"no timestamp":  {Stream: "stdout", Msg: []byte("x")},
		"bad stream":    {TS: t0, Stream: "stdin", Msg: []byte("x")},
		"other service": {TS: t0, Service: "auth", Stream: "stdout"},
		"bad level":     {TS: t0, Stream: "stdout", Level: 9},
	} {
		if err := w.Append(r); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if err := w.Append(Record{TS: t0, Stream: "stdout", Msg: make([]byte, MaxMsgSize+1)}); !errors.Is(err, ErrRecordTooLarge) {
		t.Errorf("too large: err = %v", err)
	}
	if _, err := OpenWriter(t.TempDir(), "../etc", WriterOptions{}); !errors.Is(err, ErrInvalidService) {
		t.Errorf("service ../etc: err = %v", err)
	}
	w.Close()
	if err := w.Append(mkrec(t0, "stdout", "x")); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: err = %v", err)
	}
}

func TestAppendClassifiesAndFillsTheService(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	mustAppend(t, w, mkrec(t0, "stderr", "2026-11-26 01:16:52.101 UTC [57] ERROR:  boom"), mkrec(t0, "stderr", "plain"))
	w.Close()
	got := collect(t, Query(dir, QueryOptions{}))
	if got[0].Level != LevelError || got[1].Level != LevelWarn || got[0].Service != "db" {
		t.Fatalf("got %+v", got)
	}
}

func TestFlushIntervalMakesRecordsVisible(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{FlushInterval: 10 * time.Millisecond})
	mustAppend(t, w, mkrec(t0, "stdout", "soon on disk"))
	deadline := time.Now().Add(5 * time.Second)
	for len(collect(t, Query(dir, QueryOptions{}))) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("record never flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fullDisk makes writes fail with ENOSPC after writing `partial` bytes.
type fullDisk struct {
	*os.File
	full    *atomic.Bool
	partial int
}

func (f fullDisk) Write(p []byte) (int, error) {
	if !f.full.Load() {
		return f.File.Write(p)
	}
	n, _ := f.File.Write(p[:min(len(p), f.partial)])
	return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func TestDiskFullReportsAndRecovers(t *testing.T) {
	dir := t.TempDir()
	var full atomic.Bool
	partial := 30
	w := openWriter(t, dir, "db", WriterOptions{FlushInterval: -1})
	w.create = func(path string) (segmentFile, error) {
		f, err := createSegmentFile(path)
		if err != nil {
			return nil, err
		}
		return fullDisk{File: f.(*os.File), full: &full, partial: partial}, nil
	}
	n := 0
	next := func() Record {
		n++
		return mkrec(t0.Add(time.Duration(n)*time.Second), "stdout", fmt.Sprint("line ", n))
	}
	mustAppend(t, w, next(), next())
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	full.Store(true)
	mustAppend(t, w, next(), next()) // buffered
	err := w.Flush()
	if !IsDiskFull(err) || !strings.Contains(err.Error(), "2 records not stored") {
		t.Fatalf("Flush on a full disk: %v", err)
	}
	partial = 0
	for range 5 { // still full: every write fails, no empty segments pile up
		mustAppend(t, w, next())
		if err := w.Flush(); !IsDiskFull(err) {
			t.Fatalf("want a disk-full error, got %v", err)
		}
	}
	if names := segmentNames(t, dir, "db"); len(names) != 1 {
		t.Fatalf("segments while the disk is full: %v", names)
	}
	full.Store(false)
	mustAppend(t, w, next(), next())
	if err := w.Close(); err != nil {
		t.Fatalf("after space returned: %v", err)
	}
	got := msgs(collect(t, Query(dir, QueryOptions{})))
	want := []string{"line 1", "line 2", "line 10", "line 11"}
	if !equalStrings(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if names := segmentNames(t, dir, "db"); len(names) != 2 {
		t.Fatalf("segments %v: want the torn one and a new one", names)
	}
}
