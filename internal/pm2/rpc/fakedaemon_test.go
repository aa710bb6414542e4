package rpc

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// fakeDaemon listens on rpc.sock in a PM2_HOME of its own and speaks amp like
// PM2's RPC server. serve runs once per connection. A request for a method the
// test did not expect fails the test and is answered with PM2's error reply.
type fakeDaemon struct {
	t      *testing.T
	home   string
	expect map[string]bool // "getMonitorData", "methods"
	ln     *net.UnixListener
	wg     sync.WaitGroup
}

func newFakeDaemon(t *testing.T, expect []string, serve func(*fakeConn)) *fakeDaemon {
	t.Helper()
	home := t.TempDir()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(home, "rpc.sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDaemon{t: t, home: home, ln: ln, expect: map[string]bool{}}
	for _, m := range expect {
		d.expect[m] = true
	}
	d.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			d.wg.Go(func() {
				defer conn.Close()
				serve(&fakeConn{d: d, conn: conn, dec: NewDecoder(conn)})
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		d.wg.Wait()
	})
	return d
}

type fakeConn struct {
	d    *fakeDaemon
	conn net.Conn
	dec  *Decoder
}

// request is a decoded request frame.
type request struct {
	Type   string            `json:"type"`
	Method string            `json:"method"`
	Args   []json.RawMessage `json:"args"`
	id     string
}

// name is what the request asks for: the method of a call, or "methods".
func (r request) name() string {
	if r.Type == "methods" {
		return "methods"
	}
	return r.Method
}

// next reads one request, failing the test on anything unexpected. ok is
// false when the client has hung up (or the frame was bad).
func (c *fakeConn) next() (r request, ok bool) {
	f, err := c.dec.Next()
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return r, false
	}
	if err != nil {
		c.d.t.Errorf("fake daemon: read request: %v", err)
		return r, false
	}
	if len(f.Args) != 2 || f.Args[1].Kind != KindString {
		c.d.t.Errorf("fake daemon: request frame %q is not [j:body, s:id]", f.Args)
		return r, false
	}
	if err := f.Args[0].Unmarshal(&r); err != nil {
		c.d.t.Errorf("fake daemon: request body: %v", err)
		return r, false
	}
	r.id = string(f.Args[1].Data)
	if !c.d.expect[r.name()] {
		c.d.t.Errorf("fake daemon: unexpected request %s", f.Args[0].Data)
		c.reply(r.id, `{"error":"unexpected"}`)
		return c.next()
	}
	if r.Type == "call" && string(r.Args[0]) != "{}" {
		c.d.t.Errorf("fake daemon: call args %s, want [{}]", r.Args)
	}
	return r, true
}

func (c *fakeConn) reply(id, body string) {
	frame, err := Encode(JSONArg([]byte(body)), StringArg(id))
	if err != nil {
		c.d.t.Errorf("fake daemon: encode reply: %v", err)
		return
	}
	if _, err := c.conn.Write(frame); err != nil {
		c.d.t.Errorf("fake daemon: write reply: %v", err)
	}
}

// drain reads until the client hangs up, so unexpected requests still fail.
func (c *fakeConn) drain() {
	for {
		if _, ok := c.next(); !ok {
			return
		}
	}
}
