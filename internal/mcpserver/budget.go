package mcpserver

import (
	"bytes"
	"fmt"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// Budget is an io.Writer of text lines that keeps the newest lines within
// max bytes and counts those it lets go: an answer an agent's context can
// afford, however large the window it asked for. Memory stays within max
// (plus one line) whatever is written.
type Budget struct {
	max      int
	lines    [][]byte // kept, oldest first
	head     int      // lines[head:] are kept
	size     int      // bytes kept, newlines included
	partial  []byte   // a line not yet ended
	dropped  int      // lines let go
	dropSize int64    // their bytes
	cut      int      // kept lines shortened to fit alone
}

// NewBudget returns a Budget of max bytes (0: DefaultMaxBytes); more than
// MaxMaxBytes, or a negative max, is a usage error.
func NewBudget(max int) (*Budget, error) {
	switch {
	case max == 0:
		max = DefaultMaxBytes
	case max < 0 || max > MaxMaxBytes:
		return nil, exitcode.Errorf(exitcode.Usage, "max_bytes %d: want 1 to %d", max, MaxMaxBytes)
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
		line := p[:i]
		if len(b.partial) > 0 {
			line = append(b.partial, line...)
			b.partial = nil
		}
		b.add(line)
		p = p[i+1:]
	}
	return n, nil
}

func (b *Budget) add(line []byte) {
	if len(line)+1 > b.max {
		line = append(line[:b.max-len(" …")-1:b.max-len(" …")-1], " …"...)
		b.cut++
	}
	b.lines = append(b.lines, append([]byte(nil), line...))
	b.size += len(line) + 1
	for b.size > b.max {
		old := b.lines[b.head]
		b.lines[b.head] = nil
		b.head++
		b.size -= len(old) + 1
		b.dropped++
		b.dropSize += int64(len(old) + 1)
	}
	if b.head > 1024 && b.head > len(b.lines)/2 { // let go of the dropped slots
		b.lines = append([][]byte(nil), b.lines[b.head:]...)
		b.head = 0
	}
}

// Kept is how many lines the answer holds; Dropped how many it left out.
func (b *Budget) Kept() int    { return len(b.lines) - b.head }
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
	for _, l := range b.lines[b.head:] {
		out.Write(l)
		out.WriteByte('\n')
	}
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
