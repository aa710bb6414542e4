package status

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/verdict"
)

// A note under a row (a long last failure) is not laid out as a cell: the
// columns stay as narrow as the rows make them, and the note follows its row.
func TestTableNotesMoveNoColumn(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := now.Add(-time.Minute)
	rows := []Row{
		{Name: "db", State: verdict.Healthy, PM2: PM2{Status: "online", PID: 42}},
		{Name: "auth", State: verdict.CrashLoop, PM2: PM2{Status: "stopped"},
			LastFailure: &Failure{At: at, Reason: "crash loop: 3 failures within 1m0s; last: exited with code 3 " + strings.Repeat("x", 80)},
			StoreError:  "write: no space left on device"},
		{Name: "migrate", State: verdict.Completed, PM2: PM2{Status: "stopped"}, Completed: &Completion{At: at, RanS: 1.5}},
	}
	var b bytes.Buffer
	if err := Table(&b, rows, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "NAME     STATE") {
		t.Errorf("the first column is stretched:\n%s", b.String())
	}
	want := []string{"NAME", "db ", "auth ", "  └ last failure 1m", "  └ log store: write: no space", "migrate ", "  └ completed 1m"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], w)
		}
		if strings.HasSuffix(lines[i], " ") {
			t.Errorf("line %d ends in spaces: %q", i, lines[i])
		}
	}
	stateAt := strings.Index(lines[0], "STATE")
	for _, i := range []int{1, 2, 5} {
		if !strings.HasPrefix(lines[i][stateAt:], string(rows[map[int]int{1: 0, 2: 1, 5: 2}[i]].State)) {
			t.Errorf("line %d: STATE not under its header: %q", i, lines[i])
		}
	}
}
