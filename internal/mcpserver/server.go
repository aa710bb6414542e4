package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// Backend is what the tools ask; package cli implements it with the code
// paths of the commands.
type Backend interface {
	// Status is `status --json`'s rows of services (default: all) and, per
	// row, the one-line verdict a person reads.
	Status(ctx context.Context, services []string) (Status, error)
	// Logs writes the text lines of `logs` for q to w.
	Logs(ctx context.Context, q Window, w *Budget) error
	// Events writes the text lines of `events` for q to w.
	Events(ctx context.Context, q Window, w *Budget) error
	// Wait is `wait`: until services are ready or timeout (0: the largest
	// start_timeout); then their status.
	Wait(ctx context.Context, services []string, timeout time.Duration) (Status, error)
	// Control runs `start`, `restart` or `stop` of services and returns what
	// the command printed (its summary and progress).
	Control(ctx context.Context, verb string, services []string) (string, error)
	// Data runs `snapshot`, `restore`, `reset` or `pull` (confirmed: the
	// server's --allow-data is the consent) and returns what it printed.
	Data(ctx context.Context, verb string, in DataIn) (string, error)
}

// DataIn are the arguments of the data tools (each uses its own).
type DataIn struct {
	Service  string   `json:"service,omitempty" jsonschema:"the service key (snapshot, restore)"`
	Name     string   `json:"name,omitempty" jsonschema:"the snapshot's name (restore: required; snapshot: default the UTC time)"`
	Services []string `json:"services,omitempty" jsonschema:"service keys (reset: required; pull: default every service)"`
	Restart  bool     `json:"restart,omitempty" jsonschema:"pull: restart the running services whose image changed"`
}

// Status is the status tool's answer.
type Status struct {
	Verdicts []string        `json:"verdicts"` // one line per service: "db: healthy", "auth: failed (exit 4): …"
	Rows     json.RawMessage `json:"rows"`     // `status --json`, as its contract says (docs/contracts.md#status-json)
}

// Window is a logs or events query, in the CLI's words.
type Window struct {
	Services     []string
	Since, Until string // the CLI's time grammar
	Grep, Level  string // logs only
	Tail         int
}

// Options configure the server.
type Options struct {
	Version      string
	AllowControl bool // offer start, restart and stop
	AllowData    bool // offer snapshot, restore, reset and pull
}

// The budget of an answer (logs, events).
const (
	DefaultMaxBytes = 16 << 10  // about 4,000 tokens: room for an agent to ask again
	MaxMaxBytes     = 256 << 10 // what max_bytes may raise it to
)

// ControlVerbs are the tools that change the stack.
var ControlVerbs = []string{"start", "restart", "stop"}

// DataVerbs are the tools that change a service's data or image.
var DataVerbs = []string{"snapshot", "restore", "reset", "pull"}

// New builds the server and its tools.
func New(b Backend, o Options) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "pm2dock", Title: "pm2dock", Version: o.Version}, &mcp.ServerOptions{
		Instructions: "pm2dock runs this workspace's Docker-backed services (databases, auth servers) under PM2. " +
			"Ask status first; logs and events take a time window (since/until: 15m, 2h, RFC 3339) and are bounded by max_bytes.",
	})
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: new(bool)}
	mcp.AddTool(s, &mcp.Tool{Name: "status", Annotations: readOnly,
		Description: "Each service's state (healthy, running, starting, unhealthy, stopped, failed, crash-loop, completed), PM2 status, container health, ports, restarts and last failure with its reason and last lines."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in StatusIn) (*mcp.CallToolResult, any, error) {
			st, err := b.Status(ctx, in.Services)
			if err != nil {
				return toolError(err), nil, nil
			}
			return statusResult(st), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "logs", Annotations: readOnly,
		Description: "Stored log lines of services in a time window, merged by time (TIME SERVICE STREAM LEVEL MESSAGE), filtered by grep and level; the newest lines within max_bytes."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in LogsIn) (*mcp.CallToolResult, any, error) {
			w, err := NewBudget(in.MaxBytes)
			if err != nil {
				return toolError(err), nil, nil
			}
			q := Window{Services: in.Services, Since: in.Since, Until: in.Until, Grep: in.Grep, Level: in.Level, Tail: in.Tail}
			if err := b.Logs(ctx, q, w); err != nil {
				return toolError(err), nil, nil
			}
			return textResult(w.Text("lines", "narrow the window (since/until), filter (grep, level)")), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "events", Annotations: readOnly,
		Description: "What happened to services in a time window: starts, health changes, exits (code, OOM), restarts, crash loops, stops, each with its reason and who asked; the newest within max_bytes."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in EventsIn) (*mcp.CallToolResult, any, error) {
			w, err := NewBudget(in.MaxBytes)
			if err != nil {
				return toolError(err), nil, nil
			}
			if err := b.Events(ctx, Window{Services: in.Services, Since: in.Since, Until: in.Until, Tail: in.Tail}, w); err != nil {
				return toolError(err), nil, nil
			}
			return textResult(w.Text("events", "narrow the window (since/until)")), nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "wait", Annotations: readOnly,
		Description: "Wait until services (default: all) are healthy, running or completed, however they were started; fails at once with the reason when one fails for good, or at the timeout."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in WaitIn) (*mcp.CallToolResult, any, error) {
			timeout, err := parseTimeout(in.Timeout)
			if err != nil {
				return toolError(err), nil, nil
			}
			st, err := b.Wait(ctx, in.Services, timeout)
			if err != nil {
				return toolError(err), nil, nil
			}
			return statusResult(st), nil, nil
		})
	for _, verb := range ControlVerbs {
		desc := map[string]string{
			"start":   "Start services (default: all; their dependencies first) through PM2 and wait until healthy.",
			"restart": "Restart services gracefully through PM2 (stop with the grace period, start, wait healthy).",
			"stop":    "Stop services gracefully through PM2 (dependents first); no container is left running.",
		}[verb]
		mcp.AddTool(s, &mcp.Tool{Name: verb, Description: desc,
			Annotations: &mcp.ToolAnnotations{DestructiveHint: new(bool), IdempotentHint: true, OpenWorldHint: new(bool)}},
			func(ctx context.Context, _ *mcp.CallToolRequest, in ControlIn) (*mcp.CallToolResult, any, error) {
				return gated(o.AllowControl, verb, "--allow-control", "this server is read-only", func() (string, error) {
					return b.Control(ctx, verb, in.Services)
				}), nil, nil
			})
	}
	for _, verb := range DataVerbs {
		desc := map[string]string{
			"snapshot": "Keep the content of a service's own volumes as a named snapshot (the service is stopped for the copy and started again).",
			"restore":  "Put a snapshot back: the service's own volumes replaced by it (checksums, image and volumes checked first), started again.",
			"reset":    "Fresh data: the services' containers and own volumes removed, started again (migrations run again).",
			"pull":     "Pull or build newer images; with restart, restart the running services whose image changed.",
		}[verb]
		destructive := verb == "restore" || verb == "reset"
		mcp.AddTool(s, &mcp.Tool{Name: verb, Description: desc,
			Annotations: &mcp.ToolAnnotations{DestructiveHint: &destructive, OpenWorldHint: new(bool)}},
			func(ctx context.Context, _ *mcp.CallToolRequest, in DataIn) (*mcp.CallToolResult, any, error) {
				return gated(o.AllowData, verb, "--allow-data", "this server does not change data", func() (string, error) {
					return b.Data(ctx, verb, in)
				}), nil, nil
			})
	}
	return s
}

// gated runs a tool that changes the stack only when the server was started
// with flag (allowed), else refuses saying how to allow it; the command's
// own output comes back with its error too.
func gated(allowed bool, verb, flag, refusal string, run func() (string, error)) *mcp.CallToolResult {
	if !allowed {
		return toolError(exitcode.New(exitcode.Usage, fmt.Errorf("%s is not allowed: %s", verb, refusal),
			fmt.Sprintf("start the server with `pm2dock mcp %s` (in .mcp.json: \"args\": [\"mcp\", \"%s\"])", flag, flag)))
	}
	out, err := run()
	if err != nil {
		res := toolError(err)
		if out != "" {
			res.Content = append([]mcp.Content{&mcp.TextContent{Text: out}}, res.Content...)
		}
		return res
	}
	return textResult(out)
}

// StatusIn are the status tool's arguments.
type StatusIn struct {
	Services []string `json:"services,omitempty" jsonschema:"service keys of pm2dock.yaml; default: every service"`
}

// LogsIn are the logs tool's arguments.
type LogsIn struct {
	Services []string `json:"services,omitempty" jsonschema:"service keys; default: every service"`
	Since    string   `json:"since,omitempty" jsonschema:"lines at or after: a duration ago (15m, 2h, 7d), RFC 3339 or a date (UTC); default: the start of the store"`
	Until    string   `json:"until,omitempty" jsonschema:"lines before, as since; default: now"`
	Grep     string   `json:"grep,omitempty" jsonschema:"only lines whose message matches this regular expression (RE2)"`
	Level    string   `json:"level,omitempty" jsonschema:"minimum level: debug, info, warn, error, fatal"`
	Tail     int      `json:"tail,omitempty" jsonschema:"only the last N matching lines"`
	MaxBytes int      `json:"max_bytes,omitempty" jsonschema:"answer budget in bytes (default 16384, from 64 to 262144); the newest lines are kept"`
}

// EventsIn are the events tool's arguments.
type EventsIn struct {
	Services []string `json:"services,omitempty" jsonschema:"service keys; default: every service"`
	Since    string   `json:"since,omitempty" jsonschema:"events at or after: a duration ago (15m, 2h, 7d), RFC 3339 or a date (UTC)"`
	Until    string   `json:"until,omitempty" jsonschema:"events before, as since"`
	Tail     int      `json:"tail,omitempty" jsonschema:"only the last N events"`
	MaxBytes int      `json:"max_bytes,omitempty" jsonschema:"answer budget in bytes (default 16384, from 64 to 262144); the newest events are kept"`
}

// WaitIn are the wait tool's arguments.
type WaitIn struct {
	Services []string `json:"services,omitempty" jsonschema:"service keys; default: every service"`
	Timeout  string   `json:"timeout,omitempty" jsonschema:"give up after this long (90s, 5m); default: the largest start_timeout of the services"`
}

// ControlIn are the arguments of start, restart and stop.
type ControlIn struct {
	Services []string `json:"services,omitempty" jsonschema:"service keys; default: every service"`
}

func parseTimeout(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, exitcode.Errorf(exitcode.Usage, "timeout %q: want a positive duration (90s, 5m)", s)
	}
	return d, nil
}

func statusResult(st Status) *mcp.CallToolResult {
	text := strings.Join(st.Verdicts, "\n") + "\n\nrows (status --json):\n" + string(st.Rows)
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}, StructuredContent: st}
}

func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

// toolError is err as the agent reads it: the message, the exit code and its
// meaning (docs/contracts.md#exit-codes), and the hint.
func toolError(err error) *mcp.CallToolResult {
	code := exitcode.FromError(err)
	msg := err.Error()
	var hint string
	var coded *exitcode.Err
	if errors.As(err, &coded) {
		msg, hint = coded.Err.Error(), coded.Hint
	}
	text := fmt.Sprintf("pm2dock: %s\nexit code %d: %s", msg, code, exitcode.Meaning(code))
	if hint != "" {
		text += "\nhint: " + hint
	}
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}
