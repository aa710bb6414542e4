package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pm2dock/pm2dock/internal/iostreams"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	io, out, errOut := iostreams.Test()
	f := NewFactory(io)
	return Run(context.Background(), f, args), out.String(), errOut.String()
}

func TestUsageErrorsExit2WithAHint(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"doctor", "--nope"}, {"version", "extra"}} {
		code, _, errOut := run(t, args...)
		if code != 2 || !strings.Contains(errOut, "--help") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a hint", args, code, errOut)
		}
		if strings.Count(errOut, "→") != 1 {
			t.Errorf("%v: want exactly one hint line, got %q", args, errOut)
		}
	}
}

func TestHelpListsExitStatus(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"doctor", "--help"}} {
		code, out, _ := run(t, args...)
		if code != 0 || !strings.Contains(out, "EXIT STATUS") || !strings.Contains(out, "7  Docker engine unreachable") {
			t.Errorf("%v: exit %d, help lacks EXIT STATUS:\n%s", args, code, out)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "pm2dock ") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}

func TestDoctorFlagsReachOptions(t *testing.T) {
	io, _, _ := iostreams.Test()
	var got *DoctorOptions
	cmd := NewCmdDoctor(NewFactory(io), func(o *DoctorOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--json"})
	if err := cmd.Execute(); err != nil || got == nil || !got.JSON {
		t.Fatalf("err %v, options %+v", err, got)
	}
}

func TestCompletionOffersTheProfilesServicesNotTypedYet(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pm2dock.yaml"), []byte("services:\n  db: {}\n  auth: {}\n"), 0o644)
	code, out, _ := run(t, "--dir", dir, "__complete", "restart", "db", "")
	if code != 0 || !strings.Contains(out, "auth\n") || strings.Contains(out, "db\n") || !strings.Contains(out, ":4") {
		t.Fatalf("__complete restart db '': exit %d\n%s\nwant auth only, no file completion", code, out)
	}
	if _, out, _ := run(t, "--dir", dir, "__complete", "logs", "--service", ""); !strings.Contains(out, "db\nauth\n") {
		t.Fatalf("__complete logs --service '':\n%s", out)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		if code, out, _ := run(t, "completion", sh); code != 0 || !strings.Contains(out, "pm2dock") {
			t.Errorf("completion %s: exit %d", sh, code)
		}
	}
}

// restore completes the service, then its snapshots' names.
func TestCompletionOffersSnapshotNames(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pm2dock.yaml"), []byte("snapshot_dir: snaps\nservices:\n  db: {}\n"), 0o644)
	snap := filepath.Join(dir, "snaps", "db", "before-migration")
	os.MkdirAll(snap, 0o755)
	os.WriteFile(filepath.Join(snap, "manifest.json"), []byte(`{"format": 1, "service": "db", "name": "before-migration", "volumes": []}`), 0o644)
	os.MkdirAll(filepath.Join(dir, "snaps", "db", "cut.partial"), 0o755)
	code, out, _ := run(t, "--dir", dir, "__complete", "restore", "db", "")
	if code != 0 || !strings.Contains(out, "before-migration\n") || strings.Contains(out, "cut") {
		t.Fatalf("__complete restore db '': exit %d\n%s\nwant the whole snapshot only", code, out)
	}
	if _, out, _ := run(t, "--dir", dir, "__complete", "restore", ""); !strings.Contains(out, "db\n") {
		t.Fatalf("__complete restore '':\n%s", out)
	}
}
