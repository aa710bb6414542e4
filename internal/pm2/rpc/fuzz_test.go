package rpc

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzDecode feeds arbitrary streams to a Decoder with a small cap: it must
// never panic, never return a frame over the cap, and every frame it returns
// must re-encode to exactly the bytes it came from.
func FuzzDecode(f *testing.F) {
	for _, g := range golden {
		f.Add(unhex(f, g.hex))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 16
		r := &countingReader{r: bytes.NewReader(data)}
		d := NewDecoder(r)
		d.MaxFrameSize = limit
		for {
			before := r.n - d.r.Buffered()
			frame, err := d.Next()
			if err != nil {
				if err != io.EOF && !knownDecodeError(err) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
			consumed := data[before : r.n-d.r.Buffered()]
			if len(consumed) > limit {
				t.Fatalf("frame of %d bytes passed the %d-byte cap", len(consumed), limit)
			}
			if len(frame.Args) == 0 {
				continue // a valid amp frame that Encode refuses to write
			}
			again, err := Encode(frame.Args...)
			if err == nil && !bytes.Equal(again, consumed) {
				t.Fatalf("re-encoded %x, read %x", again, consumed)
			}
			if err != nil && !errors.Is(err, ErrMalformedJSON) {
				t.Fatalf("re-encode: %v", err)
			}
		}
	})
}

func knownDecodeError(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrBadVersion) || errors.Is(err, ErrFrameTooLarge)
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
