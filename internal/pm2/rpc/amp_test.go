package rpc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// The golden frames were produced by PM2's own amp-message 1.x
// (new Message(args).toBuffer()), so Encode and Decoder agree with the daemon.
var golden = []struct {
	name string
	hex  string
	args []Arg
}{
	{"one string", "1100000004733a6869", []Arg{StringArg("hi")}},
	{"monitor request", "12000000376a3a7b2274797065223a2263616c6c222c226d6574686f64223a226765744d6f6e69746f7244617461222c2261726773223a5b7b7d5d7d0000000b733a706d32646f636b3a30",
		[]Arg{JSONArg([]byte(`{"type":"call","method":"getMonitorData","args":[{}]}`)), StringArg("pm2dock:0")}},
	{"methods request", "12000000146a3a7b2274797065223a226d6574686f6473227d00000003733a78",
		[]Arg{JSONArg([]byte(`{"type":"methods"}`)), StringArg("x")}},
	{"blob string json", "1300000002dead00000003733a73000000106a3a7b2261223a5b312c22c3a9225d7d",
		[]Arg{BlobArg([]byte{0xde, 0xad}), StringArg("s"), JSONArg([]byte(`{"a":[1,"é"]}`))}},
	{"reply", "120000000f6a3a7b2261726773223a5b5b5d5d7d0000000b733a706d32646f636b3a37",
		[]Arg{JSONArg([]byte(`{"args":[[]]}`)), StringArg("pm2dock:7")}},
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeMatchesPM2(t *testing.T) {
	for _, g := range golden {
		got, err := Encode(g.args...)
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		if h := hex.EncodeToString(got); h != g.hex {
			t.Errorf("%s:\n got %s\nwant %s", g.name, h, g.hex)
		}
	}
}

// allGolden is every golden frame back to back, as one stream.
func allGolden(t *testing.T) []byte {
	var stream []byte
	for _, g := range golden {
		stream = append(stream, unhex(t, g.hex)...)
	}
	return stream
}

func decodeAll(r io.Reader) ([]Frame, error) {
	d := NewDecoder(r)
	var frames []Frame
	for {
		f, err := d.Next()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		frames = append(frames, f)
	}
}

func TestDecodeStreamsOfGoldenFrames(t *testing.T) {
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"halves":   iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		frames, err := decodeAll(wrap(bytes.NewReader(allGolden(t))))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(frames) != len(golden) {
			t.Fatalf("%s: %d frames, want %d", name, len(frames), len(golden))
		}
		for i, g := range golden {
			if !sameArgs(frames[i].Args, g.args) {
				t.Errorf("%s: frame %q decoded as %q", name, g.name, frames[i].Args)
			}
		}
	}
}

func sameArgs(a, b []Arg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Kind != b[i].Kind || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

func TestDecodeTruncatedFrameIsUnexpectedEOF(t *testing.T) {
	frame := unhex(t, golden[1].hex)
	for _, cut := range []int{1, 3, 5, 20, len(frame) - 1} {
		_, err := decodeAll(bytes.NewReader(frame[:cut]))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: err = %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
}

func TestDecodeRejectsBadVersion(t *testing.T) {
	for _, first := range []byte{0x01, 0x21, 0xf1} {
		_, err := NewDecoder(bytes.NewReader([]byte{first, 0, 0, 0, 0})).Next()
		if !errors.Is(err, ErrBadVersion) {
			t.Errorf("first byte %#x: err = %v, want ErrBadVersion", first, err)
		}
	}
}

func TestDecodeRefusesFramesOverTheCap(t *testing.T) {
	// Claims a 4 GiB argument but sends 3 bytes: must fail before allocating.
	d := NewDecoder(bytes.NewReader([]byte{0x11, 0xff, 0xff, 0xff, 0xff, 's', ':', 'x'}))
	if _, err := d.Next(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	// The cap counts the whole frame: two 6-byte arguments make 21 bytes.
	frame, _ := Encode(StringArg("abcd"), StringArg("efgh"))
	d = NewDecoder(bytes.NewReader(frame))
	d.MaxFrameSize = len(frame) - 1
	if _, err := d.Next(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge at cap %d", err, d.MaxFrameSize)
	}
	d = NewDecoder(bytes.NewReader(frame))
	d.MaxFrameSize = len(frame)
	if _, err := d.Next(); err != nil {
		t.Fatalf("frame of exactly the cap: %v", err)
	}
}

func TestDecodeErrorsAreSticky(t *testing.T) {
	stream := append([]byte{0x31}, unhex(t, golden[0].hex)...)
	d := NewDecoder(bytes.NewReader(stream))
	_, err1 := d.Next()
	_, err2 := d.Next()
	if !errors.Is(err1, ErrBadVersion) || err2 != err1 {
		t.Fatalf("errors %v then %v, want the same ErrBadVersion twice", err1, err2)
	}
}

func TestMalformedJSONFailsTheArgumentNotTheStream(t *testing.T) {
	bad := []byte("\x12\x00\x00\x00\x05j:{no\x00\x00\x00\x03s:1")
	stream := append(bad, unhex(t, golden[4].hex)...)
	frames, err := decodeAll(bytes.NewReader(stream))
	if err != nil || len(frames) != 2 {
		t.Fatalf("got %d frames, err %v; want 2 frames", len(frames), err)
	}
	var v any
	if err := frames[0].Args[0].Unmarshal(&v); !errors.Is(err, ErrMalformedJSON) {
		t.Errorf("Unmarshal(j:{no) = %v, want ErrMalformedJSON", err)
	}
	if err := frames[1].Args[0].Unmarshal(&v); err != nil {
		t.Errorf("the next frame's JSON: %v", err)
	}
}

func TestDecodeAcceptsEmptyFramesAndArguments(t *testing.T) {
	frames, err := decodeAll(bytes.NewReader([]byte{0x10, 0x11, 0, 0, 0, 0}))
	if err != nil || len(frames) != 2 || len(frames[0].Args) != 0 ||
		!reflect.DeepEqual(frames[1].Args, []Arg{{Kind: KindBlob, Data: []byte{}}}) {
		t.Fatalf("got %q, %v", frames, err)
	}
}

func TestEncodeRefusals(t *testing.T) {
	sixteen := make([]Arg, 16)
	for i := range sixteen {
		sixteen[i] = StringArg("x")
	}
	cases := []struct {
		name string
		args []Arg
		want error
	}{
		{"no arguments", nil, ErrNoArgs},
		{"16 arguments", sixteen, ErrTooManyArgs},
		{"bad JSON", []Arg{JSONArg([]byte(`{"type":`))}, ErrMalformedJSON},
	}
	for _, c := range cases {
		if _, err := Encode(c.args...); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := Encode(sixteen[:15]...); err != nil {
		t.Errorf("15 arguments: %v", err)
	}
}

func TestBlobWithPrefixReadsBackAsString(t *testing.T) {
	frame, _ := Encode(BlobArg([]byte("s:looks like a string")))
	f, err := NewDecoder(bytes.NewReader(frame)).Next()
	if err != nil || f.Args[0].Kind != KindString || !strings.HasPrefix(string(f.Args[0].Data), "looks") {
		t.Fatalf("got %q, %v", f.Args, err)
	}
}

func TestDecodeAllocatesForBytesSentNotBytesClaimed(t *testing.T) {
	// 60 MiB claimed (under the default cap), 10 bytes sent.
	stream := []byte{0x11, 0x03, 0xc0, 0x00, 0x00, 's', ':', '0', '1', '2', '3', '4', '5', '6', '7'}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := NewDecoder(bytes.NewReader(stream)).Next()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("allocated %d bytes for a 15-byte stream", grew)
	}
}
