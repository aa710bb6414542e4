package profile

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rulesDir holds one folder per rule of compose's for choosing a project;
// test/e2e checks each against `docker compose config` itself.
const rulesDir = "../../test/e2e/testdata/compose-rules"

// shellEnv reads a rule folder's shell.env: what a shell exports there.
func shellEnv(t *testing.T, dir string) []string {
	raw, err := os.ReadFile(filepath.Join(dir, "shell.env"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(raw))
}

// The project is chosen by compose's own rules, from the environment and from
// the project's .env alike.
func TestComposeRules(t *testing.T) {
	for _, c := range []struct {
		dir      string
		project  string
		services []string
		profiles []string
	}{
		{"compose-file-in-dotenv", "quick", []string{"hydra", "postgres"}, nil},
		{"compose-file-in-subfolder", "sub", []string{"a"}, nil}, // the project's folder is the file's
		{"path-separator", "sep", []string{"a", "b"}, nil},
		{"project-name-in-dotenv", "fromdotenv", []string{"a"}, nil},
		{"profiles-in-dotenv", "prof", []string{"a", "b"}, []string{"debug"}},
		{"env-files-from-shell", "fromci", []string{"a"}, nil},
		{"override-file", "over", []string{"a", "b"}, nil},
		{"include-and-extends", "inc", []string{"app", "db"}, nil},
		{"shell-wins-over-dotenv", "fromshell", []string{"a"}, nil},
	} {
		t.Run(c.dir, func(t *testing.T) {
			dir, _ := filepath.Abs(filepath.Join(rulesDir, c.dir))
			// From another folder, as Nx runs `pm2dock --dir=…` from the workspace root.
			p, err := Load(context.Background(), Options{Dir: dir, Env: shellEnv(t, dir)})
			if err != nil {
				t.Fatal(err)
			}
			got := p.Project.ServiceNames()
			slices.Sort(got)
			if p.Project.Name != c.project || !slices.Equal(got, c.services) {
				t.Fatalf("project %q services %v, want %q %v", p.Project.Name, got, c.project, c.services)
			}
			if c.profiles != nil && !slices.Equal(p.Project.Profiles, c.profiles) {
				t.Fatalf("profiles %v, want %v", p.Project.Profiles, c.profiles)
			}
		})
	}
	entries, _ := os.ReadDir(rulesDir)
	if n := len(entries) - 1; n != 9 { // and README.md
		t.Fatalf("%d rule folders, the table has 9: add the new one here", n)
	}
}
