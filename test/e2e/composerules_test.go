package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// Every rule compose has for choosing its project (testdata/compose-rules, one
// folder each) resolves in pm2dock to what `docker compose config` resolves in
// the same folder with the same environment: the project name (the PM2
// namespace by default) and the services (the PM2 apps of zero-config mode).
// pm2dock runs from the repository root with --dir, as Nx runs it.
func TestComposeRulesAgreeWithDockerCompose(t *testing.T) {
	h.Require(t)
	root, _ := filepath.Abs("testdata/compose-rules")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if !en.IsDir() {
			continue
		}
		t.Run(en.Name(), func(t *testing.T) {
			dir := filepath.Join(root, en.Name())
			t.Cleanup(func() { os.RemoveAll(filepath.Join(dir, ".pm2dock")) })
			env := os.Environ()
			if raw, err := os.ReadFile(filepath.Join(dir, "shell.env")); err == nil {
				env = append(env, strings.Fields(string(raw))...)
			}
			cmd := exec.Command("docker", "compose", "config", "--format", "json")
			cmd.Dir, cmd.Env = dir, env
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("docker compose config: %v\n%s", err, exitStderr(err))
			}
			var cfg struct {
				Name     string                     `json:"name"`
				Services map[string]json.RawMessage `json:"services"`
			}
			if err := json.Unmarshal(out, &cfg); err != nil {
				t.Fatal(err)
			}
			want := make([]string, 0, len(cfg.Services))
			for s := range cfg.Services {
				want = append(want, s)
			}
			slices.Sort(want)

			cmd = exec.Command(h.Binary(t), "--dir", dir, "ecosystem")
			cmd.Dir, cmd.Env = h.RepoRoot(), env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err = cmd.Output()
			if err != nil {
				t.Fatalf("pm2dock ecosystem: %v\n%s", err, stderr.String())
			}
			var eco struct {
				Apps []struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
				} `json:"apps"`
			}
			if err := json.Unmarshal(out, &eco); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range eco.Apps {
				got = append(got, a.Name)
				if a.Namespace != cfg.Name {
					t.Errorf("app %s in namespace %q, compose's project is %q", a.Name, a.Namespace, cfg.Name)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("pm2dock manages %v, docker compose config resolves %v", got, want)
			}
		})
	}
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// examples/zitadel uses public images, which cannot be pulled here; its files
// must still be what `docker compose config` accepts and what pm2dock loads.
func TestZitadelExampleLoads(t *testing.T) {
	h.Require(t)
	dir := filepath.Join(h.RepoRoot(), "examples", "zitadel")
	env := append(os.Environ(), "POSTGRES_PASSWORD=pw-for-the-check", "ZITADEL_MASTERKEY=MasterkeyNeedsToHave32Characters",
		"ZITADEL_IMAGE=zitadel-image-for-the-check:v0")
	cmd := exec.Command("docker", "compose", "config", "--quiet")
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
	cmd = exec.Command(h.Binary(t), "ecosystem")
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pm2dock ecosystem: %v\n%s", err, exitStderr(err))
	}
	if !strings.Contains(string(out), `"name": "db"`) || !strings.Contains(string(out), `"name": "auth"`) ||
		strings.Contains(string(out), "pw-for-the-check") {
		t.Fatalf("ecosystem of examples/zitadel:\n%s", out)
	}
}
