package logstore

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
	"unicode/utf8"
)

// tsLen is the width of a stored timestamp: 2026-11-26T00:37:40.123456789Z.
const tsLen = len("2006-01-02T15:04:05.000000000Z")

// appendRecord appends the fixed record shape by hand: encoding/json would
// allocate per record and could not express the b64 escape. Keys are always in
// this order, which is what lets readers parse ts from a fixed offset.
func appendRecord(dst []byte, r *Record) []byte {
	dst = append(dst, `{"ts":"`...)
	dst = appendTS(dst, r.TS)
	dst = append(dst, `","service":`...)
	dst = appendField(dst, r.Service)
	dst = append(dst, `,"stream":`...)
	dst = appendField(dst, r.Stream)
	dst = append(dst, `,"level":"`...)
	if r.Level.valid() {
		dst = append(dst, levelNames[r.Level]...)
	}
	dst = append(dst, `","msg":`...)
	if utf8.Valid(r.Msg) {
		dst = appendQuotedMsg(dst, r.Msg)
		return append(dst, '}')
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, r.Msg)
	return append(dst, `","b64":true}`...)
}

// appendTS writes t in UTC with exactly nine fractional digits, so every
// stored timestamp has the same width and sorts as text. Years outside
// 0000–9999 cannot be written that way; Append refuses them, and for other
// callers they fall back to time's own RFC 3339 form.
func appendTS(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	h, mi, s := t.Clock()
	dst = appendDigits(dst, y, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, h, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, s, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond(), 9)
	return append(dst, 'Z')
}

func appendDigits(dst []byte, v, width int) []byte {
	n := len(dst) + width
	dst = append(dst, "000000000"[:width]...)
	for i := n - 1; v > 0 && i >= n-width; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
	return dst
}

// appendField quotes a short text field; invalid UTF-8 there (never written by
// the shim) becomes U+FFFD as encoding/json would do.
func appendField(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return appendQuoted(dst, s)
}

const hexDigits = "0123456789abcdef"

// appendQuoted writes valid UTF-8 as a JSON string, escaping only what JSON
// requires: the quote, the backslash and control characters below U+0020.
func appendQuoted[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			dst = appendEscape(append(dst, s[start:i]...), c)
			start = i + 1
		}
	}
	return append(append(dst, s[start:]...), '"')
}

// appendQuotedMsg is appendQuoted for messages, which are most of what the
// store writes: it skips eight bytes at a time while none needs escaping.
func appendQuotedMsg(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && !needsEscape(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
			continue
		}
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			dst = appendEscape(append(dst, s[start:i]...), c)
			start = i + 1
		}
		i++
	}
	return append(append(dst, s[start:]...), '"')
}

func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// needsEscape reports whether any of the 8 bytes in x is below 0x20, '"' or
// '\\', with the "has less than" and "has zero byte" bit tricks (exact as a
// yes/no answer).
func needsEscape(x uint64) bool {
	q, b := x^(lsb*'"'), x^(lsb*'\\')
	return (x-lsb*0x20)&^x&msb|(q-lsb)&^q&msb|(b-lsb)&^b&msb != 0
}
