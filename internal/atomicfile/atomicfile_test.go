package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteReplacesAndLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if string(got) != "new" {
		t.Fatalf("content %q, want new", got)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("folder holds %d entries, want only the file: %v", len(entries), entries)
	}
}

func TestWriteFailureKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	os.WriteFile(path, []byte("old"), 0o644)
	// The target is a non-empty folder: the rename fails.
	blocked := filepath.Join(dir, "sub")
	os.MkdirAll(filepath.Join(blocked, "x"), 0o755)
	if err := Write(blocked, []byte("new"), 0o644); err == nil {
		t.Fatal("write over a non-empty folder succeeded")
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("other file changed: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("a temporary was left: %v", entries)
	}
}

func TestModeKeepsAnExistingFilesMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p")
	if m := Mode(path, 0o644); m != 0o644 {
		t.Fatalf("absent: %v", m)
	}
	os.WriteFile(path, nil, 0o600)
	if m := Mode(path, 0o644); runtime.GOOS != "windows" && m != 0o600 {
		t.Fatalf("existing: %v", m)
	}
}
