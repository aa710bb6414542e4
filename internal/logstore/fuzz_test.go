package logstore

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// FuzzReadSegment feeds arbitrary bytes to every segment reader: forward and
// backward line readers, the decoder, the binary search, and Query/Tail on
// a real file. None may panic, and they must agree on the complete lines.
func FuzzReadSegment(f *testing.F) {
	var seg []byte
	for i, m := range []string{"one", "two \"quoted\"\n", "\xff\xfe"} {
		r := Record{TS: t0.Add(time.Duration(i) * time.Second), Service: "db", Stream: "stderr", Level: LevelWarn, Msg: []byte(m)}
		seg = append(r.AppendJSON(seg), '\n')
	}
	f.Add(seg)
	f.Add(seg[:len(seg)-7])
	f.Add([]byte("\n\n{\"ts\":\"2026-11-26T00:37:40Z\",\"msg\":\"x\"}\n\x00\x00"))
	dir := f.TempDir() // one store per worker process, which runs inputs one at a time
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		d := decoder{service: "db"}
		var fwd [][]byte
		var fwdOff []int64
		var times []time.Time
		lr := lineReader{}
		lr.reset(r, 0)
		for {
			line, off, ok, err := lr.next()
			if err != nil || !ok {
				break
			}
			if string(data[off:off+int64(len(line))]) != string(line) || data[off+int64(len(line))] != '\n' {
				t.Fatalf("line at %d is not the data there", off)
			}
			fwd, fwdOff = append(fwd, slices.Clone(line)), append(fwdOff, off)
			var rec Record
			if d.decode(line, &rec) {
				times = append(times, rec.TS)
				checkRoundTrip(t, rec)
			}
		}
		if want := bytes.Count(data, []byte{'\n'}); len(fwd) != want {
			t.Fatalf("%d lines forward, %d newlines", len(fwd), want)
		}
		back := newBackLines(r, int64(len(data)))
		for i := len(fwd) - 1; i >= 0; i-- {
			line, off, ok, err := back.prev()
			if err != nil || !ok || off != fwdOff[i] || !bytes.Equal(line, fwd[i]) {
				t.Fatalf("backward line %d: %q at %d, want %q at %d (%v)", i, line, off, fwd[i], fwdOff[i], err)
			}
		}
		if _, _, ok, _ := back.prev(); ok {
			t.Fatal("backward reader found an extra line")
		}
		for _, ts := range append(times, time.Time{}, t0, t0.Add(time.Hour)) {
			off, err := seekTS(r, int64(len(data)), ts, &d, nil)
			if err != nil || off < 0 || off > int64(len(data)) || off > 0 && data[off-1] != '\n' {
				t.Fatalf("seekTS(%v) = %d, %v", ts, off, err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "db", segmentName(t0, 0)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, q := range []QueryOptions{{}, {Since: t0.Add(time.Second)}, {Tail: 2}, {Tail: 2, Until: t0.Add(time.Second)}} {
			it := Query(dir, q)
			for it.Next() {
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			it.Close()
		}
	})
}

// checkRoundTrip: whatever a reader accepts, the writer's encoding of it
// reads back the same.
func checkRoundTrip(t *testing.T, rec Record) {
	if y := rec.TS.Year(); y < 0 || y > 9999 {
		return
	}
	var d decoder
	var again Record
	enc := rec.AppendJSON(nil)
	if !d.decodeFast(enc, &again) || !again.TS.Equal(rec.TS) || again.Level != rec.Level || !bytes.Equal(again.Msg, rec.Msg) {
		t.Fatalf("%+v does not round-trip through %q", rec, enc)
	}
}

// FuzzRecordRoundTrip: any message, any timestamp the writer accepts, reads
// back byte for byte, and is valid JSON on one line.
func FuzzRecordRoundTrip(f *testing.F) {
	f.Add([]byte("plain"), int64(0))
	f.Add([]byte("\xff\x00\"\\\n\u2028"), int64(-1))
	f.Fuzz(func(t *testing.T, msg []byte, ns int64) {
		rec := Record{TS: t0.Add(time.Duration(ns)), Service: "db", Stream: StreamStdout, Level: LevelError, Msg: msg}
		line := rec.AppendJSON(nil)
		if bytes.IndexByte(line, '\n') >= 0 || !json.Valid(line) {
			t.Fatalf("bad line %q", line)
		}
		checkRoundTrip(t, rec)
	})
}
