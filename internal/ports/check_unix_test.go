//go:build linux || darwin

package ports

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestCheckNamesThisProcessAsHolder(t *testing.T) {
	port := holdTCP(t, "127.0.0.1:0")
	b := Binding{HostIP: "127.0.0.1", Port: port, Protocol: "tcp"}
	ce := asConflict(t, Check(context.Background(), b, refusingFinder{t}))
	assertHeldByUs(t, ce)
	want := "port 127.0.0.1:" + strconv.Itoa(port) + "/tcp is already in use by pid " + strconv.Itoa(os.Getpid())
	if !strings.HasPrefix(ce.Error(), want) {
		t.Errorf("message = %q, want it to start with %q", ce.Error(), want)
	}
}

func TestCheckNamesThisProcessAsUDPHolder(t *testing.T) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	port := c.LocalAddr().(*net.UDPAddr).Port
	ce := asConflict(t, Check(context.Background(), Binding{Port: port, Protocol: "udp"}, refusingFinder{t}))
	assertHeldByUs(t, ce)
}

func assertHeldByUs(t *testing.T, ce *ConflictError) {
	t.Helper()
	if ce.Holder == nil {
		t.Fatalf("holder unknown: %v", ce)
	}
	if ce.Holder.PID != os.Getpid() {
		t.Errorf("holder pid = %d, want this test's %d", ce.Holder.PID, os.Getpid())
	}
	if exe := filepath.Base(os.Args[0]); !strings.Contains(ce.Holder.Cmdline, exe) {
		t.Errorf("holder cmdline = %q, want it to contain %q", ce.Holder.Cmdline, exe)
	}
}

// A user without root may not bind a low port, but the engine may: only a
// socket already on it makes a conflict.
func TestCheckLowPortWithoutRootAsksTheSocketTable(t *testing.T) {
	denied := func(Binding) error {
		return &net.OpError{Op: "listen", Net: "tcp4", Err: os.NewSyscallError("bind", syscall.EACCES)}
	}
	b := Binding{HostIP: "0.0.0.0", Port: 80, Protocol: "tcp"}
	nginx := func(context.Context, Binding) (owner, bool) { return owner{pid: 643, name: "nginx"}, true }
	ce := asConflict(t, system{probe: denied, lookup: nginx}.check(context.Background(), b, refusingFinder{t}))
	if ce.Holder == nil || ce.Holder.PID != 643 {
		t.Errorf("holder = %+v, want nginx 643", ce.Holder)
	}
	nobody := func(context.Context, Binding) (owner, bool) { return owner{}, false }
	if err := (system{probe: denied, lookup: nobody}).check(context.Background(), b, refusingFinder{t}); err != nil {
		t.Errorf("check with no socket on the port = %v, want nil", err)
	}
}

// The race path: the engine reports the conflict, and Describe names the
// holder the same way Check would have.
func TestDescribeAfterEngineError(t *testing.T) {
	port := holdTCP(t, "127.0.0.1:0")
	b, ok := FromEngineError("Bind for 127.0.0.1:" + strconv.Itoa(port) + " failed: port is already allocated")
	if !ok {
		t.Fatal("engine message not recognised")
	}
	h := Describe(context.Background(), b, refusingFinder{t})
	if h == nil || h.PID != os.Getpid() {
		t.Errorf("Describe = %+v, want this test process", h)
	}
}
