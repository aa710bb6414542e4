package profile

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A Default is the value a key takes when pm2dock.yaml leaves it out, written
// as the file would write it.
type Default struct {
	Key   string // the key's path, dotted: logs.max_age
	Value string
}

// Defaults is the one table of default values: the loader parses them with
// the parsers it uses for the file, and `pm2dock init --help`, the profile
// `init` writes and this package's doc render them from here (a test holds
// doc.go to it).
var Defaults = []Default{
	{"state_dir", ".pm2dock/state"},
	{"snapshot_dir", ".pm2dock/snapshots"},
	{"logs.dir", ".pm2dock/logs"},
	{"logs.max_age", "168h"},
	{"logs.max_size", "1GiB"},
	{"logs.segment_size", "64MiB"},
	{"defaults.pull", "missing"},
	{"defaults.start_timeout", "120s"},
	{"defaults.restart.max", "5"},
	{"defaults.restart.window", "10m"},
	{"defaults.restart.delay", "2s"},
	{"defaults.restart.max_delay", "1m"},
	{"defaults.restart.on_unhealthy", "0s"},
}

// DefaultOf returns the default of key as written; it panics for a key the
// table does not have (a programming error, caught by every test run).
func DefaultOf(key string) string {
	for _, d := range Defaults {
		if d.Key == key {
			return d.Value
		}
	}
	panic("profile: no default for " + key)
}

// DefaultFlow renders the defaults under prefix as a YAML flow mapping, in
// table order: DefaultFlow("defaults.restart") is
// "{max: 5, window: 10m, delay: 2s, max_delay: 1m, on_unhealthy: 0s}".
func DefaultFlow(prefix string) string {
	var parts []string
	for _, d := range Defaults {
		if leaf, ok := strings.CutPrefix(d.Key, prefix+"."); ok && !strings.Contains(leaf, ".") {
			parts = append(parts, leaf+": "+d.Value)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func defaultDuration(key string) time.Duration {
	d, err := ParseDuration(DefaultOf(key))
	if err != nil {
		panic(fmt.Sprintf("profile: default %s: %v", key, err))
	}
	return d
}

func defaultSize(key string) int64 {
	n, err := ParseSize(DefaultOf(key))
	if err != nil {
		panic(fmt.Sprintf("profile: default %s: %v", key, err))
	}
	return n
}

func defaultInt(key string) int {
	n, err := strconv.Atoi(DefaultOf(key))
	if err != nil {
		panic(fmt.Sprintf("profile: default %s: %v", key, err))
	}
	return n
}

// defaultService is what every service inherits under its own keys and the
// profile's defaults.
var defaultService = rawService{
	Pull:         DefaultOf("defaults.pull"),
	StartTimeout: Duration(defaultDuration("defaults.start_timeout")),
	Restart: rawRestart{
		Max:         intPtr(defaultInt("defaults.restart.max")),
		Window:      durPtr(defaultDuration("defaults.restart.window")),
		Delay:       durPtr(defaultDuration("defaults.restart.delay")),
		MaxDelay:    durPtr(defaultDuration("defaults.restart.max_delay")),
		OnUnhealthy: durPtr(defaultDuration("defaults.restart.on_unhealthy")),
	},
}

// defaultLogs are the logs settings before the file's own.
func defaultLogs() Logs {
	return Logs{MaxAge: defaultDuration("logs.max_age"), MaxSize: defaultSize("logs.max_size"),
		SegmentSize: defaultSize("logs.segment_size")}
}
