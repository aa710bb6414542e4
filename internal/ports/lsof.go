package ports

import (
	"context"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
)

// This file is the macOS holder lookup. It has no build tag so that its
// parsing is tested on Linux too; only lookup_darwin.go wires it in.

// runFunc runs a program from its argv, never through a shell, and returns its
// standard output.
type runFunc func(ctx context.Context, name string, args ...string) ([]byte, error)

func execRun(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).Output()
}

// lsofEntry is one open socket from `lsof -F pcn`.
type lsofEntry struct {
	pid  int
	name string
	addr netip.Addr // IPv6Unspecified for lsof's "*"
	port int
}

// lsofLookup finds the holder of a binding with lsof, then its command line with ps.
func lsofLookup(run runFunc) lookupFunc {
	return func(ctx context.Context, b Binding) (owner, bool) {
		// lsof exits 1 when nothing matches; its output is the answer either way.
		out, _ := run(ctx, "lsof", lsofArgs(b)...)
		e, ok := pickEntry(parseLsof(string(out)), b)
		if !ok {
			return owner{}, false
		}
		o := owner{pid: e.pid, name: e.name}
		if cmd, err := run(ctx, "ps", "-ww", "-o", "command=", "-p", strconv.Itoa(e.pid)); err == nil {
			o.cmdline = strings.TrimSpace(string(cmd))
		}
		return o, true
	}
}

// lsofArgs selects b's port and protocol; "+c 0" keeps command names whole, so
// Docker Desktop's "com.docker.backend" is not cut to "com.docke".
func lsofArgs(b Binding) []string {
	port := strconv.Itoa(b.Port)
	if b.Protocol == "udp" {
		return []string{"-nP", "+c", "0", "-iUDP:" + port, "-Fpcn"}
	}
	return []string{"-nP", "+c", "0", "-iTCP:" + port, "-sTCP:LISTEN", "-Fpcn"}
}

// pickEntry returns the socket holding b, one on b's exact address first.
func pickEntry(entries []lsofEntry, b Binding) (lsofEntry, bool) {
	want := b.hostAddr()
	var wider []lsofEntry
	for _, e := range entries {
		switch {
		case e.port != b.Port || !overlaps(want, e.addr):
		case e.addr.Unmap() == want:
			return e, true
		default:
			wider = append(wider, e)
		}
	}
	if len(wider) == 0 {
		return lsofEntry{}, false
	}
	return wider[0], true
}

// parseLsof reads lsof's field output: a "p" line starts a process, "c" names
// it, each "n" line is one of its sockets ("127.0.0.1:5432", "*:53",
// "[::1]:8080", or "a->b" for a connected one). Other fields are ignored.
func parseLsof(out string) []lsofEntry {
	var entries []lsofEntry
	var pid int
	var name string
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		field, value := line[0], line[1:]
		switch field {
		case 'p':
			pid, _ = strconv.Atoi(value)
			name = ""
		case 'c':
			name = value
		case 'n':
			if addr, port, ok := parseLsofName(value); ok && pid > 0 {
				entries = append(entries, lsofEntry{pid: pid, name: name, addr: addr, port: port})
			}
		}
	}
	return entries
}

func parseLsofName(n string) (netip.Addr, int, bool) {
	local, _, _ := strings.Cut(n, "->")
	i := strings.LastIndexByte(local, ':')
	if i < 0 {
		return netip.Addr{}, 0, false
	}
	port, err := strconv.Atoi(local[i+1:])
	if err != nil {
		return netip.Addr{}, 0, false
	}
	host := strings.Trim(local[:i], "[]")
	if host == "*" {
		return netip.IPv6Unspecified(), port, true
	}
	addr, err := netip.ParseAddr(host)
	return addr, port, err == nil
}
