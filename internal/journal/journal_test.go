package journal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.UTC)

func intp(i int) *int    { return &i }
func boolp(b bool) *bool { return &b }

func TestEventsRoundTripAndMergeByTime(t *testing.T) {
	dir := t.TempDir()
	db := NewWriter(dir, "db", nil)
	auth := NewWriter(dir, "auth", nil)
	db.Record(Event{TS: t0, Kind: Start, By: ByUser})
	auth.Record(Event{TS: t0.Add(time.Second), Kind: Adopt, By: ByPM2, Reason: "running"})
	db.Record(Event{TS: t0.Add(2 * time.Second), Kind: Unhealthy, Health: "unhealthy", Output: "pg_isready: no response\n", By: ByEngine})
	db.Record(Event{TS: t0.Add(3 * time.Second), Kind: Exit, ExitCode: intp(3), OOMKilled: boolp(true), Reason: "exited with code 3", By: ByEngine})
	db.Close()
	auth.Close()

	// Readable without closing too: Record flushes. Merged across services by time.
	var got []string
	it := Query(dir, Window{})
	for it.Next() {
		e := it.Event()
		got = append(got, e.Service+":"+string(e.Kind))
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	it.Close()
	if want := "db:start auth:adopt db:unhealthy db:exit"; strings.Join(got, " ") != want {
		t.Fatalf("events %v, want %s", got, want)
	}

	last, err := Last(dir, []string{"db"}, 1)
	if err != nil || len(last) != 1 {
		t.Fatalf("Last: %v %v", last, err)
	}
	raw, _ := last[0].MarshalJSON()
	want := `{"ts":"2026-12-02T10:00:03.123456789Z","service":"db","event":"exit","reason":"exited with code 3","exit_code":3,"oom_killed":true,"health":null,"output":null,"by":"engine"}`
	if string(raw) != want {
		t.Fatalf("json\n got %s\nwant %s", raw, want)
	}

	w := Window{Services: []string{"db"}, Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}
	it = Query(dir, w)
	defer it.Close()
	if !it.Next() || it.Event().Kind != Unhealthy || it.Event().Output != "pg_isready: no response\n" || it.Next() {
		t.Fatalf("window [1s,3s) of db: want only the unhealthy event")
	}
}

func TestTheStoredLineIsALogStoreRecordWithTheLevelOfTheKind(t *testing.T) {
	dir := t.TempDir()
	j := NewWriter(dir, "db", nil)
	j.Record(Event{TS: t0, Kind: CrashLoop, ExitCode: intp(3), Reason: "crash loop", By: ByPolicy})
	j.Close()
	files, _ := filepath.Glob(filepath.Join(dir, Folder, "db", "*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("segments %v", files)
	}
	raw, _ := os.ReadFile(files[0])
	want := `{"ts":"2026-12-02T10:00:00.123456789Z","service":"db","stream":"stdout","level":"error","msg":"{\"event\":\"crash-loop\",\"reason\":\"crash loop\",\"exit_code\":3,\"oom_killed\":null,\"health\":null,\"output\":null,\"by\":\"policy\"}"}` + "\n"
	if string(raw) != want {
		t.Fatalf("stored\n got %s\nwant %s", raw, want)
	}
	// `pm2dock logs` never lists the journal as a service.
	if svcs, _ := logstore.Services(dir); len(svcs) != 0 {
		t.Fatalf("log store services %v", svcs)
	}
}

func TestRecordsThatHoldNoEventAreSkipped(t *testing.T) {
	dir := t.TempDir()
	w, err := logstore.OpenWriter(Dir(dir), "db", logstore.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, msg := range []string{`not json`, `{"event":"exploded"}`, `{"event":"stop","by":"user"}`} {
		if err := w.Append(logstore.Record{TS: t0.Add(time.Duration(i)), Stream: "stdout", Msg: []byte(msg)}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	evs, err := Last(dir, nil, 10)
	if err != nil || len(evs) != 1 || evs[0].Kind != Stop || evs[0].By != ByUser {
		t.Fatalf("events %+v, %v", evs, err)
	}
}

func TestAnUnwritableJournalIsReportedOnceAndRecovers(t *testing.T) {
	dir := t.TempDir()
	// A file where the folder goes (a read-only folder would not stop root).
	blocker := filepath.Join(dir, Folder)
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var reports []error
	j := NewWriter(dir, "db", func(err error) { reports = append(reports, err) })
	j.Record(Event{TS: t0, Kind: Start})
	j.Record(Event{TS: t0.Add(time.Second), Kind: Ready})
	if len(reports) != 1 || reports[0] == nil {
		t.Fatalf("reports %v, want one error", reports)
	}
	os.Remove(blocker)
	j.Record(Event{TS: t0.Add(2 * time.Second), Kind: Healthy})
	defer j.Close()
	if len(reports) != 2 || reports[1] != nil {
		t.Fatalf("reports %v, want the error, then the recovery", reports)
	}
	if evs, _ := Last(dir, nil, 10); len(evs) != 1 || evs[0].Kind != Healthy {
		t.Fatalf("events %+v", evs)
	}
}

func TestAnInvalidKindIsRefused(t *testing.T) {
	if _, err := (Event{TS: t0, Kind: "exploded"}).record(); err == nil {
		t.Fatal("want an error")
	}
	var nilWriter *Writer
	nilWriter.Record(Event{TS: t0, Kind: Start}) // records nothing, does not panic
	if err := errors.Join(nilWriter.Close(), nilWriter.Prune(logstore.Policy{}, t0)); err != nil {
		t.Fatal(err)
	}
}

func TestLongProbeOutputIsCutOnACharacter(t *testing.T) {
	rec, err := Event{TS: t0, Kind: Unhealthy, Output: strings.Repeat("é", MaxOutput)}.record()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := fromRecord(rec)
	if !ok || len(e.Output) > MaxOutput || len(e.Output) < MaxOutput-1 || strings.ContainsRune(e.Output, '\uFFFD') {
		t.Fatalf("output of %d bytes", len(e.Output))
	}
}

func TestTextIsOneSafeLine(t *testing.T) {
	e := Event{TS: t0, Service: "db", Kind: Unhealthy, By: ByEngine, Reason: "the healthcheck fails",
		ExitCode: intp(3), OOMKilled: boolp(true), Output: "line one\nline two \x1b[31m"}
	want := `2026-12-02T10:00:00.123Z db unhealthy by engine: the healthcheck fails; exit code 3; OOM-killed; probe: line one ⏎ line two \x1b[31m`
	if got := e.Text(); got != want {
		t.Fatalf("text\n got %s\nwant %s", got, want)
	}
	e = Event{TS: t0, Service: "db", Kind: Exit, By: ByEngine, Reason: "exited with code 3: OOM killed", ExitCode: intp(3), OOMKilled: boolp(true)}
	if got, want := e.Text(), "2026-12-02T10:00:00.123Z db exit by engine: exited with code 3: OOM killed"; got != want {
		t.Fatalf("text\n got %s\nwant %s", got, want)
	}
}
