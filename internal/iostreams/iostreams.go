// Package iostreams is the one place pm2dock's output goes through: it knows
// whether stdout is a terminal (tables with relative times) or a pipe (stable,
// machine-readable lines), and whether a coding agent runs pm2dock (then
// stdout counts as a pipe whatever it is, and progress lines are left out:
// results and errors only). pm2dock writes no colour, so NO_COLOR holds
// trivially.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// IOStreams bundles the standard streams with what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY, stdinTTY bool
	// Agent names the coding agent that runs pm2dock (DetectAgent); "" for a
	// person or a CI job.
	Agent string
}

// System returns the process's own streams.
func System() *IOStreams {
	agent := DetectAgent(os.Getenv)
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdoutTTY: agent == "" && term.IsTerminal(int(os.Stdout.Fd())),
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		Agent:     agent,
	}
}

// agentEnv are the variables coding agents set in the commands they run,
// each with the agent it names (the list of unjs/std-env's agent detection,
// which its authors verified per agent; AI_AGENT is the explicit form).
var agentEnv = []struct{ name, agent string }{
	{"CLAUDECODE", "claude"}, {"CLAUDE_CODE", "claude"},
	{"CURSOR_AGENT", "cursor"},
	{"CODEX_SANDBOX", "codex"}, {"CODEX_THREAD_ID", "codex"},
	{"GEMINI_CLI", "gemini"},
	{"AUGMENT_AGENT", "augment"},
	{"OPENCODE", "opencode"}, {"OPENCODE_CALLER", "opencode"},
	{"GOOSE_PROVIDER", "goose"},
	{"REPL_ID", "replit"},
}

// DetectAgent names the coding agent whose variables getenv shows, or "":
// AI_AGENT's value when set, else the first of agentEnv set non-empty.
func DetectAgent(getenv func(string) string) string {
	if a := getenv("AI_AGENT"); a != "" {
		return a
	}
	for _, e := range agentEnv {
		if getenv(e.name) != "" {
			return e.agent
		}
	}
	return ""
}

// Progress is where a command's progress lines go ("db: starting through
// PM2"): stderr, or nowhere for an agent, which reads results only.
func (s *IOStreams) Progress() io.Writer {
	if s.Agent != "" {
		return io.Discard
	}
	return s.ErrOut
}

// Test returns streams backed by buffers, as a pipe would be.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: &bytes.Buffer{}, Out: out, ErrOut: errOut}, out, errOut
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// SyncBuffer is a buffer that goroutines may write while another reads it: a
// command's output collected rather than printed (the MCP tools: start writes
// progress from a goroutine per service).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Len is how many bytes were written so far.
func (s *SyncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
