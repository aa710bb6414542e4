//go:build !unix

package rpc

import (
	"context"
	"fmt"
	"net"
	"runtime"
)

// dialSocket is not implemented off unix: on Windows PM2 listens on the named
// pipe \\.\pipe\rpc.sock, which the standard library cannot dial.
func dialSocket(ctx context.Context, path string) (net.Conn, error) {
	return nil, fmt.Errorf("dial pm2 rpc %s on %s: %w", path, runtime.GOOS, ErrUnsupported)
}
