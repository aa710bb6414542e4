// Package handoff carries the variables a compose project reads from the
// invoking shell (say POSTGRES_PASSWORD exported before `pm2dock start`) to the
// shim that PM2 starts — without PM2 ever seeing them, because PM2 copies an
// app's environment into `pm2 env`, `pm2 jlist` and its dump file.
//
// `pm2dock start` writes <state_dir>/handoff.env, mode 0600, holding only the
// variables the project references (profile.ReferencedVars) that are set in its
// environment; the shim reads it at run time and it wins over the environment
// the shim inherited from the PM2 daemon. The pm2 CLI itself runs with a
// scrubbed environment (Scrub).
package handoff

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pm2dock/pm2dock/internal/atomicfile"
)

// Write stores the referenced variables that env sets into the handoff file at
// path (0600; state.Dir.Handoff). A variable this shell does not set keeps the value an earlier start
// handed over: `pm2dock restart auth` from a second terminal must not strip the
// database password the first one exported. COMPOSE_* variables are the
// exception: they are this shell's or none.
func Write(path string, names []string, env []string) error {
	set := map[string]string{}
	prev, err := Read(path)
	if err != nil {
		return err
	}
	for _, kv := range prev {
		// compose's own COMPOSE_* settings choose the project: they come from
		// this shell only, so one exported once cannot outlive it in the shims
		// while this start loads another project.
		if k, v, ok := strings.Cut(kv, "="); ok && !strings.HasPrefix(k, "COMPOSE_") {
			set[k] = v
		}
	}
	for _, kv := range env { // the current shell wins
		if k, v, ok := strings.Cut(kv, "="); ok {
			set[k] = v
		}
	}
	var b bytes.Buffer
	b.WriteString("# written by pm2dock start for its shims; mode 0600; do not commit\n")
	for _, n := range names {
		if v, ok := set[n]; ok {
			fmt.Fprintf(&b, "%s=%s\n", n, strconv.Quote(v))
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := atomicfile.Write(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Read returns the variables of the handoff file at path as KEY=VALUE; none
// when it is absent.
func Read(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, q, ok := strings.Cut(line, "=")
		v, err := strconv.Unquote(q)
		if !ok || err != nil {
			return nil, fmt.Errorf("%s:%d: malformed line", path, n)
		}
		out = append(out, k+"="+v)
	}
	return out, sc.Err()
}

// keep lists the variables the pm2 CLI (and through it the shim) may inherit:
// what locating docker, node and PM2 needs, and nothing a secret could be in.
var keep = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
	"TERM", "NO_COLOR", "PM2_HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_HOST", "DOCKER_CONTEXT",
	"DOCKER_CONFIG", "DOCKER_CERT_PATH", "DOCKER_TLS", "DOCKER_TLS_VERIFY", "DOCKER_API_VERSION", "SSH_AUTH_SOCK"}

// Scrub returns the subset of env that may reach PM2.
func Scrub(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		for _, want := range keep {
			if k == want {
				out = append(out, kv)
				break
			}
		}
	}
	return out
}
