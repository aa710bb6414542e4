package logstore

import (
	"fmt"
	"strings"
	"time"
)

// Level is the severity of a record. Levels are ordered, so a minimum level is
// a comparison: LevelDebug < LevelInfo < LevelWarn < LevelError < LevelFatal.
// The zero Level means "not classified": Append classifies such a record, and
// as QueryOptions.MinLevel it means no filter.
type Level int8

// The five levels (docs/contracts.md#log-records).
const (
	LevelDebug Level = iota + 1
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
)

var levelNames = [...]string{"", "debug", "info", "warn", "error", "fatal"}

func (l Level) String() string {
	if l.valid() {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", int8(l))
}

func (l Level) valid() bool { return l >= LevelDebug && l <= LevelFatal }

// ParseLevel reads a level as given to `pm2dock logs --level`: debug, info,
// warn, error or fatal, case-insensitive, with the aliases trace (debug),
// warning (warn), err (error) and panic (fatal).
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug", "trace":
		return LevelDebug, nil
	case "info":
		return LevelInfo, nil
	case "warn", "warning":
		return LevelWarn, nil
	case "error", "err":
		return LevelError, nil
	case "fatal", "panic":
		return LevelFatal, nil
	}
	return 0, fmt.Errorf("%w %q: want debug, info, warn, error or fatal", ErrInvalidLevel, s)
}

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) {
	if !l.valid() {
		return nil, fmt.Errorf("%w: %d", ErrInvalidLevel, int8(l))
	}
	return []byte(levelNames[l]), nil
}

// UnmarshalText accepts what ParseLevel accepts.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err == nil {
		*l = v
	}
	return err
}

// The two streams of a container.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
)

// MaxMsgSize is the longest message Append stores (16 MiB). Longer lines are
// refused with ErrRecordTooLarge; the shim decides whether to cut them.
const MaxMsgSize = 16 << 20

// Record is one log line of a container as the store keeps it.
//
// Msg holds the line's bytes exactly as the container wrote them, without the
// line's own newline; it need not be UTF-8. A Record returned by an Iterator
// shares Msg with the iterator's buffers until the next call to Next: Clone it
// to keep it longer.
type Record struct {
	TS      time.Time // the engine's timestamp: when the container wrote the line
	Service string    // the pm2dock service (profile key), e.g. "db"
	Stream  string    // StreamStdout or StreamStderr
	Level   Level
	Msg     []byte
}

// Clone returns a copy of r that owns its message.
func (r Record) Clone() Record {
	r.Msg = append([]byte(nil), r.Msg...)
	return r
}

// AppendJSON appends r in the store's JSON shape (see the package doc), without
// a trailing newline. It is what `pm2dock logs --json` prints.
func (r Record) AppendJSON(dst []byte) []byte {
	return appendRecord(dst, &r)
}

// MarshalJSON encodes r as AppendJSON does.
func (r Record) MarshalJSON() ([]byte, error) {
	return appendRecord(nil, &r), nil
}

// UnmarshalJSON decodes one record in the store's JSON shape.
func (r *Record) UnmarshalJSON(b []byte) error {
	var d decoder
	var rec Record
	if !d.decode(b, &rec) {
		return fmt.Errorf("%w: cannot decode %.40q", ErrInvalidRecord, b)
	}
	*r = rec.Clone()
	return nil
}
