package ports

import (
	"errors"
	"syscall"
)

// Winsock reports bind failures with its own codes, not the POSIX-looking
// constants the syscall package invents for Windows.
const wsaeaddrinuse = syscall.Errno(10048)

func isAddrInUse(err error) bool { return errors.Is(err, wsaeaddrinuse) }

// isPrivilegeDenied is false: Windows has no privileged ports. Its WSAEACCES
// means an excluded port range, which the engine would hit too, so it stays a
// plain bind error.
func isPrivilegeDenied(error) bool { return false }
