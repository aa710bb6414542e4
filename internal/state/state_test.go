package state

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestWriteReadRoundTripAndPermissions(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir, "db"); !errors.Is(err, ErrNone) {
		t.Fatalf("Read of nothing = %v, want ErrNone", err)
	}
	code := 1
	in := &File{Service: "db", Phase: Exited, ShimPID: 42, ExitCode: &code,
		ShimStartedAt: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
		LastFailure:   &Failure{ExitCode: 137, OOMKilled: true, Reason: "OOM killed", LastLines: []string{"a"}}}
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(dir, "db")
	if err != nil || out.Phase != Exited || *out.ExitCode != 1 || !out.LastFailure.OOMKilled || !out.ShimStartedAt.Equal(in.ShimStartedAt) {
		t.Fatalf("read back %+v, %v", out, err)
	}
	st, _ := os.Stat(Path(dir, "db"))
	if st.Mode().Perm()&0o022 != 0 {
		t.Fatalf("mode %v has group/other write", st.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("leftover temporary files: %v", entries)
	}
}

func TestReadRejectsGarbageWithThePath(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(Path(dir, "db"), []byte("{torn"), 0o644)
	if _, err := Read(dir, "db"); err == nil || errors.Is(err, ErrNone) {
		t.Fatalf("Read of garbage = %v", err)
	}
}

func TestResetTokenIsTakenOnceAndANewerOneSurvives(t *testing.T) {
	dir := t.TempDir()
	if _, ok := TakeReset(dir, "db"); ok {
		t.Fatal("TakeReset without a request reported one")
	}
	first, err := RequestReset(dir, "db")
	if err != nil || len(first) != 24 {
		t.Fatalf("RequestReset = %q, %v", first, err)
	}
	second, _ := RequestReset(dir, "db")
	if second == first {
		t.Fatalf("two requests got the same token %q", first)
	}
	if got, ok := TakeReset(dir, "db"); !ok || got != second {
		t.Fatalf("TakeReset = %q, %v; want the newest request %q", got, ok, second)
	}
	if _, ok := TakeReset(dir, "db"); ok {
		t.Fatal("a request was taken twice")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("files left behind: %v", entries)
	}
}
