package logstore

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchLines are shaped like a chatty service's output (~100–160 bytes).
var benchLines = [][]byte{
	[]byte(`2026-11-26 01:16:45.252 UTC [1] LOG:  checkpoint complete: wrote 3 buffers (0.0%); 0 WAL file(s) added, 0 removed`),
	[]byte(`{"level":30,"time":1764117460123,"pid":1,"hostname":"api","reqId":"req-7f3a","msg":"request completed","responseTime":12}`),
	[]byte(`time="2026-11-26T00:37:40Z" level=info msg="session refreshed" user=4711 instance=zitadel-1`),
	[]byte(`2026/11/26 00:37:40 fixture seq=123456 payload=abcdefghijklmnopqrstuvwxyz0123456789`),
}

func BenchmarkAppend(b *testing.B) {
	for _, classify := range []bool{false, true} {
		b.Run(fmt.Sprintf("classify=%v", classify), func(b *testing.B) {
			w, err := OpenWriter(b.TempDir(), "db", WriterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			b.SetBytes(int64(len(benchLines[0])))
			b.ReportAllocs()
			ts := t0
			for i := 0; b.Loop(); i++ {
				r := Record{TS: ts, Stream: StreamStderr, Level: LevelInfo, Msg: benchLines[i%len(benchLines)]}
				if classify {
					r.Level = 0
				}
				if err := w.Append(r); err != nil {
					b.Fatal(err)
				}
				ts = ts.Add(time.Microsecond)
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

var (
	benchOnce    sync.Once
	benchDir     string
	benchRecords int
	benchErr     error
)

// benchStore is 24 hours of one service, PM2DOCK_BENCH_STORE_MB megabytes
// (default 256; make bench uses ≥ 1024), written through a
// Writer with the default 64 MiB segments. Built once per test binary.
func benchStore(b *testing.B) (string, time.Duration) {
	mb, _ := strconv.Atoi(os.Getenv("PM2DOCK_BENCH_STORE_MB"))
	if mb <= 0 {
		mb = 256
	}
	var lineSize int
	for _, l := range benchLines {
		lineSize += len(l) + 95 // record overhead
	}
	n := mb << 20 / (lineSize / len(benchLines))
	step := 24 * time.Hour / time.Duration(n)
	benchOnce.Do(func() {
		if benchDir, benchErr = os.MkdirTemp("", "logstore-bench-"); benchErr != nil {
			return
		}
		w, err := OpenWriter(benchDir, "db", WriterOptions{})
		if err != nil {
			benchErr = err
			return
		}
		start := time.Now()
		for i := range n {
			if err := w.Append(Record{TS: t0.Add(time.Duration(i) * step), Stream: StreamStderr, Level: LevelInfo, Msg: benchLines[i%len(benchLines)]}); err != nil {
				benchErr = err
				return
			}
		}
		benchErr = w.Close()
		benchRecords = n
		fmt.Fprintf(os.Stderr, "bench store: %d records, %d MiB, 24h, written in %s (%.0f lines/s)\n",
			n, mb, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir, step
}

// BenchmarkQueryWindow reads a one-hour window out of the 24-hour store.
func BenchmarkQueryWindow(b *testing.B) {
	dir, _ := benchStore(b)
	since := t0.Add(13 * time.Hour)
	q := QueryOptions{Since: since, Until: since.Add(time.Hour)}
	var n int
	var bytes int64
	for b.Loop() {
		it := Query(dir, q)
		n, bytes = 0, 0
		for it.Next() {
			n++
			bytes += int64(len(it.Record().Msg))
		}
		if err := it.Err(); err != nil {
			b.Fatal(err)
		}
		it.Close()
	}
	if n < benchRecords/25 {
		b.Fatalf("window holds %d of %d records", n, benchRecords)
	}
	b.ReportMetric(float64(n), "records/op")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkQueryFirstRecord is the time to the first line of that window.
func BenchmarkQueryFirstRecord(b *testing.B) {
	dir, _ := benchStore(b)
	q := QueryOptions{Since: t0.Add(13*time.Hour + 17*time.Minute), Until: t0.Add(14 * time.Hour)}
	for b.Loop() {
		it := Query(dir, q)
		if !it.Next() {
			b.Fatal("no record", it.Err())
		}
		it.Close()
	}
}

// BenchmarkTail is `pm2dock logs --tail 100`.
func BenchmarkTail(b *testing.B) {
	dir, _ := benchStore(b)
	for b.Loop() {
		if got := len(collect(b, Query(dir, QueryOptions{Tail: 100}))); got != 100 {
			b.Fatalf("%d records", got)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		Classify(StreamStderr, benchLines[i%len(benchLines)])
	}
}

// BenchmarkDecode is the per-record cost of reading the store.
func BenchmarkDecode(b *testing.B) {
	var lines [][]byte
	for _, m := range benchLines {
		lines = append(lines, Record{TS: t0, Service: "db", Stream: StreamStderr, Level: LevelInfo, Msg: m}.AppendJSON(nil))
	}
	d := decoder{service: "db"}
	var r Record
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if !d.decode(lines[i%len(lines)], &r) {
			b.Fatal("decode failed")
		}
	}
}

// BenchmarkGrepStore searches the whole 24-hour store for a rare line (its
// literal prefix lets most lines be skipped undecoded).
func BenchmarkGrepStore(b *testing.B) {
	dir, _ := benchStore(b)
	q := QueryOptions{Grep: regexp.MustCompile(`hit=12[0-9]7`)}
	var n int
	for b.Loop() {
		it := Query(dir, q)
		n = 0
		for it.Next() {
			n++
		}
		if err := it.Err(); err != nil {
			b.Fatal(err)
		}
		it.Close()
	}
	b.ReportMetric(float64(n), "matches/op")
}
