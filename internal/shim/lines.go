package shim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// LineSink receives every complete log line of the container, in order. It
// reports dup for a line a previous shim already handled (replayed by the
// engine at the boundary after a restart); the shim then drops it.
type LineSink interface {
	Line(ts time.Time, stream string, msg []byte) (dup bool)
	// Since is where the engine's replay must start so that nothing kept is
	// missing (zero: the sink holds nothing; replay everything).
	Since() time.Time
}

// maxLine bounds a reassembled line; longer ones are emitted in pieces.
const maxLine = 16 << 20

// demux reads the engine's multiplexed log stream (8-byte frame headers: stream,
// 3 zero bytes, big-endian length). With timestamps on, each frame is one log
// message "TS msg"; the engine splits long lines into partial messages that lack
// the trailing newline, which demux joins back into one line stamped with the
// first part's time.
func demux(r io.Reader, emit func(ts time.Time, stream string, msg []byte)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var hdr [8]byte
	var buf []byte
	pending := map[string]*partial{}
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			flushPartial(pending, emit)
			return eof(err)
		}
		stream := "stdout"
		switch hdr[0] {
		case 1:
		case 2:
			stream = "stderr"
		case 3:
			n := binary.BigEndian.Uint32(hdr[4:])
			msg := make([]byte, n)
			io.ReadFull(br, msg)
			return fmt.Errorf("engine log stream error: %s", bytes.TrimSpace(msg))
		default:
			return fmt.Errorf("engine log stream: unknown stream byte %d", hdr[0])
		}
		n := int(binary.BigEndian.Uint32(hdr[4:]))
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			flushPartial(pending, emit)
			return eof(err)
		}
		frame(buf, stream, pending, emit)
	}
}

// raw reads a TTY container's stream: no frames, everything is stdout.
func raw(r io.Reader, emit func(ts time.Time, stream string, msg []byte)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	pending := map[string]*partial{}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			frame(line, "stdout", pending, emit)
		}
		if err != nil {
			flushPartial(pending, emit)
			return eof(err)
		}
	}
}

// flushPartial emits the lines still waiting for their newline when the
// stream ends: a container's last words ("FATAL: bad config", no newline)
// matter most.
func flushPartial(pending map[string]*partial, emit func(time.Time, string, []byte)) {
	for _, stream := range []string{"stdout", "stderr"} {
		if p := pending[stream]; p != nil {
			emit(p.ts, stream, p.msg)
			delete(pending, stream)
		}
	}
}

type partial struct {
	ts  time.Time
	msg []byte
}

func frame(b []byte, stream string, pending map[string]*partial, emit func(time.Time, string, []byte)) {
	ts, msg := splitTimestamp(b)
	complete := len(msg) > 0 && msg[len(msg)-1] == '\n'
	if complete {
		msg = msg[:len(msg)-1]
		if n := len(msg); n > 0 && msg[n-1] == '\r' {
			msg = msg[:n-1]
		}
	}
	p := pending[stream]
	if p == nil && complete {
		emit(ts, stream, msg)
		return
	}
	if p == nil {
		p = &partial{ts: ts}
		pending[stream] = p
	}
	p.msg = append(p.msg, msg...)
	if complete || len(p.msg) >= maxLine {
		emit(p.ts, stream, p.msg)
		delete(pending, stream)
	}
}

// splitTimestamp separates the engine's RFC 3339 prefix from the message.
func splitTimestamp(b []byte) (time.Time, []byte) {
	if i := bytes.IndexByte(b, ' '); i > 0 && i < 40 {
		if ts, err := time.Parse(time.RFC3339Nano, string(b[:i])); err == nil {
			return ts.UTC(), b[i+1:]
		}
	}
	return time.Now().UTC(), b
}

func eof(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// ring keeps the last n lines (each cut to 1 KiB) for failure reports.
type ring struct {
	mu    sync.Mutex
	lines []string
	n     int
}

func (r *ring) add(msg []byte) {
	if len(msg) > 1024 {
		msg = append(msg[:1024:1024], "…"...)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, string(bytes.ToValidUTF8(msg, []byte("\uFFFD"))))
	if len(r.lines) > r.n {
		r.lines = r.lines[len(r.lines)-r.n:]
	}
}

func (r *ring) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}
