package iostreams

import (
	"io"
	"testing"
)

func TestDetectAgent(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"CLAUDECODE": "1"}, "claude"},
		{map[string]string{"CODEX_THREAD_ID": "t-1"}, "codex"},
		{map[string]string{"CURSOR_AGENT": "1"}, "cursor"},
		{map[string]string{"AI_AGENT": "my-bot", "CLAUDECODE": "1"}, "my-bot"},
		{map[string]string{"CLAUDECODE": ""}, ""},
		{map[string]string{"TERM": "xterm", "CI": "true"}, ""}, // a CI job is no agent
	} {
		if got := DetectAgent(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %q, want %q", c.env, got, c.want)
		}
	}
}

// An agent gets results and errors, not progress lines.
func TestProgressIsQuietForAnAgent(t *testing.T) {
	s, _, errOut := Test()
	if s.Progress() != io.Writer(errOut) {
		t.Error("a person's progress does not go to stderr")
	}
	s.Agent = "claude"
	if s.Progress() != io.Discard {
		t.Error("an agent's progress is not discarded")
	}
}
