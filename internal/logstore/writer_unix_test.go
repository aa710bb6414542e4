//go:build unix

package logstore

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriterCreatesFilesWithoutGroupOrOtherWrite(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	w := openWriter(t, dir, "db", WriterOptions{})
	mustAppend(t, w, mkrec(t0, "stdout", "x"))
	w.Close()
	for path, want := range map[string]fs.FileMode{
		filepath.Join(dir, "db"):                     0o755 | fs.ModeDir,
		filepath.Join(dir, "db", segmentName(t0, 0)): 0o644,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, st.Mode(), want)
		}
	}
}
