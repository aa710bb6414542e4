package figures

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/state"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func sample(sec int, id string, cpu float64, mem int64) state.Stats {
	return state.Stats{At: t0.Add(time.Duration(sec) * time.Second), Container: id, CPUPercent: cpu, MemBytes: mem, MemLimitBytes: 1 << 30}
}

func TestRecorderFoldsAPeriodIntoOnePoint(t *testing.T) {
	dir := t.TempDir()
	r := NewRecorder(dir, "db", func(err error) { t.Errorf("report: %v", err) })
	for i := range 12 { // 0..4 → one point, 5..9 → one, 10..11 → one at Close
		r.Add(sample(i, "c1", float64(i), int64(100+i)))
	}
	r.Add(sample(12, "c2", 50, 7)) // another container: c1's 10..11 are stored first
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir, "db", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Point{
		{At: t0.Add(4 * time.Second), Container: "c1", CPUPercent: 2, MemBytes: 104, MemLimitBytes: 1 << 30, Samples: 5},
		{At: t0.Add(9 * time.Second), Container: "c1", CPUPercent: 7, MemBytes: 109, MemLimitBytes: 1 << 30, Samples: 5},
		{At: t0.Add(11 * time.Second), Container: "c1", CPUPercent: 10.5, MemBytes: 111, MemLimitBytes: 1 << 30, Samples: 2},
		{At: t0.Add(12 * time.Second), Container: "c2", CPUPercent: 50, MemBytes: 7, MemLimitBytes: 1 << 30, Samples: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d points, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) || got[i].Container != want[i].Container || got[i].CPUPercent != want[i].CPUPercent ||
			got[i].MemBytes != want[i].MemBytes || got[i].Samples != want[i].Samples || got[i].MemLimitBytes != want[i].MemLimitBytes {
			t.Errorf("point %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// A window selects by time, first point found by seeking.
	got, _ = Read(dir, "db", t0.Add(5*time.Second), t0.Add(12*time.Second), 0)
	if len(got) != 2 || got[0].MemBytes != 109 {
		t.Errorf("window [5s,12s) = %+v, want the points at 9 s and 11 s", got)
	}
}

func TestReadFoldsIntoBuckets(t *testing.T) {
	dir := t.TempDir()
	r := NewRecorder(dir, "db", nil)
	for i := range 3600 { // an hour of samples: 720 points
		r.Add(sample(i, "c1", float64(i%10), int64(i)))
	}
	r.Close()
	got, err := Read(dir, "db", t0, t0.Add(time.Hour), 60)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 {
		t.Fatalf("got %d buckets, want 60", len(got))
	}
	total := 0
	for i, p := range got {
		total += p.Samples
		if p.CPUPercent != 4.5 { // each bucket holds whole 10 s cycles of 0..9
			t.Errorf("bucket %d cpu = %v, want 4.5", i, p.CPUPercent)
		}
		if want := int64(i*60 + 59); p.MemBytes != want {
			t.Errorf("bucket %d mem = %d, want the peak %d", i, p.MemBytes, want)
		}
	}
	if total != 3600 {
		t.Errorf("buckets fold %d samples, want 3600", total)
	}
}

func TestReadSkipsRecordsThatHoldNoPoint(t *testing.T) {
	dir := t.TempDir()
	r := NewRecorder(dir, "db", nil)
	r.Add(sample(0, "c1", 1, 1))
	r.Close()
	seg, _ := filepath.Glob(filepath.Join(Dir(dir), "db", "*.jsonl"))
	if len(seg) != 1 {
		t.Fatalf("segments: %v", seg)
	}
	f, _ := os.OpenFile(seg[0], os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"ts":"2026-12-02T10:00:01Z","service":"db","stream":"stdout","level":"info","msg":"not a point"}` + "\n")
	f.WriteString(`{"ts":"2026-12-02T10:00:02Z","service":"db","stream":"stdout","level":"info","msg":"{\"container\":\"c1\",\"cpu_percent\":-1,\"mem_bytes\":1,\"mem_limit_bytes\":0,\"samples\":1}"}` + "\n")
	f.Close()
	got, err := Read(dir, "db", time.Time{}, time.Time{}, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %+v, %v; want the one point", got, err)
	}
}

func TestRecorderReportsOnceAndRecovers(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, Folder)
	os.WriteFile(blocker, []byte("a file where the folder goes"), 0o644)
	var reports []error
	r := NewRecorder(dir, "db", func(err error) { reports = append(reports, err) })
	for i := range 15 {
		r.Add(sample(i, "c1", 1, 1))
	}
	os.Remove(blocker)
	for i := 15; i < 21; i++ {
		r.Add(sample(i, "c1", 1, 1))
	}
	r.Close()
	if len(reports) != 2 || reports[0] == nil || reports[1] != nil {
		t.Fatalf("reports = %v, want one failure then the recovery (nil)", reports)
	}
	var pe *os.PathError
	if !errors.As(reports[0], &pe) {
		t.Errorf("failure %v does not say which path", reports[0])
	}
	got, _ := Read(dir, "db", time.Time{}, time.Time{}, 0)
	if len(got) != 3 { // 10..14 (stored when 15 came), 15..19 and 20
		t.Errorf("after recovery %d points, want 3", len(got))
	}
}

// The fast reader and encoding/json agree on every point the recorder
// writes, and the fast one declines what it does not know.
func TestParseFastAgreesWithJSON(t *testing.T) {
	for _, p := range []Point{
		{Container: "3f2a9b", CPUPercent: 12.5, MemBytes: 52428800, Samples: 5},
		{Container: "c", CPUPercent: 0, MemBytes: 0, MemLimitBytes: 1 << 40, Samples: 1},
		{Container: "c", CPUPercent: 1e-7, MemBytes: 1, Samples: 3},
		{Container: "c", CPUPercent: 123456789.25, MemBytes: 9, Samples: 2},
	} {
		raw, _ := json.Marshal(p)
		got, ok := parseFast(raw)
		if !ok || got != p {
			t.Errorf("parseFast(%s) = %+v, %v; want %+v", raw, got, ok, p)
		}
	}
	for _, raw := range []string{
		`{"container":"a\"b","cpu_percent":1,"mem_bytes":1,"mem_limit_bytes":0,"samples":1}`,
		`{"container":"a","cpu_percent":1,"mem_bytes":1,"mem_limit_bytes":0,"samples":1,"x":1}`,
		`{"cpu_percent":1,"container":"a","mem_bytes":1,"mem_limit_bytes":0,"samples":1}`,
		`{"container":"a","cpu_percent":1,"mem_bytes":1.5,"mem_limit_bytes":0,"samples":1}`,
		`{"container":"a","cpu_percent":1,"mem_bytes":1,"mem_limit_bytes":0,"samples":1} `,
	} {
		if p, ok := parseFast([]byte(raw)); ok {
			t.Errorf("parseFast(%s) = %+v, want it declined", raw, p)
		}
	}
	// Nothing may follow the object, in either reader.
	if p, ok := fromRecord(logstore.Record{TS: t0, Msg: []byte(`{"cpu_percent":1,"container":"a","mem_bytes":1,"mem_limit_bytes":0,"samples":1}}`)}); ok {
		t.Errorf("fromRecord of an object and a stray brace: %+v, want it refused", p)
	}
	// Declined but valid: json reads it (key order is not the contract's business).
	rec := logstore.Record{TS: t0, Msg: []byte(`{"cpu_percent":1,"container":"a","mem_bytes":1,"mem_limit_bytes":0,"samples":1}`)}
	if p, ok := fromRecord(rec); !ok || p.Container != "a" {
		t.Errorf("fromRecord of another key order: %+v %v", p, ok)
	}
}
