package logstore

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRecordEncodingIsTheDocumentedShape(t *testing.T) {
	r := Record{TS: t0, Service: "db", Stream: "stderr", Level: LevelError, Msg: []byte("boom")}
	got := string(r.AppendJSON(nil))
	want := `{"ts":"2026-11-26T00:37:40.123456789Z","service":"db","stream":"stderr","level":"error","msg":"boom"}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// Whole seconds keep their nine digits, and other zones become UTC.
	r.TS = time.Date(2026, 11, 26, 1, 37, 40, 0, time.FixedZone("CET", 3600))
	if got := string(r.AppendJSON(nil)); !strings.HasPrefix(got, `{"ts":"2026-11-26T00:37:40.000000000Z"`) {
		t.Fatalf("got %s", got)
	}
}

func TestRecordRoundTripsArbitraryBytes(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef\"\\\t"), 1<<16) // 1.2 MB with escapes
	cases := map[string][]byte{
		"empty":           {},
		"plain":           []byte("database system is ready"),
		"quotes":          []byte(`he said "hi" \ bye`),
		"controls":        []byte("a\nb\rc\td\x00e\x1bf\x7f"),
		"unicode":         []byte("ünïcödé 日本語 🚀 \u2028"),
		"invalid utf8":    {0xff, 'a', 0xfe},
		"cut rune":        []byte("caf\xc3"),
		"latin1":          []byte("caf\xe9"),
		"binary":          {0, 1, 2, 0x80, 0xff, '\n', '"'},
		"1MB with escape": big,
		"1MB binary":      append(bytes.Repeat([]byte{0xff}, 1<<20), 'x'),
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			in := Record{TS: t0, Service: "db", Stream: "stdout", Level: LevelInfo, Msg: msg}
			line := in.AppendJSON(nil)
			if bytes.IndexByte(line, '\n') >= 0 {
				t.Fatal("encoded record contains a raw newline")
			}
			if !json.Valid(line) {
				t.Fatalf("not valid JSON: %.200s", line)
			}
			var d decoder
			var out Record
			if !d.decodeFast(line, &out) {
				t.Fatalf("fast path refused %.200s", line)
			}
			if !out.TS.Equal(in.TS) || out.Service != "db" || out.Stream != "stdout" || out.Level != LevelInfo || !bytes.Equal(out.Msg, msg) {
				t.Fatalf("round trip changed the record: %+v", out)
			}
			var slow Record
			if !d.decodeSlow(line, &slow) || !bytes.Equal(slow.Msg, msg) && !bytes.Contains(line, []byte(`"b64":true`)) {
				t.Fatalf("encoding/json reads a different message")
			}
			if isB64 := bytes.HasSuffix(line, []byte(`,"b64":true}`)); isB64 == (string(msg) == strings.ToValidUTF8(string(msg), "")) {
				t.Fatalf("b64 = %v for %q", isB64, msg)
			}
		})
	}
}

func TestRecordJSONMethods(t *testing.T) {
	in := Record{TS: t0, Service: "auth", Stream: "stdout", Level: LevelWarn, Msg: []byte{0xff, 'x'}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Record
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.TS.Equal(in.TS) || out.Service != in.Service || out.Level != in.Level || !bytes.Equal(out.Msg, in.Msg) {
		t.Fatalf("got %+v", out)
	}
}

func TestDecodeAcceptsReorderedKeysAndRejectsGarbage(t *testing.T) {
	var d decoder
	var r Record
	line := `{"msg":"x\u00e9","level":"warn","stream":"stdout","service":"db","ts":"2026-11-26T00:37:40.5Z"}`
	if !d.decode([]byte(line), &r) || string(r.Msg) != "xé" || r.Level != LevelWarn || r.TS.Nanosecond() != 500000000 {
		t.Fatalf("got %+v", r)
	}
	for _, bad := range []string{
		``, `{`, `garbage`, `{"ts":"2026-11-26T00:37:40.123456789Z","service":"db"`,
		`{"ts":"2026-13-26T00:37:40.123456789Z","service":"db","stream":"stdout","level":"info","msg":""}`,
		`{"ts":"2026-11-31T00:37:40.123456789Z","service":"db","stream":"stdout","level":"info","msg":""}`,
		`{"service":"db","msg":"no ts"}`,
		`{"ts":"2026-11-26T00:37:40.123456789Z","msg":"!!","b64":true}`,
	} {
		if d.decode([]byte(bad), &r) {
			t.Errorf("decoded %q", bad)
		}
	}
}

func TestQuotedMsgMatchesTheSimpleEncoder(t *testing.T) {
	// Every byte value at every position of an 8-byte word and around it.
	for c := range 256 {
		for pos := range 19 {
			m := bytes.Repeat([]byte{'a'}, 19)
			m[pos] = byte(c)
			if !utf8.Valid(m) {
				continue
			}
			if got, want := appendQuotedMsg(nil, m), appendQuoted(nil, m); !bytes.Equal(got, want) {
				t.Fatalf("byte %#x at %d: %q, want %q", c, pos, got, want)
			}
		}
	}
}
