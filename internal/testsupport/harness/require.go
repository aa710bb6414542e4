package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Image tags built by scripts/build-images.sh.
const (
	PostgresImage = "pm2dock-test/postgres:15"
	FixtureImage  = "pm2dock-test/fixture:dev"
	AuthImage     = "pm2dock-test/authstub:dev"
	HydraImage    = "pm2dock-test/hydra:v2.3.0"
)

// Require skips t unless the integration suite is enabled (PM2DOCK_E2E=1), and
// turns the skip into a failure under PM2DOCK_E2E_DISALLOW_SKIP=1.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv("PM2DOCK_E2E") != "1" {
		skip(t, "integration test: set PM2DOCK_E2E=1 (make test does)")
	}
}

// skip skips, or fails when skipping is disallowed.
func skip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("PM2DOCK_E2E_DISALLOW_SKIP") == "1" {
		t.Fatalf("cannot skip under PM2DOCK_E2E_DISALLOW_SKIP=1: %s", why)
	}
	t.Skip(why)
}

// RequireImage skips (or fails) when a locally built image is absent.
func RequireImage(t testing.TB, tag string) {
	t.Helper()
	if err := exec.Command("docker", "image", "inspect", tag).Run(); err != nil {
		skip(t, "image "+tag+" is missing: run scripts/build-images.sh (make images)")
	}
}

// RepoRoot is the folder holding go.mod.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/pm2dock once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pm2dock-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "pm2dock")
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, "./cmd/pm2dock")
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // static, as the npm packages ship it
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("build pm2dock: %v", buildErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// RequireBrowser skips (or fails under PM2DOCK_E2E_DISALLOW_SKIP=1) when
// no Chromium can be started: scripts/provision-browser.sh installs it.
func RequireBrowser(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		skip(t, "no headless browser: "+err.Error())
	}
}
