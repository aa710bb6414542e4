package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pm2dock/pm2dock/internal/logstore"
)

// Folder is the journal's folder inside a profile's logs.dir.
const Folder = "_events"

// store is the journal as the log store it is: events are its facts.
var store = &logstore.Facts[Event]{Folder: Folder, Name: "event journal", SegmentSize: SegmentSize, Decode: fromRecord}

// Dir is the journal store of the log store at logsDir.
func Dir(logsDir string) string { return store.Dir(logsDir) }

// Kind is what happened.
type Kind string

// The kinds of events (docs/contracts.md#event-records).
const (
	Start      Kind = "start"      // the shim starts a new container
	Adopt      Kind = "adopt"      // the shim took over a running container
	Ready      Kind = "ready"      // running, and it has no healthcheck
	Healthy    Kind = "healthy"    // its healthcheck passes (first time, or again)
	Unhealthy  Kind = "unhealthy"  // its healthcheck fails after it was ready
	Exit       Kind = "exit"       // it ended unexpectedly, or could not start
	Completed  Kind = "completed"  // the container exited 0 and that ended the service
	Restart    Kind = "restart"    // a container is started again after the last one ended
	CrashLoop  Kind = "crash-loop" // too many failures within restart.window: PM2 stops restarting
	Stop       Kind = "stop"       // stopped on request
	Reset      Kind = "reset"      // its container and own volumes removed on request (pm2dock reset)
	EngineDown Kind = "engine-down"
	EngineUp   Kind = "engine-up"
)

// Level is how the kind is stored: what `--level` of a log query would select.
func (k Kind) Level() logstore.Level {
	switch k {
	case Unhealthy, EngineDown:
		return logstore.LevelWarn
	case Exit, CrashLoop:
		return logstore.LevelError
	}
	return logstore.LevelInfo
}

func (k Kind) valid() bool {
	switch k {
	case Start, Adopt, Ready, Healthy, Unhealthy, Exit, Completed, Restart, CrashLoop, Stop, Reset, EngineDown, EngineUp:
		return true
	}
	return false
}

// By is who asked for what happened.
type By string

// The askers.
const (
	ByUser   By = "user"   // a person's (or script's) pm2dock start, stop or restart
	ByPM2    By = "pm2"    // PM2 without pm2dock: pm2 start/stop/restart, resurrect, a shim PM2 brought back
	ByPolicy By = "policy" // the restart policy (restart:) after a failure
	ByEngine By = "engine" // the container or the engine itself
)

// Event is one transition of a service's life. Zero fields are absent (null
// in JSON); OOMKilled and ExitCode are set only for the ends of containers.
type Event struct {
	TS        time.Time
	Service   string
	Kind      Kind
	Reason    string
	ExitCode  *int
	OOMKilled *bool
	Health    string // the container's health word after the event, if it has a healthcheck
	Output    string // the last health probe's output, when the event is about health
	By        By
}

// MaxOutput bounds a probe's output in an event (the engine keeps 4 KiB).
const MaxOutput = 4096

// body is the stored msg object: the event less ts and service.
type body struct {
	Event     Kind    `json:"event"`
	Reason    *string `json:"reason"`
	ExitCode  *int    `json:"exit_code"`
	OOMKilled *bool   `json:"oom_killed"`
	Health    *string `json:"health"`
	Output    *string `json:"output"`
	By        *string `json:"by"`
}

// record is e as a log store record.
func (e Event) record() (logstore.Record, error) {
	if !e.Kind.valid() {
		return logstore.Record{}, fmt.Errorf("event %q: not a kind of event", e.Kind)
	}
	out := e.Output
	if len(out) > MaxOutput {
		out = strings.ToValidUTF8(out[:MaxOutput], "")
	}
	msg, err := json.Marshal(e.body(out))
	if err != nil {
		return logstore.Record{}, err
	}
	return logstore.Record{TS: e.TS, Service: e.Service, Stream: logstore.StreamStdout, Level: e.Kind.Level(), Msg: msg}, nil
}

// fromRecord reads an event back; false when the record holds none.
func fromRecord(r logstore.Record) (Event, bool) {
	var b body
	d := json.NewDecoder(bytes.NewReader(r.Msg))
	if d.Decode(&b) != nil || !b.Event.valid() {
		return Event{}, false
	}
	e := Event{TS: r.TS, Service: r.Service, Kind: b.Event, ExitCode: b.ExitCode, OOMKilled: b.OOMKilled}
	e.Reason, e.Health, e.Output = val(b.Reason), val(b.Health), val(b.Output)
	e.By = By(val(b.By))
	return e, true
}

// flat is an event as `pm2dock events --json` prints it: ts and service,
// then the stored object's keys.
type flat struct {
	TS      string `json:"ts"`
	Service string `json:"service"`
	body
}

// MarshalJSON writes the event record of docs/contracts.md#event-records.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(flat{TS: e.TS.UTC().Format(TSLayout), Service: e.Service, body: e.body(e.Output)})
}

func (e Event) body(output string) body {
	return body{Event: e.Kind, Reason: str(e.Reason), ExitCode: e.ExitCode, OOMKilled: e.OOMKilled,
		Health: str(e.Health), Output: str(output), By: str(string(e.By))}
}

// TSLayout is the events' time format: RFC 3339, UTC, nine fractional digits.
const TSLayout = "2006-01-02T15:04:05.000000000Z07:00"

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func val(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Text is the event as `pm2dock events` prints it, on one line:
//
//	2026-12-02T10:10:18.123Z db unhealthy by engine: the healthcheck fails; probe: pg_isready: no response
//
// The time is UTC with milliseconds; exit code, OOM flag and the probe's
// output follow the reason when present, on one line (see oneLine).
func (e Event) Text() string {
	var b strings.Builder
	b.WriteString(e.TS.UTC().Format("2006-01-02T15:04:05.000Z"))
	b.WriteString(" " + e.Service + " " + string(e.Kind))
	if e.By != "" {
		b.WriteString(" by " + string(e.By))
	}
	var parts []string
	if e.Reason != "" {
		parts = append(parts, e.Reason)
	}
	if e.ExitCode != nil && !strings.Contains(e.Reason, fmt.Sprintf("code %d", *e.ExitCode)) {
		parts = append(parts, fmt.Sprintf("exit code %d", *e.ExitCode))
	}
	if e.OOMKilled != nil && *e.OOMKilled && !strings.Contains(e.Reason, "OOM") {
		parts = append(parts, "OOM-killed")
	}
	if e.Output != "" {
		parts = append(parts, "probe: "+e.Output)
	}
	if len(parts) > 0 {
		b.WriteString(": " + oneLine(strings.Join(parts, "; ")))
	}
	return b.String()
}

// oneLine keeps a terminal safe: line breaks become " ⏎ ", other control
// characters \xNN, as `pm2dock logs` shows them.
func oneLine(s string) string {
	s = strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ⏎ ").Replace(strings.TrimSpace(s))
	var b strings.Builder
	for _, c := range s {
		if c < 0x20 && c != '\t' || c == 0x7f {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
