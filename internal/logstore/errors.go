package logstore

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalidService: a service name that is not one safe path component.
	ErrInvalidService = errors.New("invalid service name")
	// ErrInvalidRecord: Append was given a record the store cannot hold
	// (no timestamp, unknown stream, another service's record).
	ErrInvalidRecord = errors.New("invalid log record")
	// ErrRecordTooLarge: the message is longer than MaxMsgSize.
	ErrRecordTooLarge = errors.New("log record too large")
	// ErrInvalidLevel: ParseLevel did not recognise the level.
	ErrInvalidLevel = errors.New("invalid level")
	// ErrClosed: the Writer was used after Close.
	ErrClosed = errors.New("log writer closed")
)

// IsDiskFull reports whether err (from Append, Flush or Close) means the
// volume holding the store is full or over quota. The shim keeps supervising,
// shows the error in status and keeps calling Append: writing resumes by
// itself once space returns.
func IsDiskFull(err error) bool {
	for _, e := range diskFullErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
