package logstore

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 0, 37, 40, 123456789, time.UTC)

func mkrec(ts time.Time, stream, msg string) Record {
	return Record{TS: ts, Stream: stream, Msg: []byte(msg)}
}

func openWriter(t testing.TB, dir, service string, opts WriterOptions) *Writer {
	t.Helper()
	w, err := OpenWriter(dir, service, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func mustAppend(t testing.TB, w *Writer, recs ...Record) {
	t.Helper()
	for _, r := range recs {
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

func collect(t testing.TB, it Iterator) []Record {
	t.Helper()
	defer it.Close()
	var out []Record
	for it.Next() {
		out = append(out, it.Record().Clone())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func msgs(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Msg)
	}
	return out
}

func segmentNames(t testing.TB, dir, service string) []string {
	t.Helper()
	segs, err := listSegments(filepath.Join(dir, service))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range segs {
		out = append(out, s.name)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
