package logstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// tsPrefix starts every record the writer produces; the timestamp follows at
// a fixed offset, so seeking reads a timestamp without decoding the record.
const tsPrefix = `{"ts":"`

// decoder turns stored lines back into records. The fast path reads exactly
// the shape appendRecord writes without allocating; anything else (a line
// edited by hand, keys reordered) goes through encoding/json.
type decoder struct {
	service string // the folder's service: decoded names equal to it are not allocated
	buf     []byte // scratch for unescaped or base64 messages
}

// parseTSPrefix reads the timestamp of a line in the writer's shape.
func parseTSPrefix(line []byte) (time.Time, bool) {
	n := len(tsPrefix)
	if len(line) < n+tsLen+1 || string(line[:n]) != tsPrefix || line[n+tsLen] != '"' {
		return time.Time{}, false
	}
	return parseTS(line[n : n+tsLen])
}

// parseTS reads 2026-11-26T00:37:40.123456789Z, exactly tsLen bytes.
func parseTS(b []byte) (time.Time, bool) {
	if len(b) != tsLen || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' ||
		b[16] != ':' || b[19] != '.' || b[29] != 'Z' {
		return time.Time{}, false
	}
	y, mo, d := num(b[0:4]), num(b[5:7]), num(b[8:10])
	h, mi, s, ns := num(b[11:13]), num(b[14:16]), num(b[17:19]), num(b[20:29])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
		s < 0 || s > 59 || ns < 0 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	if t.Day() != d { // 31 November and the like
		return time.Time{}, false
	}
	return t, true
}

// num reads unsigned decimal digits; -1 if b holds anything else.
func num(b []byte) int {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// ts returns the timestamp of a line, decoding it fully only when the line is
// not in the writer's shape.
func (d *decoder) ts(line []byte) (time.Time, bool) {
	if t, ok := parseTSPrefix(line); ok {
		return t, true
	}
	var r Record
	if d.decodeSlow(line, &r) {
		return r.TS, true
	}
	return time.Time{}, false
}

// decode fills r from one stored line (without its newline). r.Msg may share
// memory with line or with d's scratch buffer.
func (d *decoder) decode(line []byte, r *Record) bool {
	return d.decodeFast(line, r) || d.decodeSlow(line, r)
}

func (d *decoder) decodeFast(line []byte, r *Record) bool {
	ts, ok := parseTSPrefix(line)
	if !ok {
		return false
	}
	p := line[len(tsPrefix)+tsLen+1:]
	var svc, stream, lvl, msg []byte
	var esc1, esc2, esc3, escMsg bool
	if p, ok = cut(p, `,"service":`); ok {
		svc, p, esc1, ok = scanString(p)
	}
	if p, ok = cutIf(ok, p, `,"stream":`); ok {
		stream, p, esc2, ok = scanString(p)
	}
	if p, ok = cutIf(ok, p, `,"level":`); ok {
		lvl, p, esc3, ok = scanString(p)
	}
	if p, ok = cutIf(ok, p, `,"msg":`); ok {
		msg, p, escMsg, ok = scanString(p)
	}
	if !ok || esc1 || esc2 || esc3 {
		return false
	}
	b64 := string(p) == `,"b64":true}`
	if !b64 && string(p) != "}" || b64 && escMsg {
		return false
	}
	switch {
	case b64:
		var err error
		if d.buf, err = base64.StdEncoding.AppendDecode(d.buf[:0], msg); err != nil {
			return false
		}
		msg = d.buf
	case escMsg:
		if d.buf, ok = unquote(d.buf[:0], msg); !ok {
			return false
		}
		msg = d.buf
	}
	if r.Stream, ok = streamName(stream); !ok {
		return false
	}
	r.TS, r.Service, r.Msg = ts, d.serviceName(svc), msg
	r.Level = levelFromName(lvl)
	if r.Level == 0 {
		r.Level = Classify(r.Stream, r.Msg)
	}
	return true
}

func cut(p []byte, prefix string) ([]byte, bool) {
	if len(p) < len(prefix) || string(p[:len(prefix)]) != prefix {
		return p, false
	}
	return p[len(prefix):], true
}

func cutIf(ok bool, p []byte, prefix string) ([]byte, bool) {
	if !ok {
		return p, false
	}
	return cut(p, prefix)
}

// scanString splits a JSON string off the front of p: its raw contents, the
// rest after the closing quote, and whether the contents hold escapes.
func scanString(p []byte) (s, rest []byte, escaped, ok bool) {
	if len(p) == 0 || p[0] != '"' {
		return nil, p, false, false
	}
	p = p[1:]
	q := bytes.IndexByte(p, '"')
	if q < 0 {
		return nil, p, false, false
	}
	if bytes.IndexByte(p[:q], '\\') < 0 {
		return p[:q], p[q+1:], false, true
	}
	for {
		// A quote ends the string unless an odd run of backslashes escapes it.
		n := 0
		for n < q && p[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return p[:q], p[q+1:], true, true
		}
		next := bytes.IndexByte(p[q+1:], '"')
		if next < 0 {
			return nil, p, false, false
		}
		q += 1 + next
	}
}

// unquote appends the bytes a JSON string's raw contents stand for.
func unquote(dst, s []byte) ([]byte, bool) {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...), true
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		if len(s) < 2 {
			return dst, false
		}
		switch c := s[1]; c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n, ok := unquoteRune(s)
			if !ok {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
			s = s[n:]
			continue
		default:
			return dst, false
		}
		s = s[2:]
	}
	return dst, true
}

// unquoteRune reads \uXXXX, or a surrogate pair of two, from the front of s.
func unquoteRune(s []byte) (rune, int, bool) {
	r := hex4(s)
	if r < 0 {
		return 0, 0, false
	}
	if utf16.IsSurrogate(r) {
		if r2 := hex4(s[6:]); r2 >= 0 {
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				return pair, 12, true
			}
		}
		return utf8.RuneError, 6, true
	}
	return r, 6, true
}

// hex4 reads the XXXX of \uXXXX at the front of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

func (d *decoder) serviceName(b []byte) string {
	if string(b) == d.service {
		return d.service
	}
	return string(b)
}

// streamName is a record's stream: stdout or stderr, nothing else (a line
// with another is not a record, as the writer never stores one).
func streamName(b []byte) (string, bool) {
	switch string(b) {
	case StreamStdout:
		return StreamStdout, true
	case StreamStderr:
		return StreamStderr, true
	}
	return "", false
}

func levelFromName(b []byte) Level {
	for l := LevelDebug; l <= LevelFatal; l++ {
		if string(b) == levelNames[l] {
			return l
		}
	}
	return 0
}

// slowRecord is the record for encoding/json, for lines not in the writer's
// exact shape.
type slowRecord struct {
	TS      *string `json:"ts"`
	Service string  `json:"service"`
	Stream  string  `json:"stream"`
	Level   string  `json:"level"`
	Msg     *string `json:"msg"`
	B64     bool    `json:"b64"`
}

func (d *decoder) decodeSlow(line []byte, r *Record) bool {
	if t := bytes.TrimLeft(line, " \t\r"); len(t) == 0 || t[0] != '{' {
		return false
	}
	var s slowRecord
	if json.Unmarshal(line, &s) != nil || s.TS == nil || s.Msg == nil {
		return false
	}
	ts, err := time.Parse(time.RFC3339Nano, *s.TS)
	if err != nil {
		return false
	}
	msg := []byte(*s.Msg)
	if s.B64 {
		if msg, err = base64.StdEncoding.DecodeString(*s.Msg); err != nil {
			return false
		}
	}
	var ok bool
	if r.Stream, ok = streamName([]byte(s.Stream)); !ok {
		return false
	}
	r.TS, r.Service, r.Msg = ts.UTC(), s.Service, msg
	if r.Service == "" {
		r.Service = d.service
	}
	if r.Level = levelFromName([]byte(s.Level)); r.Level == 0 {
		r.Level = Classify(r.Stream, r.Msg)
	}
	return true
}
