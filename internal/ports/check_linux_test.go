package ports

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// proxiedPort holds a real port (so the bind fails for real) and builds a fake
// proc tree in which the socket on it belongs to pid 4321 running comm.
func proxiedPort(t *testing.T, comm string, argv ...string) (Binding, system) {
	port := holdTCP(t, "127.0.0.1:0")
	p := newFakeProc(t)
	p.table("tcp", socket{netip.MustParseAddr("127.0.0.1"), port, tcpListen, 777001})
	if comm != "" {
		p.process(4321, comm, argv, 777001)
	}
	b := Binding{HostIP: "127.0.0.1", Port: port, Protocol: "tcp"}
	return b, system{probe: bindAndClose, lookup: p.lookup()}
}

var devstackPostgres = &ContainerRef{ID: "9f86d081884c7d65", Name: "devstack-postgres-1", Project: "devstack", Service: "postgres"}

func TestCheckAsksTheEngineAboutDockerProxy(t *testing.T) {
	b, sys := proxiedPort(t, "docker-proxy", "/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", "127.0.0.1")
	finder := expectFinder(t, b.Port, "tcp", devstackPostgres)
	ce := asConflict(t, sys.check(context.Background(), b, finder))
	if ce.Holder == nil || ce.Holder.PID != 4321 || ce.Holder.Container != devstackPostgres {
		t.Fatalf("holder = %+v, want docker-proxy 4321 and devstack-postgres-1", ce.Holder)
	}
	want := "port 127.0.0.1:" + strconv.Itoa(b.Port) + "/tcp is already in use by container devstack-postgres-1 (compose project devstack, service postgres)"
	if ce.Error() != want {
		t.Errorf("message = %q, want %q", ce.Error(), want)
	}
}

func TestCheckKeepsDockerProxyWhenNoContainerClaimsThePort(t *testing.T) {
	b, sys := proxiedPort(t, "docker-proxy", "/usr/bin/docker-proxy", "-proto", "tcp")
	ce := asConflict(t, sys.check(context.Background(), b, expectFinder(t, b.Port, "tcp", nil)))
	want := "port 127.0.0.1:" + strconv.Itoa(b.Port) + "/tcp is already in use by pid 4321 (docker-proxy: /usr/bin/docker-proxy -proto tcp)"
	if ce.Error() != want {
		t.Errorf("message = %q, want %q", ce.Error(), want)
	}
}

func TestCheckAsksTheEngineWhenNoProcessIsVisible(t *testing.T) {
	b, sys := proxiedPort(t, "") // socket in the table, no process links to it
	ce := asConflict(t, sys.check(context.Background(), b, expectFinder(t, b.Port, "tcp", devstackPostgres)))
	if ce.Holder == nil || ce.Holder.PID != 0 || ce.Holder.Container != devstackPostgres {
		t.Errorf("holder = %+v, want only the container", ce.Holder)
	}
}

func TestCheckLeavesTheEngineAloneForOrdinaryProcesses(t *testing.T) {
	b, sys := proxiedPort(t, "postgres", "/usr/lib/postgresql/15/bin/postgres")
	ce := asConflict(t, sys.check(context.Background(), b, refusingFinder{t}))
	if ce.Holder == nil || ce.Holder.Name != "postgres" || ce.Holder.Container != nil {
		t.Errorf("holder = %+v, want the postgres process", ce.Holder)
	}
}

func TestCheckWithoutFinderStillNamesDockerProxy(t *testing.T) {
	b, sys := proxiedPort(t, "docker-proxy", "/usr/bin/docker-proxy")
	ce := asConflict(t, sys.check(context.Background(), b, nil))
	if ce.Holder == nil || ce.Holder.PID != 4321 {
		t.Errorf("holder = %+v, want docker-proxy 4321", ce.Holder)
	}
}

// addressFinder is a fakeFinder that publishes nothing and knows one
// container by its network address; it fails on any other address, and when
// it was never asked.
type addressFinder struct {
	*fakeFinder
	ip    string
	ref   *ContainerRef
	asked int
}

func (f *addressFinder) FindByAddress(_ context.Context, ip string) (*ContainerRef, error) {
	f.t.Helper()
	if ip != f.ip {
		f.t.Fatalf("unexpected FindByAddress(%q), want %q", ip, f.ip)
	}
	f.asked++
	return f.ref, nil
}

// A container that is starting or stopping publishes its port through the
// proxy before (or after) the engine lists it as publishing: the proxy's
// -container-ip names it, so the holder is a container, not docker-proxy's pid.
func TestCheckNamesTheContainerBehindDockerProxyByItsAddress(t *testing.T) {
	b, sys := proxiedPort(t, "docker-proxy", "/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", "127.0.0.1",
		"-host-port", "5432", "-container-ip", "192.168.80.5", "-container-port", "5432")
	f := &addressFinder{fakeFinder: expectFinder(t, b.Port, "tcp", nil), ip: "192.168.80.5", ref: devstackPostgres}
	ce := asConflict(t, sys.check(context.Background(), b, f))
	if f.asked != 1 || ce.Holder == nil || ce.Holder.Container != devstackPostgres {
		t.Fatalf("asked %d, holder = %+v, want devstack-postgres-1 found by its address", f.asked, ce.Holder)
	}
	if want := "container devstack-postgres-1 (compose project devstack, service postgres)"; !strings.Contains(ce.Error(), want) {
		t.Errorf("message = %q, want it to name %s", ce.Error(), want)
	}
}
