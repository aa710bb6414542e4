package rpc

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Sentinel errors. Test for them with errors.Is or the IsX helpers; the errors
// returned by this package wrap them with the action that failed.
var (
	// ErrBadVersion means a frame's first byte does not carry amp version 1.
	ErrBadVersion = errors.New("amp: bad protocol version")
	// ErrFrameTooLarge means a frame is bigger than the decoder's cap, or an
	// argument is bigger than a uint32 length can describe.
	ErrFrameTooLarge = errors.New("amp: frame too large")
	// ErrTooManyArgs means a frame would need more than 15 arguments.
	ErrTooManyArgs = errors.New("amp: too many arguments")
	// ErrNoArgs means a frame with no arguments was to be encoded; PM2's
	// stream parser cannot delimit one (see doc.go).
	ErrNoArgs = errors.New("amp: frame without arguments")
	// ErrMalformedJSON means a j: argument does not hold valid JSON.
	ErrMalformedJSON = errors.New("amp: malformed JSON argument")
	// ErrNotRunning means no PM2 daemon listens on $PM2_HOME/rpc.sock.
	ErrNotRunning = errors.New("pm2 daemon is not running")
	// ErrUnsupported means the platform has no client (Windows: PM2 listens on
	// a named pipe there).
	ErrUnsupported = errors.New("pm2 rpc is not supported on this platform")
	// ErrClosed means the client was closed, by Close, by a cancelled call, or
	// because the connection failed.
	ErrClosed = errors.New("pm2 rpc client closed")
	// ErrNotAllowed means a method outside the read-only allowlist was asked
	// for. It can only come from a bug in this package.
	ErrNotAllowed = errors.New("pm2 rpc method not allowed")
)

// IsNotRunning reports whether err means that no PM2 daemon was reachable.
func IsNotRunning(err error) bool { return errors.Is(err, ErrNotRunning) }

// IsUnsupported reports whether err means the platform has no RPC client.
func IsUnsupported(err error) bool { return errors.Is(err, ErrUnsupported) }

// RemoteError is an error reply from the daemon: `{"error": …}`. PM2 sends
// either a string, or an Error's message with its stack, or any JSON value.
type RemoteError struct {
	Method  string          // the method that was called
	Message string          // the error text, or the raw JSON when it is not a string
	Raw     json.RawMessage // the whole reply object
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("pm2 %s: %s", e.Method, e.Message)
}
