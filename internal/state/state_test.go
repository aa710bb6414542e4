package state

import (
	"errors"
	"fmt"
	"os"
	"slices"
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

func TestResetTokensAreTakenOnceEach(t *testing.T) {
	dir := t.TempDir()
	if got := TakeReset(dir, "db"); len(got) != 0 {
		t.Fatalf("TakeReset without a request = %v", got)
	}
	first, err := RequestReset(dir, "db")
	if err != nil || len(first) != 24 {
		t.Fatalf("RequestReset = %q, %v", first, err)
	}
	second, _ := RequestReset(dir, "db")
	other, _ := RequestReset(dir, "db.reset") // a service whose name starts the same
	if second == first {
		t.Fatalf("two requests got the same token %q", first)
	}
	if got := PendingResets(dir, "db"); len(got) != 2 {
		t.Fatalf("PendingResets = %v, want both requests", got)
	}
	withdrawn, _ := RequestReset(dir, "db")
	WithdrawReset(dir, "db", withdrawn)
	WithdrawReset(dir, "db", "../../etc/passwd") // not a token: nothing happens
	got := TakeReset(dir, "db")
	if len(got) != 2 || !slices.Contains(got, first) || !slices.Contains(got, second) {
		t.Fatalf("TakeReset = %v, want %q and %q: a second request must not replace the first", got, first, second)
	}
	if got := TakeReset(dir, "db"); len(got) != 0 {
		t.Fatalf("requests taken twice: %v", got)
	}
	if got := TakeReset(dir, "db.reset"); len(got) != 1 || got[0] != other {
		t.Fatalf("the other service's request: %v, want [%s]", got, other)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files left behind: %v", entries)
	}
}

func TestAnswerKeepsTheNewestRequests(t *testing.T) {
	var f File
	for i := 0; i < 10; i++ {
		f.Answer(fmt.Sprint(i))
	}
	if !f.Answers("9") || !f.Answers("2") || f.Answers("1") || f.Answers("") || len(f.Requests) != maxRequests {
		t.Fatalf("Requests = %v, want the newest %d", f.Requests, maxRequests)
	}
}
