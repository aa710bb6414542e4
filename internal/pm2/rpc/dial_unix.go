//go:build unix

package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// dialSocket connects to PM2's unix socket. A missing socket file or a refused
// connection (a stale file after the daemon died) both mean no daemon.
func dialSocket(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			err = fmt.Errorf("%w: %w", ErrNotRunning, err)
		}
		return nil, fmt.Errorf("dial pm2 rpc: %w", err)
	}
	return conn, nil
}
