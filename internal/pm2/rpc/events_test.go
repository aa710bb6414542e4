//go:build unix

package rpc

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Subscribe passes [s:topic, j:data] frames on, skips other frames, writes
// nothing, and closes its channel when the daemon hangs up.
func TestSubscribeReadsTopicFramesOnly(t *testing.T) {
	home, err := os.MkdirTemp("", "pm2ev-") // sun_path is short: not t.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(home)
	ln, err := net.Listen("unix", filepath.Join(home, "pub.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wrote := make(chan int64, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		for _, args := range [][]Arg{
			{StringArg("log:out"), StringArg("not json")}, // skipped
			{JSONArg([]byte(`{"x":1}`))},                  // skipped: no topic
			{StringArg("process:event"), JSONArg([]byte(`{"event":"online","process":{"name":"db","namespace":"n","pm_id":3},"at":1}`))},
		} {
			b, _ := Encode(args...)
			conn.Write(b)
		}
		conn.(*net.UnixConn).CloseWrite()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _ := io.Copy(io.Discard, conn)
		wrote <- n
		conn.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := Subscribe(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	var got []Event
	for ev := range events {
		got = append(got, ev)
	}
	if len(got) != 1 || got[0].Topic != "process:event" {
		t.Fatalf("events %+v, want the one process:event", got)
	}
	if n := <-wrote; n != 0 {
		t.Fatalf("Subscribe wrote %d bytes to the bus", n)
	}
}

func TestSubscribeWithoutADaemonIsNotRunning(t *testing.T) {
	if _, err := Subscribe(context.Background(), t.TempDir()); !IsNotRunning(err) {
		t.Fatalf("err = %v, want ErrNotRunning", err)
	}
}
