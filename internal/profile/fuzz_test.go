package profile

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadFile: any bytes as pm2dock.yaml give a profile or an error that
// names the file — never a panic.
func FuzzReadFile(f *testing.F) {
	for _, s := range []string{
		"services:\n  db:\n    service: postgres\n",
		"defaults:\n  restart: {max: 3, window: 1m}\n",
		"logs:\n  max_size: 1GiB\n  segment_size: 64MiB\n",
		"services:\n  db: {colour: blue}\n",
		"a: [\n",
		"services: !!binary aGVsbG8=\n",
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join("/ws", FileName)
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, _, err := decodeFile(path, data)
		if err != nil && !strings.Contains(err.Error(), path) {
			t.Fatalf("error does not name the file: %v", err)
		}
		if err == nil && raw == nil {
			t.Fatal("nil profile without an error")
		}
	})
}

// FuzzParseSize: never a panic; accepted sizes are non-negative.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64MiB", "1GiB", "500MB", "4096", "-1", "9223372036854775807GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseSize(s); err == nil && n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}

// FuzzParseDuration: never a panic; accepted durations are non-negative.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "10m", "168h", "-1s", "1e9h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
	})
}
