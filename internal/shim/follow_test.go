package shim

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

// The engine stamps a process's first lines before it records StartedAt, so
// the replay of an empty store must not start there.
func TestRunBeganIsThePreviousRunsEndNotStartedAt(t *testing.T) {
	for _, c := range []struct {
		name string
		st   *container.State
		want time.Time
	}{
		{"no state", nil, time.Time{}},
		{"first run", &container.State{StartedAt: "2026-11-26T04:00:01.5Z", FinishedAt: "0001-01-01T00:00:00Z"}, time.Time{}},
		{"unparsable", &container.State{StartedAt: "2026-11-26T04:00:01.5Z", FinishedAt: "yesterday"}, time.Time{}},
		{"run again", &container.State{StartedAt: "2026-11-26T04:00:01.5Z", FinishedAt: "2026-11-26T03:59:58.25+01:00"},
			time.Date(2026, 11, 26, 2, 59, 58, 250e6, time.UTC)},
		{"the run ended before the shim looked", &container.State{StartedAt: "2026-11-26T04:00:01.5Z", FinishedAt: "2026-11-26T04:00:01.7Z"},
			time.Date(2026, 11, 26, 4, 0, 0, 500e6, time.UTC)},
	} {
		if got := runBegan(c.st); !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%s: runBegan = %v, want %v (UTC)", c.name, got, c.want)
		}
	}
}
