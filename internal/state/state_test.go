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
	dir := Dir(t.TempDir())
	if _, err := dir.Read("db"); !errors.Is(err, ErrNone) {
		t.Fatalf("Read of nothing = %v, want ErrNone", err)
	}
	code := 1
	in := &File{Service: "db", Phase: Exited, ShimPID: 42, ExitCode: &code,
		ShimStartedAt: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
		LastFailure:   &Failure{ExitCode: 137, OOMKilled: true, Reason: "OOM killed", LastLines: []string{"a"}}}
	if err := dir.Write(in); err != nil {
		t.Fatal(err)
	}
	out, err := dir.Read("db")
	if err != nil || out.Phase != Exited || *out.ExitCode != 1 || !out.LastFailure.OOMKilled || !out.ShimStartedAt.Equal(in.ShimStartedAt) {
		t.Fatalf("read back %+v, %v", out, err)
	}
	st, _ := os.Stat(dir.State("db"))
	if st.Mode().Perm()&0o022 != 0 {
		t.Fatalf("mode %v has group/other write", st.Mode())
	}
	entries, _ := os.ReadDir(string(dir))
	if len(entries) != 1 {
		t.Fatalf("leftover temporary files: %v", entries)
	}
}

func TestReadRejectsGarbageWithThePath(t *testing.T) {
	dir := Dir(t.TempDir())
	os.WriteFile(dir.State("db"), []byte("{torn"), 0o644)
	if _, err := dir.Read("db"); err == nil || errors.Is(err, ErrNone) {
		t.Fatalf("Read of garbage = %v", err)
	}
}

func TestResetTokensAreTakenOnceEach(t *testing.T) {
	dir := Dir(t.TempDir())
	if got := dir.TakeReset("db"); len(got) != 0 {
		t.Fatalf("TakeReset without a request = %v", got)
	}
	first, err := dir.RequestReset("db")
	if err != nil || len(first) != 24 {
		t.Fatalf("RequestReset = %q, %v", first, err)
	}
	second, _ := dir.RequestReset("db")
	other, _ := dir.RequestReset("db.reset") // a service whose name starts the same
	if second == first {
		t.Fatalf("two requests got the same token %q", first)
	}
	if got := dir.PendingResets("db"); len(got) != 2 {
		t.Fatalf("PendingResets = %v, want both requests", got)
	}
	withdrawn, _ := dir.RequestReset("db")
	dir.WithdrawReset("db", withdrawn)
	dir.WithdrawReset("db", "../../etc/passwd") // not a token: nothing happens
	got := dir.TakeReset("db")
	if len(got) != 2 || !slices.Contains(got, first) || !slices.Contains(got, second) {
		t.Fatalf("TakeReset = %v, want %q and %q: a second request must not replace the first", got, first, second)
	}
	if got := dir.TakeReset("db"); len(got) != 0 {
		t.Fatalf("requests taken twice: %v", got)
	}
	if got := dir.TakeReset("db.reset"); len(got) != 1 || got[0] != other {
		t.Fatalf("the other service's request: %v, want [%s]", got, other)
	}
	if entries, _ := os.ReadDir(string(dir)); len(entries) != 0 {
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
