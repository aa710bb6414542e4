package profile

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

func TestAppName(t *testing.T) {
	long := strings.Repeat("x", 70)
	for in, want := range map[string]string{
		"db":           "db",
		"worker.one":   "worker-one",
		"a..b":         "a-b",
		".hidden":      "hidden",
		"all":          "svc-all",
		"123":          "svc-123",
		"...":          "svc-",
		"web frontend": "web-frontend",
		long:           strings.Repeat("x", 63),
		long + ".y":    strings.Repeat("x", 63),
	} {
		got := AppName(in)
		if got != want {
			t.Errorf("AppName(%q) = %q, want %q", in, got, want)
		}
		if got != "svc-" && ValidKey(got) != nil {
			t.Errorf("AppName(%q) = %q is no valid key: %v", in, got, ValidKey(got))
		}
	}
}

// Zero-config mode manages any service compose accepts, under the same name
// `init` gives it; two names that map to one app name are refused, naming both.
func TestZeroConfigMapsComposeNames(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "compose.yaml"), "name: z\nservices:\n  worker.one: {image: a}\n  db: {image: b}\n")
	p, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Service("worker-one")
	if err != nil || s.Compose != "worker.one" {
		t.Fatalf("worker-one: %+v, %v", s, err)
	}
	write(t, filepath.Join(dir, "compose.yaml"), "name: z\nservices:\n  worker.one: {image: a}\n  worker-one: {image: b}\n")
	_, err = Load(context.Background(), Options{Dir: dir})
	if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), `"worker-one" and "worker.one"`) {
		t.Fatalf("clash: %v", err)
	}
}
