package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Process is one entry of PM2's process list (getMonitorData, `pm2 jlist`).
// Decoding is lenient: a field of an unexpected type or absent reads as its
// zero value (nil for ExitCode), so one odd field never loses the list.
type Process struct {
	Name  string `json:"name"`
	PMID  int    `json:"pm_id"`
	PID   int    `json:"pid"` // 0 when not running
	Monit Monit  `json:"monit"`
	Env   Env    `json:"pm2_env"`
}

// Status is PM2's status of an app (pm2_env.status).
type Status string

// PM2's statuses (docs/pm2-facts.md#statuses). A status can lie: with a
// restart delay, an app that exited with a no-restart code stays
// WaitingRestart forever, so pm2dock's own verdict comes from the shim's state
// file.
const (
	Online         Status = "online"
	Launching      Status = "launching"
	Stopping       Status = "stopping"
	Stopped        Status = "stopped"
	Errored        Status = "errored"
	WaitingRestart Status = "waiting restart"
)

// Live reports whether PM2 runs a process for the app now (or is spawning
// one): the one rule for "its shim is up" that start, wait and status share.
func (p *Process) Live() bool {
	return p != nil && (p.Env.Status == Online || p.Env.Status == Launching)
}

// Runs reports whether pid is the process PM2 runs for the app.
func (p *Process) Runs(pid int) bool { return p.Live() && pid != 0 && p.PID == pid }

// Supersedes reports whether PM2 now runs a different shim than the one of
// pid that was judged (the one that wrote a state file, say): what that shim
// said is no longer the app's news.
func (p *Process) Supersedes(pid int) bool { return p.Live() && p.PID != pid }

// GaveUp reports whether PM2 holds the app without running it and without
// a plan to: stopped or errored.
func (p *Process) GaveUp() bool {
	return p != nil && (p.Env.Status == Stopped || p.Env.Status == Errored)
}

// Monit is PM2's last sample of the process's resources.
type Monit struct {
	Memory int64   `json:"memory"` // bytes
	CPU    float64 `json:"cpu"`    // percent of one core
}

// Env is the part of pm2_env pm2dock reads. The app's own environment, which
// PM2 also keeps in pm2_env, is deliberately not exposed key by key.
type Env struct {
	Status           Status `json:"status"`
	RestartTime      int    `json:"restart_time"`
	UnstableRestarts int    `json:"unstable_restarts"`
	PMUptime         int64  `json:"pm_uptime"`  // ms since the epoch, at the last spawn
	CreatedAt        int64  `json:"created_at"` // ms since the epoch
	ExitCode         *int   `json:"exit_code,omitempty"`
	Namespace        string `json:"namespace"`
	PMOutLogPath     string `json:"pm_out_log_path"`
	PMErrLogPath     string `json:"pm_err_log_path"`

	// Raw is pm2_env as PM2 sent it. It holds the app's whole environment,
	// secrets included: never print or log it. It is left out of JSON
	// encodings of Env for that reason.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes leniently; it fails only when b is not an object.
func (p *Process) UnmarshalJSON(b []byte) error {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	if o == nil {
		return errors.New("process: null")
	}
	var env map[string]json.RawMessage
	_ = json.Unmarshal(o["pm2_env"], &env) // not an object: no env fields
	var monit map[string]json.RawMessage
	_ = json.Unmarshal(o["monit"], &monit)

	*p = Process{
		Name:  text(first(o["name"], env["name"])),
		PMID:  integer(first(o["pm_id"], env["pm_id"])),
		PID:   integer(o["pid"]),
		Monit: Monit{Memory: long(monit["memory"]), CPU: number(monit["cpu"])},
		Env: Env{
			Status:           Status(text(env["status"])),
			RestartTime:      integer(env["restart_time"]),
			UnstableRestarts: integer(env["unstable_restarts"]),
			PMUptime:         long(env["pm_uptime"]),
			CreatedAt:        long(env["created_at"]),
			ExitCode:         optInteger(env["exit_code"]),
			Namespace:        text(env["namespace"]),
			PMOutLogPath:     text(env["pm_out_log_path"]),
			PMErrLogPath:     text(env["pm_err_log_path"]),
		},
	}
	if env != nil {
		p.Env.Raw = append(json.RawMessage(nil), o["pm2_env"]...)
	}
	return nil
}

// ParseJlist decodes the output of `pm2 jlist`. PM2 may print lines before the
// JSON, and they can start with '[' too ("[PM2] Spawning PM2 daemon…"). The
// JSON is written on one line (JSON.stringify), so the list is the first line
// that starts with a JSON array that is empty or holds objects.
func ParseJlist(out []byte) ([]Process, error) {
	for rest := out; len(rest) > 0; {
		line := bytes.TrimLeft(rest, " \t\r")
		if len(line) > 0 && line[0] == '[' {
			var items []json.RawMessage
			if json.NewDecoder(bytes.NewReader(line)).Decode(&items) == nil && listOfObjects(items) {
				return processes(items), nil
			}
		}
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	return nil, errors.New("parse pm2 jlist: no JSON list of processes in the output")
}

// decodeProcesses decodes a JSON array of processes, skipping entries that are
// not objects.
func decodeProcesses(raw json.RawMessage) ([]Process, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("decode process list: %w", err)
	}
	return processes(items), nil
}

func processes(items []json.RawMessage) []Process {
	out := make([]Process, 0, len(items))
	for _, it := range items {
		var p Process
		if p.UnmarshalJSON(it) == nil {
			out = append(out, p)
		}
	}
	return out
}

func listOfObjects(items []json.RawMessage) bool {
	return len(items) == 0 || (len(items[0]) > 0 && items[0][0] == '{')
}

func first(a, b json.RawMessage) json.RawMessage {
	if len(a) > 0 && string(a) != "null" {
		return a
	}
	return b
}

// text reads a string; a number reads as its digits, anything else as "".
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// number reads a JSON number or a numeric string; anything else is 0.
func number(raw json.RawMessage) float64 {
	f, ok := parseNumber(raw)
	if !ok {
		return 0
	}
	return f
}

// integer reads an integer (floats truncated); 0 when absent, odd or out of range.
func integer(raw json.RawMessage) int {
	if p := optInteger(raw); p != nil {
		return *p
	}
	return 0
}

// optInteger is integer, but nil when there is no usable value.
func optInteger(raw json.RawMessage) *int {
	n, ok := parseInt64(raw)
	if !ok || int64(int(n)) != n {
		return nil
	}
	i := int(n)
	return &i
}

// long is integer for values that may pass 2^31 on 32-bit platforms.
func long(raw json.RawMessage) int64 {
	n, _ := parseInt64(raw)
	return n
}

func parseInt64(raw json.RawMessage) (int64, bool) {
	f, ok := parseNumber(raw)
	if !ok || math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}

func parseNumber(raw json.RawMessage) (float64, bool) {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
	}
	return 0, false
}
