package rpc

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"
)

const sleeperJSON = `[{"pid":4242,"name":"sleeper","pm_id":0,"monit":{"memory":1536000,"cpu":0.5},
"pm2_env":{"status":"online","restart_time":2,"unstable_restarts":0,"pm_uptime":1700000000123,
"created_at":1700000000000,"namespace":"t","pm_out_log_path":"/l/out.log","pm_err_log_path":"/l/err.log",
"SECRET_TOKEN":"hunter2"}}]`

func dialFake(t *testing.T, d *fakeDaemon) *Client {
	t.Helper()
	c, err := Dial(t.Context(), d.home)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRepliesOutOfOrderReachTheirCallers(t *testing.T) {
	d := newFakeDaemon(t, []string{"getMonitorData", "methods"}, func(c *fakeConn) {
		first, ok1 := c.next()
		second, ok2 := c.next()
		if !ok1 || !ok2 {
			return
		}
		c.reply("nobody:1", `{"args":[[]]}`) // a stray id must be ignored
		for _, r := range []request{second, first} {
			if r.name() == "methods" {
				c.reply(r.id, `{"methods":{"getMonitorData":{"name":"getMonitorData","params":["env","cb"]},"ping":{"name":"ping","params":["opts","fn"]}}}`)
			} else {
				c.reply(r.id, `{"args":[`+sleeperJSON+`]}`)
			}
		}
		c.drain()
	})
	client := dialFake(t, d)

	type result struct {
		procs   []Process
		methods []Method
		err     error
	}
	monitor, methods := make(chan result, 1), make(chan result, 1)
	go func() {
		p, err := client.MonitorData(t.Context())
		monitor <- result{procs: p, err: err}
	}()
	go func() {
		m, err := client.Methods(t.Context())
		methods <- result{methods: m, err: err}
	}()

	m := <-monitor
	if m.err != nil || len(m.procs) != 1 || m.procs[0].Name != "sleeper" || m.procs[0].PID != 4242 {
		t.Errorf("MonitorData = %+v, %v", m.procs, m.err)
	}
	l := <-methods
	if l.err != nil || len(l.methods) != 2 || l.methods[0].Name != "getMonitorData" || l.methods[1].Params[1] != "fn" {
		t.Errorf("Methods = %+v, %v", l.methods, l.err)
	}
}

func TestDaemonErrorReplyIsARemoteError(t *testing.T) {
	d := newFakeDaemon(t, []string{"getMonitorData"}, func(c *fakeConn) {
		if r, ok := c.next(); ok {
			c.reply(r.id, `{"error":"boom","stack":"Error: boom\n    at God.js:1"}`)
		}
		c.drain()
	})
	_, err := dialFake(t, d).MonitorData(t.Context())
	var remote *RemoteError
	if !errors.As(err, &remote) || remote.Message != "boom" || remote.Method != "getMonitorData" {
		t.Fatalf("err = %#v, want a RemoteError with message boom", err)
	}
}

func TestCancelledCallClosesTheClient(t *testing.T) {
	hungUp := make(chan struct{})
	d := newFakeDaemon(t, []string{"getMonitorData"}, func(c *fakeConn) {
		c.next() // and never answer
		c.drain()
		close(hungUp)
	})
	client := dialFake(t, d)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := client.MonitorData(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want DeadlineExceeded and ErrClosed", err)
	}
	select {
	case <-hungUp:
	case <-time.After(5 * time.Second):
		t.Fatal("the daemon still has the connection open")
	}
	if _, err := client.MonitorData(t.Context()); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after close: err = %v, want ErrClosed", err)
	}
}

func TestDaemonHangingUpFailsCallsInFlight(t *testing.T) {
	d := newFakeDaemon(t, []string{"getMonitorData"}, func(c *fakeConn) {
		c.next() // then close without answering
	})
	_, err := dialFake(t, d).MonitorData(t.Context())
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

func TestDialWithoutDaemonIsNotRunning(t *testing.T) {
	home := t.TempDir()
	if _, err := Dial(t.Context(), home); !IsNotRunning(err) {
		t.Errorf("no socket file: err = %v, want ErrNotRunning", err)
	}
	// A daemon that died leaves its socket file behind.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(home, "rpc.sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Dial(t.Context(), home); !IsNotRunning(err) {
		t.Errorf("stale socket file: err = %v, want ErrNotRunning", err)
	}
}
