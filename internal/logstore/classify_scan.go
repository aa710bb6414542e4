package logstore

import "bytes"

var jsonLevelKeys = [...]string{`"level"`, `"lvl"`, `"severity"`, `"log.level"`}

// jsonLevel finds a level key in a JSON line without decoding it: a key
// inside an escaped string (\"level\") cannot match, since its quote is
// preceded by a backslash.
func jsonLevel(t []byte) Level {
	for _, key := range jsonLevelKeys {
		for p := t; ; {
			i := bytes.Index(p, []byte(key))
			if i < 0 {
				break
			}
			p = p[i+len(key):]
			v := trimBlank(p)
			if len(v) == 0 || v[0] != ':' {
				continue
			}
			if l := jsonValueLevel(trimBlank(v[1:])); l != 0 {
				return l
			}
		}
	}
	return 0
}

func jsonValueLevel(v []byte) Level {
	if len(v) > 0 && v[0] == '"' {
		if end := bytes.IndexByte(v[1:], '"'); end >= 0 {
			return wordLevel(v[1 : 1+end])
		}
		return 0
	}
	n, digits := 0, 0
	for ; digits < len(v) && digits < 4 && v[digits] >= '0' && v[digits] <= '9'; digits++ {
		n = n*10 + int(v[digits]-'0')
	}
	if digits == 0 || digits == 4 {
		return 0
	}
	return numericLevel(n)
}

// logfmtLevel walks key=value fields, skipping quoted values whole.
func logfmtLevel(t []byte) Level {
	for fields := 0; len(t) > 0 && fields < 32; fields++ {
		t = trimBlank(t)
		eq := 0
		for eq < len(t) && t[eq] != '=' && !isBlank(t[eq]) {
			eq++
		}
		if eq == len(t) {
			return 0
		}
		key := t[:eq]
		if t[eq] != '=' {
			t = t[eq:]
			continue
		}
		val, rest := logfmtValue(t[eq+1:])
		t = rest
		switch string(key) {
		case "level", "lvl", "severity":
			return wordLevel(val)
		}
	}
	return 0
}

func logfmtValue(t []byte) (val, rest []byte) {
	if len(t) > 0 && t[0] == '"' {
		for i := 1; i < len(t); i++ {
			switch t[i] {
			case '\\':
				i++
			case '"':
				return t[1:i], t[i+1:]
			}
		}
		return t[1:], nil
	}
	end := indexBlank(t)
	return t[:end], t[end:]
}

const (
	tokenFields = 4   // level words count only among the first fields
	tokenBytes  = 256 // … within the first bytes of the line
)

// tokenLevel looks for a level word among the first fields of a text line.
func tokenLevel(t []byte) (Level, bool) {
	if len(t) > tokenBytes {
		t = t[:tokenBytes]
	}
	for counted := 0; len(t) > 0 && counted < tokenFields; {
		var f []byte
		f, t = nextField(t)
		f, bracketed := stripDecoration(f)
		if len(f) == 0 || f[0] >= '0' && f[0] <= '9' || f[0] == '+' || f[0] == '#' {
			continue // timestamps, pids, thread ids
		}
		counted++
		w, next := leadingWord(f)
		if counted == 1 {
			if l := firstFieldLevel(w, next, t); l != 0 {
				return l, false
			}
		}
		upper := isUpper(w)
		if upper && next == ':' && continuationWords[string(w)] {
			return 0, true
		}
		if !upper && !bracketed && (counted > 1 || next != ':') || !wordEnds(next) {
			continue
		}
		if l := wordLevel(w); l != 0 {
			return l, false
		}
	}
	return 0, false
}

// firstFieldLevel recognises what only the first field says: klog's E1126,
// Go's "fatal error:", and exception names such as "TypeError:".
func firstFieldLevel(w []byte, next byte, rest []byte) Level {
	if len(w) == 5 && num(w[1:]) >= 0 && len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		switch w[0] {
		case 'I':
			return LevelInfo
		case 'W':
			return LevelWarn
		case 'E':
			return LevelError
		case 'F':
			return LevelFatal
		}
	}
	if string(w) == "fatal" && next == 0 && bytes.HasPrefix(rest, []byte("error:")) {
		return LevelFatal
	}
	if next == ':' && len(w) > 5 && (bytes.HasSuffix(w, []byte("Error")) || bytes.HasSuffix(w, []byte("Exception"))) {
		return LevelError
	}
	if string(w) == "Traceback" {
		return LevelError
	}
	return 0
}

func nextField(t []byte) (field, rest []byte) {
	t = trimBlank(t)
	end := indexBlank(t)
	return t[:end], trimBlank(t[end:])
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func trimBlank(t []byte) []byte {
	for len(t) > 0 && isBlank(t[0]) {
		t = t[1:]
	}
	return t
}

// indexBlank returns the index of the first space or tab, or len(t).
func indexBlank(t []byte) int {
	i := 0
	for i < len(t) && !isBlank(t[i]) {
		i++
	}
	return i
}

// stripDecoration removes leading brackets and ANSI colour sequences.
func stripDecoration(f []byte) ([]byte, bool) {
	bracketed := false
	for len(f) > 0 {
		switch {
		case f[0] == '[' || f[0] == '<' || f[0] == '(':
			f, bracketed = f[1:], true
		case f[0] == 0x1b && len(f) > 1 && f[1] == '[':
			i := 2
			for i < len(f) && (f[i] < 0x40 || f[i] > 0x7e) {
				i++
			}
			f = f[min(i+1, len(f)):]
		default:
			return f, bracketed
		}
	}
	return f, bracketed
}

// leadingWord splits [A-Za-z][A-Za-z0-9]* off f and returns the byte after
// it (0 at the end of the field).
func leadingWord(f []byte) ([]byte, byte) {
	i := 0
	for i < len(f) && (f[i]|0x20 >= 'a' && f[i]|0x20 <= 'z' || i > 0 && f[i] >= '0' && f[i] <= '9') {
		i++
	}
	if i == len(f) {
		return f, 0
	}
	return f[:i], f[i]
}

// wordEnds reports whether a level word may be followed by c: "ERROR:",
// "[warn]", "ERR!" yes; "error-prone", "errors" no.
func wordEnds(c byte) bool {
	switch c {
	case 0, ':', ']', '>', ')', '|', ',', '!', '\r', 0x1b:
		return true
	}
	return false
}

func isUpper(w []byte) bool {
	if len(w) < 2 {
		return false
	}
	for _, c := range w {
		if c >= 'a' && c <= 'z' {
			return false
		}
	}
	return true
}
