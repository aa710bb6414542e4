package handoff

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWriteKeepsOnlyReferencedNamesAndEarlierValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handoff.env")
	names := []string{"PGPW", "TOKEN"}
	if err := Write(path, names, []string{"PGPW=a b\"c", "UNRELATED=x"}); err != nil {
		t.Fatal(err)
	}
	// A second shell sets TOKEN only: PGPW survives, UNRELATED never appears.
	if err := Write(path, names, []string{"TOKEN=t"}); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil || !slices.Equal(got, []string{"PGPW=a b\"c", "TOKEN=t"}) {
		t.Fatalf("Read = %q, %v", got, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestScrubKeepsNoSecrets(t *testing.T) {
	got := Scrub([]string{"PATH=/bin", "POSTGRES_PASSWORD=s", "PM2_HOME=/h", "AWS_SECRET_ACCESS_KEY=k"})
	if !slices.Equal(got, []string{"PATH=/bin", "PM2_HOME=/h"}) {
		t.Fatalf("Scrub = %q", got)
	}
}

// COMPOSE_* choose the project: they come from the current shell only, or a
// project name exported once would keep the shims on another project.
func TestComposeSettingsAreNotCarriedOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handoff.env")
	names := []string{"COMPOSE_PROJECT_NAME", "PGPW"}
	if err := Write(path, names, []string{"COMPOSE_PROJECT_NAME=staging", "PGPW=x"}); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, names, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := Read(path)
	if !slices.Equal(got, []string{"PGPW=x"}) {
		t.Fatalf("Read = %q, want only PGPW carried over", got)
	}
}
