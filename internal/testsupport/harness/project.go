package harness

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Project is a compose project owned by one test.
type Project struct {
	t    testing.TB
	Name string // unique compose project name
	Dir  string // folder holding the compose file
}

// NewProject creates a folder with compose.yaml = composeYAML and a unique project
// name, and registers the cleanup of everything labelled with that name.
func NewProject(t testing.TB, composeYAML string) *Project {
	t.Helper()
	p := &Project{t: t, Name: "pm2dt" + randHex(5), Dir: t.TempDir()}
	if composeYAML != "" {
		p.WriteFile("compose.yaml", composeYAML)
	}
	t.Cleanup(p.Cleanup)
	return p
}

// WriteFile writes a file into the project folder.
func (p *Project) WriteFile(name, content string) string {
	p.t.Helper()
	path := filepath.Join(p.Dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// Compose runs `docker compose -p NAME args...` in the project folder.
func (p *Project) Compose(args ...string) string {
	p.t.Helper()
	return Docker(p.t, p.Dir, append([]string{"compose", "-p", p.Name}, args...)...)
}

// Label is the label filter that selects this project's objects.
func (p *Project) Label() string { return "com.docker.compose.project=" + p.Name }

// Cleanup removes every container, network and volume of the project by label.
func (p *Project) Cleanup() {
	for _, kind := range []struct{ list, rm []string }{
		{[]string{"ps", "-aq"}, []string{"rm", "-f", "-v"}},
		{[]string{"network", "ls", "-q"}, []string{"network", "rm"}},
		{[]string{"volume", "ls", "-q"}, []string{"volume", "rm", "-f"}},
	} {
		out, err := exec.Command("docker", append(kind.list, "--filter", "label="+p.Label())...).Output()
		if err != nil {
			p.t.Logf("cleanup %s: %v", p.Name, err)
			continue
		}
		ids := strings.Fields(string(out))
		if len(ids) == 0 {
			continue
		}
		if out, err := exec.Command("docker", append(kind.rm, ids...)...).CombinedOutput(); err != nil {
			p.t.Logf("cleanup %s: docker %s: %v\n%s", p.Name, strings.Join(kind.rm, " "), err, out)
		}
	}
}

// Docker runs the docker CLI (argv, no shell) in dir and returns its stdout; the
// test fails on error with stderr in the message.
func Docker(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := TryDocker(dir, args...)
	if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// TryDocker is Docker without failing the test.
func TryDocker(dir string, args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &cmdError{err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

type cmdError struct {
	err    error
	stderr string
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
