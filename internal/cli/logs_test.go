package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pm2dock/pm2dock/internal/iostreams"
)

// An inverted or empty window is a usage error naming both ends, for logs
// and events alike, before any store is read.
func TestInvertedWindowExits2(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pm2dock.yaml"), []byte("services:\n  db: {service: postgres}\n"), 0o644)
	for _, verb := range []string{"logs", "events"} {
		for _, w := range [][2]string{{"5m", "10m"}, {"2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z"}} {
			io, _, errOut := iostreams.Test()
			f := NewFactory(io)
			f.Cwd = func() (string, error) { return dir, nil }
			f.Environ = func() []string { return nil }
			code := Run(context.Background(), f, []string{verb, "--since", w[0], "--until", w[1]})
			if code != 2 || !strings.Contains(errOut.String(), "the window is empty") || !strings.Contains(errOut.String(), "--until "+w[1]) {
				t.Errorf("%s --since %s --until %s: exit %d, want 2 naming the window\n%s", verb, w[0], w[1], code, errOut)
			}
		}
	}
}
