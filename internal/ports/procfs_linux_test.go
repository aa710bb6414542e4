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
	"testing"
)

// The samples under testdata/net come from x86_64 machines, so they are read
// little-endian whatever the test host is.
var le = binary.LittleEndian

func readSample(t *testing.T, name string) []socket {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "net", name))
	if err != nil {
		t.Fatal(err)
	}
	socks, err := parseSocketTable(string(data), le)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return socks
}

func TestParseSocketTableIPv4(t *testing.T) {
	want := []socket{
		{netip.MustParseAddr("127.0.0.1"), 5432, tcpListen, 23456},
		{netip.MustParseAddr("0.0.0.0"), 80, tcpListen, 19876},
		{netip.MustParseAddr("127.0.0.53"), 53, tcpListen, 17654},
		{netip.MustParseAddr("127.0.0.1"), 5432, 0x01, 45678}, // ESTABLISHED
		{netip.MustParseAddr("10.0.2.15"), 22, 0x01, 34567},
		{netip.MustParseAddr("127.0.0.1"), 41394, 0x06, 0}, // TIME_WAIT has no inode
	}
	if got := readSample(t, "tcp"); !slices.Equal(got, want) {
		t.Errorf("tcp =\n%v\nwant\n%v", got, want)
	}
}

func TestParseSocketTableIPv6(t *testing.T) {
	want := []socket{
		{netip.MustParseAddr("::"), 5432, tcpListen, 23457},
		{netip.MustParseAddr("::1"), 8080, tcpListen, 28901},
		{netip.MustParseAddr("::ffff:127.0.0.1"), 8080, 0x01, 28955},
		{netip.MustParseAddr("2001:db8::5"), 443, tcpListen, 30112},
	}
	if got := readSample(t, "tcp6"); !slices.Equal(got, want) {
		t.Errorf("tcp6 =\n%v\nwant\n%v", got, want)
	}
}

func TestParseSocketLineRejectsGarbage(t *testing.T) {
	for _, line := range []string{
		"   0: 0100007F:1538 00000000:0000 0A",                                                  // truncated
		"   0: 0100007F 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",          // no port
		"   0: 0100007F0:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",    // 9 hex digits
		"   0: 0100007G:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",     // not hex
		"   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 inode", // inode
		"   0: 0100007F:115380 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",   // port > 16 bits
	} {
		if s, err := parseSocketLine(line, le); err == nil {
			t.Errorf("parseSocketLine(%q) = %+v, want an error", line, s)
		}
	}
}

// fakeProc is a proc tree under t.TempDir: socket tables plus processes whose
// fd directories link to "socket:[inode]" as the kernel's do.
type fakeProc struct {
	t    *testing.T
	root string
}

func newFakeProc(t *testing.T) *fakeProc {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeProc{t: t, root: root}
}

// table writes net/<name> with a header and one row per socket, encoded
// little-endian like the samples.
func (p *fakeProc) table(name string, socks ...socket) {
	var b strings.Builder
	b.WriteString("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	for i, s := range socks {
		fmt.Fprintf(&b, "%4d: %s:%04X %s:0000 %02X 00000000:00000000 00:00000000 00000000  1000        0 %d 1 0000000000000000 100 0 0 10 0\n",
			i, hexAddr(s.addr), s.port, hexAddr(netip.IPv4Unspecified()), s.state, s.inode)
	}
	p.write(filepath.Join("net", name), b.String())
}

func hexAddr(a netip.Addr) string {
	raw := a.AsSlice()
	var b strings.Builder
	for i := 0; i < len(raw); i += 4 {
		fmt.Fprintf(&b, "%08X", le.Uint32(raw[i:]))
	}
	return b.String()
}

// process creates /proc/<pid> with comm, cmdline and one fd per socket inode,
// plus a pipe that must be ignored.
func (p *fakeProc) process(pid int, comm string, argv []string, inodes ...uint64) {
	dir := strconv.Itoa(pid)
	p.write(filepath.Join(dir, "comm"), comm+"\n")
	p.write(filepath.Join(dir, "cmdline"), strings.Join(argv, "\x00")+"\x00")
	p.link(filepath.Join(dir, "fd", "0"), "pipe:[11]")
	for i, inode := range inodes {
		p.link(filepath.Join(dir, "fd", strconv.Itoa(i+3)), fmt.Sprintf("socket:[%d]", inode))
	}
}

func (p *fakeProc) write(rel, content string) {
	p.t.Helper()
	path := filepath.Join(p.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *fakeProc) link(rel, target string) {
	p.t.Helper()
	path := filepath.Join(p.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		p.t.Fatal(err)
	}
}

func (p *fakeProc) lookup() lookupFunc { return procLookup(p.root, le) }

// postgresTree: a postmaster (812) and a forked backend (1300) share the
// loopback listener; pid 1 holds nothing; "self" and a process without fd
// access are noise.
func postgresTree(t *testing.T) *fakeProc {
	p := newFakeProc(t)
	p.table("tcp",
		socket{netip.MustParseAddr("127.0.0.1"), 5432, 0x01, 45678},
		socket{netip.MustParseAddr("127.0.0.1"), 5432, tcpListen, 23456})
	p.table("tcp6", socket{netip.MustParseAddr("::1"), 5432, tcpListen, 23457})
	p.process(1, "systemd", []string{"/sbin/init"})
	p.process(1300, "postgres", []string{"postgres: 15/main: app app 127.0.0.1(53412) idle"}, 23456, 45678)
	p.process(812, "postgres", []string{"/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main"}, 23456, 23457)
	p.write(filepath.Join("self", "comm"), "ports.test\n")
	p.write(filepath.Join("2222", "comm"), "secret\n") // no fd dir: another user's process
	return p
}

func TestProcLookupNamesTheListeningParent(t *testing.T) {
	p := postgresTree(t)
	o, found := p.lookup()(context.Background(), Binding{HostIP: "127.0.0.1", Port: 5432, Protocol: "tcp"})
	want := owner{pid: 812, name: "postgres", cmdline: "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main"}
	if !found || o != want {
		t.Fatalf("lookup = %+v, found %v; want %+v", o, found, want)
	}
}

func TestProcLookupMatchesAddresses(t *testing.T) {
	p := postgresTree(t)
	tests := []struct {
		b     Binding
		found bool
	}{
		{Binding{HostIP: "", Port: 5432, Protocol: "tcp"}, true},
		{Binding{HostIP: "0.0.0.0", Port: 5432, Protocol: "tcp"}, true},
		{Binding{HostIP: "::", Port: 5432, Protocol: "tcp"}, true}, // ::1 is taken
		{Binding{HostIP: "192.168.1.10", Port: 5432, Protocol: "tcp"}, false},
		{Binding{HostIP: "127.0.0.1", Port: 5433, Protocol: "tcp"}, false},
		{Binding{HostIP: "127.0.0.1", Port: 5432, Protocol: "udp"}, false}, // no udp tables at all
	}
	for _, tt := range tests {
		if _, found := p.lookup()(context.Background(), tt.b); found != tt.found {
			t.Errorf("lookup(%s) found = %v, want %v", tt.b, found, tt.found)
		}
	}
}

func TestProcLookupHiddenHolder(t *testing.T) {
	// A socket on the port whose inode no visible process has: held, pid unknown.
	p := newFakeProc(t)
	p.table("udp", socket{netip.MustParseAddr("0.0.0.0"), 53, 0x07, 999})
	p.process(10, "dnsmasq", []string{"dnsmasq"}, 1000)
	o, found := p.lookup()(context.Background(), Binding{HostIP: "127.0.0.1", Port: 53, Protocol: "udp"})
	if !found || o != (owner{}) {
		t.Fatalf("lookup = %+v, found %v; want held by an unseen process", o, found)
	}
}

func TestProcLookupReadsSampleTables(t *testing.T) {
	// The established connection to 10.0.2.15:22 in the sample holds nothing.
	p := newFakeProc(t)
	for _, name := range []string{"tcp", "tcp6", "udp"} {
		data, err := os.ReadFile(filepath.Join("testdata", "net", name))
		if err != nil {
			t.Fatal(err)
		}
		p.write(filepath.Join("net", name), string(data))
	}
	p.process(420, "sshd", []string{"sshd: alice [priv]"}, 34567)
	p.process(643, "nginx", []string{"nginx: master process /usr/sbin/nginx"}, 30112)
	if o, found := p.lookup()(context.Background(), Binding{HostIP: "10.0.2.15", Port: 22, Protocol: "tcp"}); found {
		t.Errorf("10.0.2.15:22 = %+v, want free: only an established connection uses it", o)
	}
	o, found := p.lookup()(context.Background(), Binding{HostIP: "2001:db8::5", Port: 443, Protocol: "tcp"})
	if !found || o.pid != 643 || o.cmdline != "nginx: master process /usr/sbin/nginx" {
		t.Errorf("[2001:db8::5]:443 = %+v, found %v; want nginx 643", o, found)
	}
	if _, found := p.lookup()(context.Background(), Binding{Port: 5353, Protocol: "udp"}); !found {
		t.Errorf("5353/udp not found, want the bound avahi socket")
	}
}
