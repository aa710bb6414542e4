package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// fake answers only the calls a test expects; any other fails the test.
type fake struct {
	t       *testing.T
	expect  string // the one method this test expects
	status  Status
	lines   int // Logs/Events: how many lines to write
	err     error
	calls   []string
	gotWin  Window
	gotWait time.Duration
}

func (f *fake) called(m string) {
	f.calls = append(f.calls, m)
	if m != f.expect {
		f.t.Errorf("unexpected backend call %s (expected %q)", m, f.expect)
	}
}

func (f *fake) Status(_ context.Context, services []string) (Status, error) {
	f.called("Status")
	return f.status, f.err
}

func (f *fake) write(q Window, w io.Writer) error {
	f.gotWin = q
	for i := 0; i < f.lines; i++ {
		fmt.Fprintf(w, "2026-12-07T10:00:%02d.000Z db stdout INFO line %05d\n", i%60, i)
	}
	return f.err
}

func (f *fake) Logs(_ context.Context, q Window, w *Budget) error {
	f.called("Logs")
	return f.write(q, w)
}

func (f *fake) Events(_ context.Context, q Window, w *Budget) error {
	f.called("Events")
	return f.write(q, w)
}

func (f *fake) Wait(_ context.Context, _ []string, timeout time.Duration) (Status, error) {
	f.called("Wait")
	f.gotWait = timeout
	return f.status, f.err
}

func (f *fake) Data(_ context.Context, verb string, in DataIn) (string, error) {
	f.called("Data:" + verb)
	return verb + " " + in.Service + " " + in.Name, f.err
}

func (f *fake) Control(_ context.Context, verb string, _ []string) (string, error) {
	f.called("Control:" + verb)
	return "db restarted", f.err
}

func connect(t *testing.T, b Backend, o Options) *mcp.ClientSession {
	t.Helper()
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	if _, err := New(b, o).Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	return text.String(), res.IsError
}

// Every tool has a description and an object schema whose properties are
// the arguments the CLI takes; the controls are listed (and refused until
// allowed).
func TestToolSchemas(t *testing.T) {
	cs := connect(t, &fake{t: t}, Options{Version: "test"})
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"status":  {"services"},
		"logs":    {"grep", "level", "max_bytes", "services", "since", "tail", "until"},
		"events":  {"max_bytes", "services", "since", "tail", "until"},
		"wait":    {"services", "timeout"},
		"start":   {"services"},
		"restart": {"services"},
		"stop":    {"services"},
	}
	for _, v := range DataVerbs {
		want[v] = []string{"name", "restart", "service", "services"}
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		raw, _ := json.Marshal(tool.InputSchema)
		var schema struct {
			Type       string                     `json:"type"`
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		if err := json.Unmarshal(raw, &schema); err != nil {
			t.Fatal(err)
		}
		var props []string
		for p, def := range schema.Properties {
			props = append(props, p)
			if !strings.Contains(string(def), `"description"`) {
				t.Errorf("%s.%s has no description: %s", tool.Name, p, def)
			}
		}
		slices.Sort(props)
		if schema.Type != "object" || !slices.Equal(props, want[tool.Name]) || len(schema.Required) != 0 {
			t.Errorf("%s: schema %s, want an object of %v, none required", tool.Name, raw, want[tool.Name])
		}
		if tool.Description == "" || strings.Contains(tool.Description, "\n") {
			t.Errorf("%s: description %q, want one line", tool.Name, tool.Description)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"events", "logs", "pull", "reset", "restart", "restore", "snapshot", "start", "status", "stop", "wait"}) {
		t.Errorf("tools %v", names)
	}
}

// A long window is cut to the budget: the newest lines kept, whole, and a
// notice with how many were left out and how to narrow the window.
func TestLogsKeepTheNewestLinesWithinTheBudget(t *testing.T) {
	f := &fake{t: t, expect: "Logs", lines: 5000}
	cs := connect(t, f, Options{})
	text, isErr := call(t, cs, "logs", map[string]any{"services": []string{"db"}, "since": "1h", "grep": "line", "max_bytes": 4096})
	if isErr {
		t.Fatal(text)
	}
	if len(text) > 4096+300 {
		t.Errorf("answer of %d bytes for a budget of 4096", len(text))
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	notice := lines[len(lines)-1]
	kept := lines[:len(lines)-1]
	if !strings.HasSuffix(kept[len(kept)-1], "line 04999") {
		t.Errorf("the newest line is not kept: %q", kept[len(kept)-1])
	}
	for _, l := range kept {
		if !strings.HasPrefix(l, "2026-12-07T10:00:") {
			t.Fatalf("a kept line is not whole: %q", l)
		}
	}
	want := fmt.Sprintf("[%d earlier lines", 5000-len(kept))
	if !strings.HasPrefix(notice, want) || !strings.Contains(notice, "since/until") || !strings.Contains(notice, "max_bytes") {
		t.Errorf("notice %q, want it to start %q and say how to narrow", notice, want)
	}
	if q := f.gotWin; q.Since != "1h" || q.Grep != "line" || !slices.Equal(q.Services, []string{"db"}) {
		t.Errorf("the query reached the backend as %+v", q)
	}
	// Within the budget: everything, no notice.
	f.lines = 3
	text, _ = call(t, cs, "logs", nil)
	if strings.Count(text, "\n") != 3 || strings.Contains(text, "left out") {
		t.Errorf("a small window: %q", text)
	}
	f.lines, f.expect = 0, "Events"
	if text, _ = call(t, cs, "events", nil); !strings.Contains(text, "[no events in this window]") {
		t.Errorf("an empty window: %q", text)
	}
}

func TestBudgetBounds(t *testing.T) {
	for _, n := range []int{-1, 1, 4, MinMaxBytes - 1, MaxMaxBytes + 1} {
		if _, err := NewBudget(n); exitcode.FromError(err) != exitcode.Usage {
			t.Errorf("NewBudget(%d): %v, want a usage error", n, err)
		}
	}
	b, _ := NewBudget(64)
	fmt.Fprint(b, strings.Repeat("x", 500)+"\nshort\npartial")
	text := b.Text("lines", "narrow")
	if !strings.Contains(text, "partial\n") || !strings.Contains(text, "left out") || len(strings.Split(text, "\n")[0]) > 64 {
		t.Errorf("budget of 64: %q", text)
	}
	b, _ = NewBudget(64)
	fmt.Fprint(b, strings.Repeat("y", 500)+"\n")
	if text := b.Text("lines", "narrow"); !strings.Contains(text, "…") || !strings.Contains(text, "shortened") {
		t.Errorf("one line over the budget: %q", text)
	}
}

// Errors are tool errors with the exit code's meaning and the hint, never a
// broken session; the session answers the next call.
func TestErrorsAreToolErrors(t *testing.T) {
	f := &fake{t: t, expect: "Status", err: exitcode.New(exitcode.EngineDown, fmt.Errorf("the Docker engine at unix:///x did not answer"), "start Docker")}
	cs := connect(t, f, Options{})
	text, isErr := call(t, cs, "status", nil)
	if !isErr || !strings.Contains(text, "exit code 7: Docker engine unreachable") || !strings.Contains(text, "hint: start Docker") {
		t.Errorf("status with the engine down: error %v, %q", isErr, text)
	}
	f.expect = ""
	if text, isErr := call(t, cs, "logs", map[string]any{"max_bytes": MaxMaxBytes * 2}); !isErr || !strings.Contains(text, "exit code 2") {
		t.Errorf("max_bytes over the bound: %v %q", isErr, text)
	}
	if text, isErr := call(t, cs, "wait", map[string]any{"timeout": "soon"}); !isErr || !strings.Contains(text, `timeout "soon"`) {
		t.Errorf("a bad timeout: %v %q", isErr, text)
	}
	// A malformed call: an argument of the wrong type is refused before the backend.
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "logs", Arguments: map[string]any{"tail": "many"}})
	if err != nil || !res.IsError {
		t.Errorf("tail: \"many\": %v, %+v; want a tool error", err, res)
	}
	f.expect, f.err, f.status = "Status", nil, Status{Verdicts: []string{"db: healthy"}, Rows: json.RawMessage(`[]`)}
	if text, isErr := call(t, cs, "status", nil); isErr || !strings.HasPrefix(text, "db: healthy\n") {
		t.Errorf("the session after errors: %v %q", isErr, text)
	}
	if len(f.calls) != 2 {
		t.Errorf("backend calls %v, want the two status calls only", f.calls)
	}
}

// The controls are refused, saying how to allow them, until the server is
// started with --allow-control.
func TestControlsNeedAllowControl(t *testing.T) {
	f := &fake{t: t}
	text, isErr := call(t, connect(t, f, Options{}), "restart", map[string]any{"services": []string{"db"}})
	if !isErr || !strings.Contains(text, "--allow-control") || len(f.calls) != 0 {
		t.Errorf("restart on a read-only server: %v %q, backend calls %v", isErr, text, f.calls)
	}
	f.expect = "Control:restart"
	if text, isErr := call(t, connect(t, f, Options{AllowControl: true}), "restart", nil); isErr || text != "db restarted" {
		t.Errorf("restart allowed: %v %q", isErr, text)
	}
}

// The data tools are refused until --allow-data, whatever --allow-control says.
func TestDataToolsNeedAllowData(t *testing.T) {
	f := &fake{t: t}
	text, isErr := call(t, connect(t, f, Options{AllowControl: true}), "reset", map[string]any{"services": []string{"db"}})
	if !isErr || !strings.Contains(text, "--allow-data") || len(f.calls) != 0 {
		t.Errorf("reset without --allow-data: %v %q, backend calls %v", isErr, text, f.calls)
	}
	f.expect = "Data:restore"
	if text, isErr := call(t, connect(t, f, Options{AllowData: true}), "restore", map[string]any{"service": "db", "name": "before"}); isErr || text != "restore db before" {
		t.Errorf("restore allowed: %v %q", isErr, text)
	}
}

func TestWaitPassesItsTimeout(t *testing.T) {
	f := &fake{t: t, expect: "Wait", status: Status{Verdicts: []string{"db: healthy"}, Rows: json.RawMessage(`[]`)}}
	if text, isErr := call(t, connect(t, f, Options{}), "wait", map[string]any{"timeout": "90s"}); isErr || f.gotWait != 90*time.Second || !strings.Contains(text, "db: healthy") {
		t.Errorf("wait: %v %q, timeout %s", isErr, text, f.gotWait)
	}
}

// The budget keeps exactly the newest whole lines that fit, however the
// text is cut into writes, and counts the rest.
func TestBudgetKeepsTheNewestLinesThatFit(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for round := 0; round < 200; round++ {
		max := MinMaxBytes + r.IntN(600)
		var lines []string
		for i := r.IntN(300); i > 0; i-- {
			lines = append(lines, strings.Repeat(string(rune('a'+i%26)), r.IntN(max-2))+fmt.Sprint(i%10))
		}
		text := strings.Join(lines, "\n") + "\n"
		b, _ := NewBudget(max)
		for rest := text; rest != ""; {
			n := min(len(rest), 1+r.IntN(80))
			b.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		// The reference: from the newest back, while it fits.
		size, k := 0, len(lines)
		for k > 0 && size+len(lines[k-1])+1 <= max {
			size += len(lines[k-1]) + 1
			k--
		}
		want := strings.Join(lines[k:], "\n")
		got := b.Text("lines", "narrow")
		if k < len(lines) {
			want += "\n"
		}
		if !strings.HasPrefix(got, want) || b.Dropped() != k || b.Kept() != len(lines)-k {
			t.Fatalf("round %d (max %d, %d lines): kept %d dropped %d, want %d/%d\ngot  %q\nwant %q", round, max, len(lines), b.Kept(), b.Dropped(), len(lines)-k, k, got, want)
		}
	}
}
