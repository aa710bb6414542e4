package logstore

import "bytes"

// Classify returns the level a container line states about itself, else the
// stream's default: info for stdout, warn for stderr (docs/contracts.md#log-records). In order:
//
//   - a JSON object: its "level", "lvl", "severity" or "log.level" key, as a
//     word ("error", "WARN") or a number (pino/bunyan 10–60, syslog 0–7);
//   - logfmt: a level=, lvl= or severity= field (quoted values are skipped,
//     so msg="set level=debug" does not count);
//   - a level word among the first four fields that are not timestamps, pids
//     or the like ("2026-11-26", "01:16:45.252", "[57]" are skipped). The
//     first such field may be in any case if followed by ':' or bracketed
//     ("error: …", "Error: …", "[warn] …"); later ones must be upper case
//     (PostgreSQL's "LOG:", "ERROR:"; zap's "\tERROR\t") or bracketed
//     (nginx's "[error]"). So "connection error occurred" and "retrying after
//     error: x" are not errors: a level word in the middle of a sentence is
//     not the line's level. klog/glog prefixes (E1126) and Go runtime crashes
//     ("panic:", "fatal error:") count too.
//
// Level words: trace, debug, debug1–5, verbose → debug; info, notice, LOG →
// info; warn, warning → warn; error, err, crit, critical, severe, dpanic →
// error; fatal, panic, alert, emerg → fatal.
//
// PostgreSQL's DETAIL:, HINT:, STATEMENT:, CONTEXT:, QUERY: and LOCATION:
// lines, and indented or blank lines (stack traces), continue the message
// before them. Classify, which sees one line, gives them the stream's default;
// a Classifier gives them the level of the line they continue.
func Classify(stream string, line []byte) Level {
	if l, _ := explicitLevel(line); l != 0 {
		return l
	}
	return streamDefault(stream)
}

// Classifier classifies the lines of one service in order, so continuation
// lines take the level of the message they belong to (a "STATEMENT:" after
// an "ERROR:" is an error). The shim keeps one per service. Not safe for
// concurrent use.
type Classifier struct {
	last [2]Level // per stream: stdout, stderr
}

// Classify is the package Classify, with continuation lines inheriting the
// level of the previous line of the same stream.
func (c *Classifier) Classify(stream string, line []byte) Level {
	l, cont := explicitLevel(line)
	last := &c.last[0]
	if stream == StreamStderr {
		last = &c.last[1]
	}
	switch {
	case l != 0:
		*last = l
	case cont && *last != 0:
		l = *last
	default:
		l = streamDefault(stream)
		*last = l
	}
	return l
}

func streamDefault(stream string) Level {
	if stream == StreamStderr {
		return LevelWarn
	}
	return LevelInfo
}

// explicitLevel returns the level the line states, and whether the line
// continues the previous one.
func explicitLevel(line []byte) (Level, bool) {
	t := trimBlank(line)
	indented := len(t) < len(line) || len(bytes.TrimSpace(t)) == 0
	if len(t) > 0 && t[0] == '{' {
		return jsonLevel(t), indented
	}
	if l := logfmtLevel(t); l != 0 {
		return l, false
	}
	l, cont := tokenLevel(t)
	return l, cont || l == 0 && indented
}

var levelWords = map[string]Level{
	"trace": LevelDebug, "debug": LevelDebug, "dbg": LevelDebug, "verbose": LevelDebug,
	"debug1": LevelDebug, "debug2": LevelDebug, "debug3": LevelDebug, "debug4": LevelDebug, "debug5": LevelDebug,
	"info": LevelInfo, "information": LevelInfo, "notice": LevelInfo,
	"warn": LevelWarn, "warning": LevelWarn,
	"error": LevelError, "err": LevelError, "crit": LevelError, "critical": LevelError,
	"severe": LevelError, "dpanic": LevelError,
	"fatal": LevelFatal, "panic": LevelFatal, "alert": LevelFatal, "emerg": LevelFatal, "emergency": LevelFatal,
}

// continuationWords are PostgreSQL's follow-up lines of a message.
var continuationWords = map[string]bool{
	"DETAIL": true, "HINT": true, "STATEMENT": true, "CONTEXT": true, "QUERY": true, "LOCATION": true,
}

// wordLevel looks a word up case-insensitively. "log" counts only as
// PostgreSQL's upper-case LOG, since "log" starts many ordinary sentences.
func wordLevel(w []byte) Level {
	var buf [12]byte
	if len(w) == 0 || len(w) > len(buf) {
		return 0
	}
	for i, c := range w {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	if string(w) == "LOG" {
		return LevelInfo
	}
	return levelWords[string(buf[:len(w)])]
}

// numericLevel maps pino/bunyan levels (10 trace … 60 fatal) and, below 8,
// syslog severities (0 emerg … 7 debug).
func numericLevel(n int) Level {
	switch {
	case n <= 1:
		return LevelFatal
	case n <= 3:
		return LevelError
	case n == 4:
		return LevelWarn
	case n <= 6:
		return LevelInfo
	case n < 30:
		return LevelDebug
	case n < 40:
		return LevelInfo
	case n < 50:
		return LevelWarn
	case n < 60:
		return LevelError
	}
	return LevelFatal
}
