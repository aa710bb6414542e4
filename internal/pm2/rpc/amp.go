package rpc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

const (
	ampVersion = 1
	maxArgs    = 15 // the argument count is the low nibble of the first byte

	// DefaultMaxFrameSize is the cap a Decoder uses when MaxFrameSize is zero.
	// A getMonitorData reply carries every app's whole environment, so this is
	// generous; it exists so that a corrupt length cannot make us allocate GiBs.
	DefaultMaxFrameSize = 64 << 20
)

// Kind is how an argument is typed on the wire: by a two-byte prefix.
type Kind uint8

const (
	KindBlob   Kind = iota // raw bytes, no prefix
	KindString             // "s:" then the string's bytes
	KindJSON               // "j:" then JSON text
)

// Arg is one argument of a frame. Data is the payload without its prefix.
type Arg struct {
	Kind Kind
	Data []byte
}

// StringArg is an s: argument.
func StringArg(s string) Arg { return Arg{Kind: KindString, Data: []byte(s)} }

// JSONArg is a j: argument holding already-encoded JSON; Encode checks it.
func JSONArg(raw []byte) Arg { return Arg{Kind: KindJSON, Data: raw} }

// BlobArg is a raw argument. A blob starting with "s:" or "j:" reads back as a
// string or JSON argument: amp types arguments by prefix only.
func BlobArg(b []byte) Arg { return Arg{Kind: KindBlob, Data: b} }

// Unmarshal decodes a j: argument into v. Malformed JSON is reported here, not
// by Decoder.Next, so that one bad payload does not cost the whole stream its
// framing; the error wraps ErrMalformedJSON.
func (a Arg) Unmarshal(v any) error {
	if a.Kind != KindJSON {
		return fmt.Errorf("decode argument: want a j: argument, got %s", a.Kind)
	}
	if !json.Valid(a.Data) {
		return fmt.Errorf("decode argument: %w", ErrMalformedJSON)
	}
	if err := json.Unmarshal(a.Data, v); err != nil {
		return fmt.Errorf("decode argument: %w", err)
	}
	return nil
}

func (k Kind) String() string {
	switch k {
	case KindString:
		return "s:"
	case KindJSON:
		return "j:"
	}
	return "blob"
}

func (k Kind) prefix() []byte {
	switch k {
	case KindString:
		return []byte("s:")
	case KindJSON:
		return []byte("j:")
	}
	return nil
}

// classify splits an argument's bytes into kind and payload, as amp-message does.
func classify(b []byte) Arg {
	switch {
	case bytes.HasPrefix(b, []byte("s:")):
		return Arg{Kind: KindString, Data: b[2:]}
	case bytes.HasPrefix(b, []byte("j:")):
		return Arg{Kind: KindJSON, Data: b[2:]}
	}
	return Arg{Kind: KindBlob, Data: b}
}

// Frame is one amp message: up to 15 arguments.
type Frame struct {
	Args []Arg
}

// Encode builds one frame. It refuses zero or more than 15 arguments, an
// argument too long for its uint32 length, and a j: argument that is not
// valid JSON (the daemon would throw parsing it).
func Encode(args ...Arg) ([]byte, error) {
	if len(args) == 0 {
		return nil, ErrNoArgs
	}
	if len(args) > maxArgs {
		return nil, fmt.Errorf("encode frame of %d arguments: %w", len(args), ErrTooManyArgs)
	}
	size := 1
	for i, a := range args {
		if a.Kind == KindJSON && !json.Valid(a.Data) {
			return nil, fmt.Errorf("encode argument %d: %w", i, ErrMalformedJSON)
		}
		n := len(a.Kind.prefix()) + len(a.Data)
		if uint64(n) > math.MaxUint32 {
			return nil, fmt.Errorf("encode argument %d of %d bytes: %w", i, n, ErrFrameTooLarge)
		}
		size += 4 + n
	}
	buf := make([]byte, 0, size)
	buf = append(buf, ampVersion<<4|byte(len(args)))
	for _, a := range args {
		p := a.Kind.prefix()
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(p)+len(a.Data)))
		buf = append(buf, p...)
		buf = append(buf, a.Data...)
	}
	return buf, nil
}

// Decoder reads frames from a stream. It is not safe for concurrent use.
type Decoder struct {
	// MaxFrameSize caps the encoded size of one frame (first byte, lengths and
	// arguments); zero means DefaultMaxFrameSize. The decoder never allocates
	// more than this for a frame, whatever the lengths claim.
	MaxFrameSize int

	r   *bufio.Reader
	err error
}

// NewDecoder reads frames from r, buffering it.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReader(r)}
}

// Next returns the next frame. It returns io.EOF when the stream ends between
// frames and io.ErrUnexpectedEOF when it ends inside one. Errors are sticky:
// after one the stream's framing is lost, and Next keeps returning it.
func (d *Decoder) Next() (Frame, error) {
	if d.err != nil {
		return Frame{}, d.err
	}
	f, err := d.next()
	if err != nil {
		d.err = err
	}
	return f, err
}

func (d *Decoder) next() (Frame, error) {
	head, err := d.r.ReadByte()
	if err != nil {
		return Frame{}, err // io.EOF between frames is a clean end
	}
	if head>>4 != ampVersion {
		return Frame{}, fmt.Errorf("decode frame: first byte %#02x: %w", head, ErrBadVersion)
	}
	argc := int(head & 0xf)
	limit := int64(d.MaxFrameSize)
	if limit <= 0 {
		limit = DefaultMaxFrameSize
	}
	f := Frame{Args: make([]Arg, 0, argc)}
	size := int64(1)
	for i := range argc {
		var lenbuf [4]byte
		if _, err := io.ReadFull(d.r, lenbuf[:]); err != nil {
			return Frame{}, fmt.Errorf("decode frame: length of argument %d: %w", i, unexpected(err))
		}
		n := int64(binary.BigEndian.Uint32(lenbuf[:]))
		if size += 4 + n; size > limit {
			return Frame{}, fmt.Errorf("decode frame: argument %d of %d bytes exceeds the %d-byte cap: %w", i, n, limit, ErrFrameTooLarge)
		}
		b, err := readN(d.r, int(n))
		if err != nil {
			return Frame{}, fmt.Errorf("decode frame: argument %d: %w", i, unexpected(err))
		}
		f.Args = append(f.Args, classify(b))
	}
	return f, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readN reads exactly n bytes, growing the buffer as bytes arrive, so that a
// length that lies costs no more memory than the bytes actually sent.
func readN(r io.Reader, n int) ([]byte, error) {
	const step = 1 << 20
	b := make([]byte, 0, min(n, step))
	for len(b) < n {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), min(n, 2*cap(b)))
			copy(nb, b)
			b = nb
		}
		k, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err != nil && len(b) < n {
			return nil, err
		}
	}
	return b, nil
}
