// Package pm2 finds and drives the PM2 CLI (mutations) and, in later files, reads
// PM2's state. The workspace's node_modules/.bin/pm2 comes before PATH
// (docs/architecture.md#pm2-cli-and-rpc).
package pm2

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// Binary is a located pm2 CLI.
type Binary struct {
	Path    string `json:"path"`    // absolute path of the pm2 executable
	Version string `json:"version"` // from the package's package.json, "" when unknown
	Source  string `json:"source"`  // "PM2DOCK_PM2", "workspace" or "PATH"
}

// ErrNotFound means no pm2 CLI was found anywhere pm2dock looks.
var ErrNotFound = errors.New("pm2 not found")

// Locate finds pm2: $PM2DOCK_PM2, then node_modules/.bin/pm2 in dir or its nearest
// parent, then PATH. The error carries exit code 8.
func Locate(dir string, getenv func(string) string) (Binary, error) {
	if p := getenv("PM2DOCK_PM2"); p != "" {
		if isExecutable(p) {
			return describe(p, "PM2DOCK_PM2"), nil
		}
		return Binary{}, missing(fmt.Errorf("PM2DOCK_PM2=%s is not an executable file", p))
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", ".bin", "pm2")
		if isExecutable(p) {
			return describe(p, "workspace"), nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if p, err := exec.LookPath("pm2"); err == nil {
		abs, _ := filepath.Abs(p)
		return describe(abs, "PATH"), nil
	}
	return Binary{}, missing(fmt.Errorf("%w in %s/node_modules/.bin or its parents, nor on PATH", ErrNotFound, dir))
}

func missing(err error) error {
	return exitcode.New(exitcode.PM2Missing, err,
		"install it in the workspace (`npm install --save-dev pm2@7`, then `npm ci`) or globally (`npm install -g pm2`), or set PM2DOCK_PM2")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// describe reads the version from pm2's package.json, found from the real path
// of the executable (node_modules/.bin/pm2 → ../pm2/bin/pm2), so that no node
// process is spawned and no PM2 daemon can be started by asking.
func describe(p, source string) Binary {
	b := Binary{Path: p, Source: source}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return b
	}
	for d := filepath.Dir(real); d != filepath.Dir(d); d = filepath.Dir(d) {
		raw, err := os.ReadFile(filepath.Join(d, "package.json"))
		if err != nil {
			continue
		}
		var pkg struct{ Name, Version string }
		if json.Unmarshal(raw, &pkg) == nil && pkg.Name == "pm2" {
			b.Version = pkg.Version
		}
		break
	}
	return b
}

// Home returns the PM2_HOME the CLI and daemon use: $PM2_HOME or ~/.pm2.
func Home(getenv func(string) string) string {
	if h := getenv("PM2_HOME"); h != "" {
		return h
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".pm2"
	}
	return filepath.Join(home, ".pm2")
}
