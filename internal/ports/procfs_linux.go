package ports

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// osLookup reads the socket tables of pm2dock's own network namespace, which is
// the host's: the namespace where the engine publishes ports.
func osLookup() lookupFunc { return procLookup("/proc", binary.NativeEndian) }

// socket is one row of /proc/net/{tcp,tcp6,udp,udp6}.
type socket struct {
	addr  netip.Addr
	port  int
	state uint8 // TCP state; UDP sockets report 07 (closed) when merely bound
	inode uint64
}

const tcpListen = 0x0A

// procLookup finds the holder of a binding in the proc tree at root. order is
// the byte order in which the kernel that wrote the tables prints addresses:
// the host's own, or little-endian for samples taken from an x86 machine.
func procLookup(root string, order binary.ByteOrder) lookupFunc {
	return func(ctx context.Context, b Binding) (owner, bool) {
		socks := holdingSockets(root, order, b)
		if len(socks) == 0 {
			return owner{}, false
		}
		pids := pidsByInode(ctx, root, socks)
		for _, s := range socks {
			if pid, ok := pids[s.inode]; ok {
				return readOwner(root, pid), true
			}
		}
		return owner{}, true // held, but by a process we may not see
	}
}

// holdingSockets lists the sockets that stand in b's way, those on b's exact
// address before the wildcard ones. Unreadable tables are skipped: tcp6 is
// absent when IPv6 is disabled, and the lookup is best effort anyway.
func holdingSockets(root string, order binary.ByteOrder, b Binding) []socket {
	want := b.hostAddr()
	var exact, wider []socket
	for _, table := range []string{b.Protocol, b.Protocol + "6"} {
		data, err := os.ReadFile(filepath.Join(root, "net", table))
		if err != nil {
			continue
		}
		socks, err := parseSocketTable(string(data), order)
		if err != nil {
			continue
		}
		for _, s := range socks {
			switch {
			case !s.holds(b):
			case s.addr.Unmap() == want:
				exact = append(exact, s)
			default:
				wider = append(wider, s)
			}
		}
	}
	return append(exact, wider...)
}

// holds reports whether s keeps the engine from binding b. A TCP socket does
// only while listening; a UDP socket does as soon as it is bound.
func (s socket) holds(b Binding) bool {
	if s.port != b.Port || s.inode == 0 {
		return false
	}
	if b.Protocol == "tcp" && s.state != tcpListen {
		return false
	}
	return overlaps(b.hostAddr(), s.addr)
}

// parseSocketTable parses a whole /proc/net/tcp-style file, header included.
func parseSocketTable(data string, order binary.ByteOrder) ([]socket, error) {
	lines := strings.Split(strings.TrimSpace(data), "\n")
	var socks []socket
	for i, line := range lines[1:] {
		s, err := parseSocketLine(line, order)
		if err != nil {
			return nil, fmt.Errorf("parse socket table line %d: %w", i+2, err)
		}
		socks = append(socks, s)
	}
	return socks, nil
}

// parseSocketLine parses one row: "sl local rem st queues tr retrnsmt uid timeout inode ...".
func parseSocketLine(line string, order binary.ByteOrder) (socket, error) {
	f := strings.Fields(line)
	if len(f) < 10 {
		return socket{}, fmt.Errorf("%d fields, want at least 10", len(f))
	}
	hexAddr, hexPort, ok := strings.Cut(f[1], ":")
	if !ok {
		return socket{}, fmt.Errorf("local address %q has no port", f[1])
	}
	addr, err := parseHexAddr(hexAddr, order)
	if err != nil {
		return socket{}, err
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return socket{}, fmt.Errorf("local port %q: %w", hexPort, err)
	}
	state, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return socket{}, fmt.Errorf("state %q: %w", f[3], err)
	}
	inode, err := strconv.ParseUint(f[9], 10, 64)
	if err != nil {
		return socket{}, fmt.Errorf("inode %q: %w", f[9], err)
	}
	return socket{addr: addr, port: int(port), state: uint8(state), inode: inode}, nil
}

// parseHexAddr decodes the kernel's address notation: the address as 32-bit
// words, each printed in hex as the host reads it from memory, so 127.0.0.1 is
// "0100007F" on a little-endian machine.
func parseHexAddr(h string, order binary.ByteOrder) (netip.Addr, error) {
	if len(h) != 8 && len(h) != 32 {
		return netip.Addr{}, fmt.Errorf("address %q: want 8 or 32 hex digits", h)
	}
	buf := make([]byte, len(h)/2)
	for i := 0; i < len(h); i += 8 {
		word, err := strconv.ParseUint(h[i:i+8], 16, 32)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("address %q: %w", h, err)
		}
		order.PutUint32(buf[i/2:], uint32(word))
	}
	addr, _ := netip.AddrFromSlice(buf)
	return addr, nil
}

// pidsByInode maps each socket's inode to the lowest pid with a descriptor on
// it: forked workers (nginx, gunicorn) share their parent's listening socket,
// and the parent is the one to name. Processes we may not inspect are skipped.
func pidsByInode(ctx context.Context, root string, socks []socket) map[uint64]int {
	want := make(map[uint64]bool, len(socks))
	for _, s := range socks {
		want[s.inode] = true
	}
	found := make(map[uint64]int)
	for _, pid := range listPIDs(root) {
		if ctx.Err() != nil || len(found) == len(want) {
			break
		}
		for _, inode := range socketInodes(filepath.Join(root, strconv.Itoa(pid), "fd")) {
			if _, seen := found[inode]; want[inode] && !seen {
				found[inode] = pid
			}
		}
	}
	return found
}

// listPIDs returns the numeric entries of the proc root in ascending order.
func listPIDs(root string) []int {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// socketInodes reads a process's fd directory for links of the form "socket:[123]".
func socketInodes(fdDir string) []uint64 {
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		return nil
	}
	var inodes []uint64
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil {
			continue
		}
		rest, ok := strings.CutPrefix(target, "socket:[")
		if inode, err := strconv.ParseUint(strings.TrimSuffix(rest, "]"), 10, 64); ok && err == nil {
			inodes = append(inodes, inode)
		}
	}
	return inodes
}

// readOwner reads a process's name and command line; a process that exited
// meanwhile still yields its pid.
func readOwner(root string, pid int) owner {
	dir := filepath.Join(root, strconv.Itoa(pid))
	comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
	cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	return owner{
		pid:     pid,
		name:    strings.TrimSuffix(string(comm), "\n"),
		cmdline: strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " "),
	}
}
