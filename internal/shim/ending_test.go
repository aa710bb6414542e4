package shim

import (
	"testing"

	"github.com/moby/moby/api/types/container"
)

// docker kill is told from an engine shutting down by the first signal: the
// engine stops each container with its stop signal first.
func TestKilledOutright(t *testing.T) {
	for _, c := range []struct {
		first, stop string
		want        bool
	}{
		{"9", "", true}, {"SIGKILL", "", true}, {"KILL", "SIGTERM", true},
		{"15", "", false}, {"", "", false}, {"2", "SIGINT", false},
		{"9", "SIGKILL", false}, {"9", "9", false}, // stop_signal: SIGKILL: a shutdown looks the same
	} {
		if got := killedOutright(c.first, &container.Config{StopSignal: c.stop}); got != c.want {
			t.Errorf("first %q, stop signal %q: %v, want %v", c.first, c.stop, got, c.want)
		}
	}
	if !killedOutright("9", nil) {
		t.Error("no config: SIGKILL first is still a kill")
	}
}
