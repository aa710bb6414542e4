package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
)

// method is a request this package may send. Only the constants below exist,
// and requestFrame turns each into a fixed body: there is no way to send a
// mutating call such as prepare or stopProcessId (see docs/pm2-facts.md#rpc-socket: a malformed
// mutating call makes the daemon update itself and restart every app).
type method string

const (
	callMonitorData method = "getMonitorData" // a call: the process list
	listMethods     method = "methods"        // not a call: {"type":"methods"}
)

// requestFrame is the one place a request body is made: a literal per method.
func requestFrame(m method, id string) ([]byte, error) {
	var body string
	switch m {
	case callMonitorData:
		body = `{"type":"call","method":"getMonitorData","args":[{}]}`
	case listMethods:
		body = `{"type":"methods"}`
	default:
		return nil, fmt.Errorf("request %q: %w", string(m), ErrNotAllowed)
	}
	return Encode(JSONArg([]byte(body)), StringArg(id))
}

// Client is a read-only connection to a PM2 daemon's RPC socket
// ($PM2_HOME/rpc.sock). Its methods may be called concurrently: requests are
// pipelined and replies, which may come in any order, are matched by id.
type Client struct {
	conn net.Conn
	wmu  sync.Mutex // one frame at a time on the wire

	mu      sync.Mutex
	pending map[string]chan Frame // by request id
	ids     uint64
	err     error         // why the client closed; set once
	done    chan struct{} // closed with err set
}

// Dial connects to the daemon of pm2Home. ctx bounds the dialing only. The
// error wraps ErrNotRunning when no daemon listens, ErrUnsupported on Windows.
func Dial(ctx context.Context, pm2Home string) (*Client, error) {
	conn, err := dialSocket(ctx, filepath.Join(pm2Home, "rpc.sock"))
	if err != nil {
		return nil, err
	}
	return newClient(conn), nil
}

func newClient(conn net.Conn) *Client {
	c := &Client{conn: conn, pending: map[string]chan Frame{}, done: make(chan struct{})}
	go c.readLoop(NewDecoder(conn))
	return c
}

// Close closes the connection; calls in flight return ErrClosed.
func (c *Client) Close() error {
	c.shut(ErrClosed)
	return nil
}

// shut closes the client once, recording why.
func (c *Client) shut(why error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = why
	close(c.done)
	c.conn.Close()
}

func (c *Client) readLoop(dec *Decoder) {
	for {
		f, err := dec.Next()
		if err != nil {
			c.shut(fmt.Errorf("%w: read reply: %w", ErrClosed, err))
			return
		}
		// A reply is [body, s:id]. Others, and ids nobody waits for (a call
		// that was given up), are dropped, as PM2's own client does.
		if len(f.Args) < 2 || f.Args[len(f.Args)-1].Kind != KindString {
			continue
		}
		id := string(f.Args[len(f.Args)-1].Data)
		c.mu.Lock()
		ch := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- f // buffered: never blocks
		}
	}
}

// call sends m and waits for its reply's body. If ctx ends first the whole
// client is closed: a write cut short would leave half a frame on the wire,
// after which the daemon's parser is out of step for good.
func (c *Client) call(ctx context.Context, m method) (Arg, error) {
	if err := ctx.Err(); err != nil {
		return Arg{}, fmt.Errorf("pm2 %s: %w", m, err)
	}
	id, ch, err := c.register()
	if err != nil {
		return Arg{}, fmt.Errorf("pm2 %s: %w", m, err)
	}
	defer c.unregister(id)
	stop := context.AfterFunc(ctx, func() {
		c.shut(fmt.Errorf("%w: %w", ErrClosed, context.Cause(ctx)))
	})
	defer stop()
	if err := c.send(m, id); err != nil {
		return Arg{}, fmt.Errorf("pm2 %s: %w", m, err)
	}
	select {
	case f := <-ch:
		return replyBody(m, f)
	case <-c.done:
		return Arg{}, fmt.Errorf("pm2 %s: %w", m, c.closeErr())
	}
}

// send writes the request frame for m: the only write to the connection.
func (c *Client) send(m method, id string) error {
	frame, err := requestFrame(m, id)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.conn.Write(frame); err != nil {
		c.shut(fmt.Errorf("%w: write request: %w", ErrClosed, err))
		return c.closeErr()
	}
	return nil
}

func (c *Client) register() (string, chan Frame, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return "", nil, c.err
	}
	id := "pm2dock:" + strconv.FormatUint(c.ids, 10)
	c.ids++
	ch := make(chan Frame, 1)
	c.pending[id] = ch
	return id, ch, nil
}

func (c *Client) unregister(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, id)
}

func (c *Client) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// replyBody checks a reply frame [j:body, s:id] and turns {"error":…} into a
// *RemoteError.
func replyBody(m method, f Frame) (Arg, error) {
	body := f.Args[0]
	var head struct {
		Error json.RawMessage `json:"error"`
	}
	if err := body.Unmarshal(&head); err != nil {
		return Arg{}, fmt.Errorf("pm2 %s: reply: %w", m, err)
	}
	if len(head.Error) > 0 && string(head.Error) != "null" {
		msg := string(head.Error)
		var s string
		if json.Unmarshal(head.Error, &s) == nil {
			msg = s
		}
		return Arg{}, &RemoteError{Method: string(m), Message: msg, Raw: json.RawMessage(body.Data)}
	}
	return body, nil
}

// MonitorData returns the daemon's process list, as `pm2 jlist` prints it.
func (c *Client) MonitorData(ctx context.Context) ([]Process, error) {
	body, err := c.call(ctx, callMonitorData)
	if err != nil {
		return nil, err
	}
	var reply struct {
		Args []json.RawMessage `json:"args"`
	}
	if err := body.Unmarshal(&reply); err != nil || len(reply.Args) == 0 {
		// The body is not quoted: it may hold environment values.
		return nil, fmt.Errorf("pm2 getMonitorData: reply has no result")
	}
	procs, err := decodeProcesses(reply.Args[0])
	if err != nil {
		return nil, fmt.Errorf("pm2 getMonitorData: %w", err)
	}
	return procs, nil
}

// Method is one method the daemon exposes, with its JavaScript parameter names.
type Method struct {
	Name   string   `json:"name"`
	Params []string `json:"params"`
}

// Methods lists the daemon's methods, sorted by name. Listing them is all
// this package does with them: only getMonitorData is ever called.
func (c *Client) Methods(ctx context.Context) ([]Method, error) {
	body, err := c.call(ctx, listMethods)
	if err != nil {
		return nil, err
	}
	var reply struct {
		Methods map[string]Method `json:"methods"`
	}
	if err := body.Unmarshal(&reply); err != nil {
		return nil, fmt.Errorf("pm2 methods: %w", err)
	}
	if reply.Methods == nil {
		return nil, fmt.Errorf("pm2 methods: reply has no method list")
	}
	out := make([]Method, 0, len(reply.Methods))
	for name, m := range reply.Methods {
		m.Name = name
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
