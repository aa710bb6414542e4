package scaffold

import (
	"regexp"
	"strings"
)

// verb is a pm2dock command that gets an Nx target.
type verb struct {
	name       string
	usage      string // what follows the command in its synopsis
	what       string // for the target's description
	perService bool   // also one target per service (start-db, …)
	discrete   bool   // exits once done: written as continuous: false
	mutates    bool   // changes PM2's apps: written as parallelism: false
}

// verbs are the commands of the generated targets, in project.json order.
var verbs = []verb{
	{"start", "[SERVICE...]", "start through PM2, dependencies first; exits once healthy", true, true, true},
	{"stop", "[SERVICE...]", "stop gracefully through PM2, dependents first", true, false, true},
	{"restart", "[SERVICE...]", "restart gracefully through PM2; exits once healthy", true, true, true},
	{"status", "[SERVICE...] [--check] [--json]", "PM2 state joined with container health", true, false, false},
	{"logs", "[SERVICE...] [--since T] [--until T] [--level L] [--grep RE] [--tail N] [--follow] [--json]", "query the log store", true, false, false},
	{"events", "[SERVICE...] [--since T] [--until T] [--tail N] [--json]", "what happened to the services, by time", true, false, false},
	{"wait", "[SERVICE...] [--timeout D]", "wait until healthy (a job: completed), however they were started", true, true, false},
	{"prune", "[--dry-run]", "apply log and event retention now", false, false, false},
	{"dashboard", "[--addr HOST:PORT] [--open]", "serve a local read-only page of the stack: live status, timelines, CPU and memory, logs by time", false, false, false},
	// The data chores: no per-service target (nothing should depend on a
	// reset), and reset and restore ask or need --yes, which no target
	// passes: a CI job cannot run them by accident.
	{"pull", "[SERVICE...] [--restart]", "pull or build newer images; --restart restarts the services whose image changed", false, true, true},
	{"snapshot", "SERVICE [NAME]", "keep the content of a service's own volumes", false, true, true},
	{"restore", "SERVICE NAME [--yes]", "put a snapshot back (asks; --yes to confirm without a terminal)", false, true, true},
	{"reset", "SERVICE... [--yes] [--dry-run]", "fresh data for a service (asks; --yes to confirm without a terminal)", false, true, true},
}

// Targets returns the Nx targets that run pm2dock: one per verb for the whole
// stack (arguments typed after the target reach pm2dock: `nx run
// services:logs db --since=1h`) and, for each service key, start-KEY,
// stop-KEY, restart-KEY, status-KEY, logs-KEY, events-KEY and wait-KEY, which
// other projects can name in dependsOn. bin is the pm2dock the commands run, relative to the
// workspace root (run-commands' working folder) or absolute; root is the
// project's folder relative to the workspace root, where profile discovery
// starts. Keys must have passed profile.ValidKey.
func Targets(bin, root string, keys []string) Obj {
	var out Obj
	for _, v := range verbs {
		out = append(out, KV{v.name, target(bin, root, v, "")})
	}
	for _, k := range keys {
		for _, v := range verbs {
			if v.perService {
				out = append(out, KV{v.name + "-" + k, target(bin, root, v, k)})
			}
		}
	}
	return out
}

func target(bin, root string, v verb, key string) Obj {
	desc := "pm2dock " + v.name + " " + v.usage + ": " + v.what + ". Arguments after the target are passed on."
	if key != "" {
		desc = "pm2dock " + v.name + " " + key + ": " + v.what + ". Other projects can name it in dependsOn."
	}
	t := Obj{{"executor", "nx:run-commands"}, {"cache", false}}
	if v.discrete {
		t = append(t, KV{"continuous", false})
	}
	if v.mutates { // two pm2dock runs must not change the same PM2 apps at once
		t = append(t, KV{"parallelism", false})
	}
	return append(t,
		KV{"options", Obj{{"command", command(bin, root, v.name, key)}}},
		KV{"metadata", Obj{{"description", desc}}},
	)
}

// command is the shell command line of a target. Nx runs it through a shell,
// so every part is either a validated word or quoted.
func command(bin, root, verb, key string) string {
	cmd := ShellWord(bin) + " " + commandTail(root, verb)
	if key != "" {
		cmd += " " + key
	}
	return cmd
}

// commandTail is what follows the pm2dock path in a whole-stack target.
func commandTail(root, verb string) string {
	return "--dir=" + ShellWord(root) + " " + verb
}

var safeWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// ShellWord quotes s for a POSIX shell unless it is made of safe characters
// only.
func ShellWord(s string) string {
	if safeWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// unshellWord reverses ShellWord; ok is false for anything ShellWord would
// not have produced.
func unshellWord(s string) (string, bool) {
	if safeWord.MatchString(s) {
		return s, true
	}
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	inner := strings.ReplaceAll(s[1:len(s)-1], `'\''`, "\x00")
	if strings.Contains(inner, "'") {
		return "", false
	}
	return strings.ReplaceAll(inner, "\x00", "'"), true
}

// generatedBin returns the pm2dock path of a command that command(bin, root,
// verb, key) produced, and whether it is one.
func generatedBin(cmd, root, verb, key string) (string, bool) {
	tail := " " + commandTail(root, verb)
	if key != "" {
		tail += " " + key
	}
	prefix, found := strings.CutSuffix(cmd, tail)
	if !found {
		return "", false
	}
	return unshellWord(prefix)
}
