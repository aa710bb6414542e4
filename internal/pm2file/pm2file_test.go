package pm2file

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tee passes every byte to its stream and into the file, in order, once
// flushed; the writer's own result is the stream's.
func TestTeeWritesTheStreamAndTheFile(t *testing.T) {
	path := Path(t.TempDir(), "db")
	w := Open(path, 0)
	var out bytes.Buffer
	tw := w.Tee(&out)
	want := "first line\n\xff not utf-8 \x1b[31m\n[pm2dock] db: adopting\n"
	for _, l := range strings.SplitAfter(want, "\n") {
		if l == "" {
			continue
		}
		if n, err := tw.Write([]byte(l)); n != len(l) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != want || out.String() != want {
		t.Fatalf("file %q, stream %q; want both %q", got, out.String(), want)
	}
}

// Past max the file keeps its newest half, from a line start, and goes on
// appending after it; a flush by PM2 (truncation) does not stop it.
func TestFileIsCutToItsNewestHalf(t *testing.T) {
	path := Path(t.TempDir(), "db")
	const max = 4096
	w := Open(path, max)
	tw := w.Tee(&bytes.Buffer{})
	for i := range 1000 {
		fmt.Fprintf(tw, "line %04d\n", i)
		if i%50 == 0 {
			w.mu.Lock()
			w.flushAll(time.Now())
			w.mu.Unlock()
		}
	}
	w.mu.Lock()
	w.flushAll(time.Now())
	w.mu.Unlock()
	got, _ := os.ReadFile(path)
	if len(got) > max || len(got) < max/4 {
		t.Fatalf("file is %d bytes, want at most %d and a good part of it", len(got), max)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if lines[len(lines)-1] != "line 0999" || !strings.HasPrefix(lines[0], "line ") || len(lines[0]) != 9 {
		t.Fatalf("file runs %q … %q, want whole lines up to line 0999", lines[0], lines[len(lines)-1])
	}
	for i := 1; i < len(lines); i++ {
		var a, b int
		fmt.Sscanf(lines[i-1], "line %d", &a)
		fmt.Sscanf(lines[i], "line %d", &b)
		if b != a+1 {
			t.Fatalf("lines %d and %d follow each other: a gap or a repeat", a, b)
		}
	}
	if err := os.Truncate(path, 0); err != nil { // pm2 flush
		t.Fatal(err)
	}
	fmt.Fprintf(tw, "after flush\n")
	w.Close()
	if got, _ := os.ReadFile(path); string(got) != "after flush\n" {
		t.Fatalf("after pm2 flush the file holds %q", got)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// A folder that cannot be written drops the window's bytes, never the
// stream's, and the file is written again once it can be.
func TestUnwritableFolderNeverFailsTheStream(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "db")
	os.WriteFile(blocker, []byte("a file where the folder should be"), 0o644)
	w := Open(Path(dir, "db"), 0)
	var out bytes.Buffer
	if n, err := w.Tee(&out).Write([]byte("kept\n")); n != 5 || err != nil || out.String() != "kept\n" {
		t.Fatalf("Write = %d, %v; stream %q", n, err, out.String())
	}
	w.mu.Lock()
	w.flushAll(time.Now())
	w.mu.Unlock()
	os.Remove(blocker)
	w.mu.Lock()
	w.retryAt = time.Now() // the second has passed
	w.mu.Unlock()
	w.Tee(&out).Write([]byte("again\n"))
	w.Close()
	if got, _ := os.ReadFile(Path(dir, "db")); string(got) != "again\n" {
		t.Fatalf("file holds %q, want what came after it could be written", got)
	}
}
