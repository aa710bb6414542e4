package render

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// LogLine is a stored log line (a record of docs/contracts.md#log-records)
// as its text form shows it.
type LogLine struct {
	TS                     time.Time
	Service, Stream, Level string
	Msg                    []byte
}

// AppendLogLine formats the text line of docs/contracts.md#log-records;
// invalid UTF-8 and control bytes are escaped so a terminal shows exactly
// what was stored.
func AppendLogLine(b []byte, st *Stamper, r LogLine) []byte {
	b = st.Append(b, r.TS)
	b = append(b, ' ')
	b = append(b, r.Service...)
	b = append(b, ' ')
	b = append(b, r.Stream...)
	b = append(b, ' ')
	b = append(b, upper(r.Level)...)
	b = append(b, ' ')
	if printable(r.Msg) {
		return append(b, r.Msg...)
	}
	for m := r.Msg; len(m) > 0; {
		c, size := utf8.DecodeRune(m)
		switch {
		case c == utf8.RuneError && size <= 1, c < 0x20 && c != '\t', c == 0x7f:
			b = append(b, `\x`...)
			b = append(b, hex2(m[0])...)
		default:
			b = append(b, m[:size]...)
		}
		m = m[size:]
	}
	return b
}

// Stamper writes record times as 2006-01-02T15:04:05.000Z (UTC), formatting
// the date and clock once per second: records come in time order, and the
// general formatter was a third of the cost of printing a window.
type Stamper struct {
	sec    int64
	prefix []byte // "2006-01-02T15:04:05." of sec
}

func (s *Stamper) Append(b []byte, t time.Time) []byte {
	t = t.UTC()
	if sec := t.Unix(); sec != s.sec || s.prefix == nil {
		s.sec = sec
		s.prefix = t.AppendFormat(s.prefix[:0], "2006-01-02T15:04:05.")
	}
	ms := t.Nanosecond() / 1e6
	b = append(b, s.prefix...)
	return append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

// printable reports whether msg is plain printable ASCII (the common case),
// which needs no escaping.
func printable(msg []byte) bool {
	for _, c := range msg {
		if c < 0x20 && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}

func hex2(c byte) string {
	s := strconv.FormatUint(uint64(c), 16)
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
