package mcpserver

import (
	"bytes"
	"fmt"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// Budget is an io.Writer of text lines that keeps the newest lines within
// max bytes and counts those it lets go: an answer an agent's context can
// afford, however large the window it asked for. The kept lines sit in one
// buffer (the oldest at off), compacted when the dropped part outgrows the
// kept one: memory stays within about twice max, and a line costs no
// allocation of its own.
type Budget struct {
	max      int
	buf      []byte // buf[off:] holds the kept lines, each ending in '\n'
	off      int
	starts   []int // the kept lines' offsets in buf, oldest first
	head     int   // starts[head:] are kept
	partial  []byte
	dropped  int   // lines let go
	dropSize int64 // their bytes
	cut      int   // lines shortened to fit alone
}

// MinMaxBytes is the smallest budget: room for a line's start and its mark.
const MinMaxBytes = 64

// NewBudget returns a Budget of max bytes (0: DefaultMaxBytes); less than
// MinMaxBytes or more than MaxMaxBytes is a usage error.
func NewBudget(max int) (*Budget, error) {
	switch {
	case max == 0:
		max = DefaultMaxBytes
	case max < MinMaxBytes || max > MaxMaxBytes:
		return nil, exitcode.Errorf(exitcode.Usage, "max_bytes %d: want %d to %d", max, MinMaxBytes, MaxMaxBytes)
	}
	return &Budget{max: max}, nil
}

// Write takes text; each complete line counts as it ends.
func (b *Budget) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			b.partial = append(b.partial, p...)
			if len(b.partial) > b.max { // a line longer than the budget: keep its start
				b.partial = b.partial[:b.max]
			}
			break
		}
		if len(b.partial) > 0 {
			b.add(append(b.partial, p[:i]...))
			b.partial = b.partial[:0]
		} else {
			b.add(p[:i])
		}
		p = p[i+1:]
	}
	return n, nil
}

func (b *Budget) add(line []byte) {
	if len(line)+1 > b.max {
		line = append(line[:b.max-len(" …")-1:b.max-len(" …")-1], " …"...)
		b.cut++
	}
	b.starts = append(b.starts, len(b.buf))
	b.buf = append(append(b.buf, line...), '\n')
	for len(b.buf)-b.off > b.max {
		end := len(b.buf)
		if b.head+1 < len(b.starts) {
			end = b.starts[b.head+1]
		}
		b.dropped++
		b.dropSize += int64(end - b.off)
		b.off = end
		b.head++
	}
	if b.off > b.max { // compact: the dropped part is larger than the budget
		n := copy(b.buf, b.buf[b.off:])
		b.buf = b.buf[:n]
		kept := copy(b.starts, b.starts[b.head:])
		b.starts = b.starts[:kept]
		for i := range b.starts {
			b.starts[i] -= b.off
		}
		b.off, b.head = 0, 0
	}
}

// Kept is how many lines the answer holds; Dropped how many it left out.
func (b *Budget) Kept() int    { return len(b.starts) - b.head }
func (b *Budget) Dropped() int { return b.dropped }

// Text is the answer: the kept lines, then — when lines were left out — a
// notice saying how many and how to narrow the query (narrow); what names
// the lines ("lines", "events").
func (b *Budget) Text(what, narrow string) string {
	if len(b.partial) > 0 {
		b.add(b.partial)
		b.partial = nil
	}
	var out bytes.Buffer
	out.Write(b.buf[b.off:])
	switch {
	case b.dropped > 0:
		fmt.Fprintf(&out, "[%d earlier %s (%d bytes) left out to stay within %d bytes; %s, or raise max_bytes (at most %d)]\n",
			b.dropped, what, b.dropSize, b.max, narrow, MaxMaxBytes)
	case b.Kept() == 0:
		fmt.Fprintf(&out, "[no %s in this window]\n", what)
	}
	if b.cut > 0 {
		fmt.Fprintf(&out, "[%d %s longer than the budget shortened, marked …]\n", b.cut, what)
	}
	return out.String()
}
