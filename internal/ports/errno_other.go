//go:build !windows

package ports

import (
	"errors"
	"syscall"
)

func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

// isPrivilegeDenied reports a bind refused to a user without root: ports below
// 1024 on Linux (unless net.ipv4.ip_unprivileged_port_start says otherwise) and
// on macOS for a specific address.
func isPrivilegeDenied(err error) bool { return errors.Is(err, syscall.EACCES) }
