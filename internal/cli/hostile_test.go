package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pm2dock/pm2dock/internal/iostreams"
)

// Hostile service names and profile keys are refused with exit 2 before
// anything touches PM2, the engine or a path.
func TestHostileNamesExit2(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("name: h\nservices:\n  web:\n    image: x\n"), 0o644)
	names := []string{"../../etc/passwd", "a;rm -rf /", "$(reboot)", "web\nfoo", strings.Repeat("a", 300), "all", "42"}
	for _, verb := range []string{"logs", "status", "start", "stop", "restart", "run"} {
		for _, n := range names {
			io, _, errOut := iostreams.Test()
			f := NewFactory(io)
			f.Cwd = func() (string, error) { return dir, nil }
			f.Getenv = func(string) string { return "" }
			f.Environ = func() []string { return nil }
			if code := Run(context.Background(), f, []string{verb, n}); code != 2 {
				t.Errorf("%s %q: exit %d, want 2\n%s", verb, n, code, errOut)
			}
		}
	}
	bad := []string{"services:\n  \"a;b\": {service: web}\n", "services:\n  ../x: {service: web}\n", "services:\n  \"a\\nb\": {service: web}\n"}
	for _, profile := range bad {
		os.WriteFile(filepath.Join(dir, "pm2dock.yaml"), []byte(profile), 0o644)
		io, _, errOut := iostreams.Test()
		f := NewFactory(io)
		f.Cwd = func() (string, error) { return dir, nil }
		f.Environ = func() []string { return nil }
		if code := Run(context.Background(), f, []string{"ecosystem"}); code != 2 || !strings.Contains(errOut.String(), "not allowed") {
			t.Errorf("profile %q: exit %d, want 2\n%s", profile, code, errOut)
		}
	}
}
