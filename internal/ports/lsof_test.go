package ports

import (
	"context"
	"testing"
)

// lsofSample is `lsof -nP +c 0 -iTCP:5432 -sTCP:LISTEN -Fpcn` on a Mac with
// Docker Desktop publishing *:5432 and a local postgres on loopback.
const lsofSample = `p512
ccom.docker.backend
f21
n*:5432
p903
cpostgres
f7
n127.0.0.1:5432
f8
n[::1]:5432
`

func TestLsofLookupPrefersTheExactAddress(t *testing.T) {
	tests := []struct {
		hostIP  string
		wantPID int
		cmd     string
		ps      string
	}{
		{"127.0.0.1", 903, "ps -ww -o command= -p 903", "/opt/homebrew/opt/postgresql@15/bin/postgres -D /opt/homebrew/var/postgresql@15\n"},
		{"::1", 903, "ps -ww -o command= -p 903", "/opt/homebrew/opt/postgresql@15/bin/postgres -D /opt/homebrew/var/postgresql@15\n"},
		{"", 512, "ps -ww -o command= -p 512", "/Applications/Docker.app/Contents/MacOS/com.docker.backend services\n"},
		{"10.0.0.5", 512, "ps -ww -o command= -p 512", "/Applications/Docker.app/Contents/MacOS/com.docker.backend services\n"},
	}
	for _, tt := range tests {
		t.Run("host "+tt.hostIP, func(t *testing.T) {
			r := expectCommands(t, map[string]string{
				"lsof -nP +c 0 -iTCP:5432 -sTCP:LISTEN -Fpcn": lsofSample,
				tt.cmd: tt.ps,
			})
			o, found := lsofLookup(r.run)(context.Background(), Binding{HostIP: tt.hostIP, Port: 5432, Protocol: "tcp"})
			if !found || o.pid != tt.wantPID {
				t.Fatalf("lookup = %+v, found %v; want pid %d", o, found, tt.wantPID)
			}
			if o.cmdline == "" || o.cmdline[len(o.cmdline)-1] == '\n' {
				t.Errorf("cmdline = %q, want ps output without its newline", o.cmdline)
			}
		})
	}
}

func TestLsofLookupFindsNothing(t *testing.T) {
	// lsof prints nothing (and exits 1) when no socket matches; ps must not run.
	r := expectCommands(t, map[string]string{"lsof -nP +c 0 -iUDP:53 -Fpcn": ""})
	if o, found := lsofLookup(r.run)(context.Background(), Binding{Port: 53, Protocol: "udp"}); found {
		t.Fatalf("lookup = %+v, want nothing found", o)
	}
}

func TestParseLsofSkipsConnectionsAndJunk(t *testing.T) {
	out := "p77\ncnode\nf3\nn127.0.0.1:3000->127.0.0.1:51234\nnnot-an-address\np\nn*:9\n"
	got := parseLsof(out)
	if len(got) != 1 || got[0].pid != 77 || got[0].port != 3000 || got[0].name != "node" {
		t.Fatalf("parseLsof = %+v, want only node's local end 127.0.0.1:3000", got)
	}
}
