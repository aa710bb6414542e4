package rpc

import (
	"context"
	"encoding/json"
	"path/filepath"
)

// Event is one message of the daemon's event bus ($PM2_HOME/pub.sock): a
// frame [s:topic, j:data]. Topics include process:event (data {event, process,
// at}: online, start, exit, restart, stop, delete…), log:out, log:err and
// pm2:kill.
type Event struct {
	Topic string
	Data  json.RawMessage
}

// ProcessEvent is the data of a process:event.
type ProcessEvent struct {
	Event   string `json:"event"`
	Process struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		PMID      int    `json:"pm_id"`
	} `json:"process"`
	At int64 `json:"at"` // milliseconds since the epoch
}

// Subscribe reads the daemon's event bus until ctx ends or the daemon closes
// the connection; the channel closes then. It never writes to the socket (a
// publisher socket takes no requests). Every published message arrives,
// log lines included, so the caller must keep reading: the daemon buffers
// what a subscriber has not read. Frames that are not [s:topic, j:data] are
// skipped. The error wraps ErrNotRunning when no daemon listens.
func Subscribe(ctx context.Context, pm2Home string) (<-chan Event, error) {
	conn, err := dialSocket(ctx, filepath.Join(pm2Home, "pub.sock"))
	if err != nil {
		return nil, err
	}
	out := make(chan Event, 64)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	go func() {
		defer close(out)
		defer stop()
		defer conn.Close()
		dec := NewDecoder(conn)
		for {
			f, err := dec.Next()
			if err != nil {
				return
			}
			if len(f.Args) < 2 || f.Args[0].Kind != KindString || f.Args[1].Kind != KindJSON {
				continue
			}
			select {
			case out <- Event{Topic: string(f.Args[0].Data), Data: json.RawMessage(f.Args[1].Data)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
