package ports

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// holdTCP listens on addr for the rest of the test and returns the port.
func holdTCP(t *testing.T, addr string) int {
	t.Helper()
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func asConflict(t *testing.T, err error) *ConflictError {
	t.Helper()
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Check = %v, want a *ConflictError", err)
	}
	return ce
}

func TestCheckFreePort(t *testing.T) {
	port := freePort(t)
	for _, b := range []Binding{
		{HostIP: "127.0.0.1", Port: port, Protocol: "tcp"},
		{HostIP: "127.0.0.1", Port: port, Protocol: "udp"},
		{HostIP: "127.0.0.1", Port: port}, // tcp by default
	} {
		if err := Check(context.Background(), b, refusingFinder{t}); err != nil {
			t.Errorf("Check(%s) = %v, want nil", b, err)
		}
	}
}

func TestCheckConflictOnEveryAddressOfThePort(t *testing.T) {
	port := holdTCP(t, "127.0.0.1:0")
	for _, hostIP := range []string{"127.0.0.1", "0.0.0.0", ""} {
		b := Binding{HostIP: hostIP, Port: port, Protocol: "tcp"}
		ce := asConflict(t, Check(context.Background(), b, nil))
		if ce.Binding != b {
			t.Errorf("conflict names %+v, want %+v", ce.Binding, b)
		}
	}
}

func TestCheckSkipsWhatItCannotBind(t *testing.T) {
	for _, b := range []Binding{
		{Port: 0, Protocol: "tcp"},     // the engine picks the port
		{Port: 5432, Protocol: "sctp"}, // Go cannot bind sctp
	} {
		if err := Check(context.Background(), b, refusingFinder{t}); err != nil {
			t.Errorf("Check(%s) = %v, want nil", b, err)
		}
	}
}

func TestCheckRejectsInvalidBindings(t *testing.T) {
	for _, b := range []Binding{
		{Port: 5432, Protocol: "icmp"},
		{Port: 70000, Protocol: "tcp"},
		{Port: -1, Protocol: "tcp"},
		{HostIP: "localhost", Port: 5432, Protocol: "tcp"},
	} {
		err := Check(context.Background(), b, refusingFinder{t})
		if err == nil || IsConflict(err) {
			t.Errorf("Check(%+v) = %v, want a validation error", b, err)
		}
	}
}

func TestCheckOtherBindFailuresAreNotConflicts(t *testing.T) {
	// 192.0.2.0/24 is TEST-NET-1: no host has it, so the bind fails for another reason.
	b := Binding{HostIP: "192.0.2.1", Port: freePort(t), Protocol: "tcp"}
	err := Check(context.Background(), b, refusingFinder{t})
	if err == nil || IsConflict(err) || !strings.Contains(err.Error(), "probe port 192.0.2.1:") {
		t.Errorf("Check(%s) = %v, want a wrapped bind error that is no conflict", b, err)
	}
}

func TestCheckHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Check(ctx, Binding{Port: holdTCP(t, "127.0.0.1:0"), Protocol: "tcp"}, refusingFinder{t})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Check = %v, want context.Canceled", err)
	}
}

// The engine binds 0.0.0.0 as IPv4 only; Go's "tcp" would widen it to a
// dual-stack socket and see conflicts the engine never meets.
func TestCheckIPv4BindingIgnoresIPv6Sockets(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	b := Binding{HostIP: "0.0.0.0", Port: ln.Addr().(*net.TCPAddr).Port, Protocol: "tcp"}
	if err := Check(context.Background(), b, nil); err != nil {
		t.Errorf("Check(%s) with only [::1] taken = %v, want nil", b, err)
	}
}
