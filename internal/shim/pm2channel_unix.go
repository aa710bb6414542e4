//go:build unix

package shim

import (
	"os"
	"strconv"
	"syscall"
)

// OpenPM2Channel takes PM2's IPC channel from the environment, if PM2 gave
// one, and hides it from every child: NODE_CHANNEL_FD (and its serialization
// mode) leave the environment and the fd is closed on exec, so neither
// `docker compose` nor anything else the shim runs can write to PM2. Call it
// before anything copies the environment.
func OpenPM2Channel() *PM2Channel {
	v := os.Getenv("NODE_CHANNEL_FD")
	os.Unsetenv("NODE_CHANNEL_FD")
	os.Unsetenv("NODE_CHANNEL_SERIALIZATION_MODE")
	fd, err := strconv.Atoi(v)
	if v == "" || err != nil || fd < 3 {
		return nil
	}
	syscall.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), "pm2-ipc")
	if f == nil {
		return nil
	}
	return &PM2Channel{w: f}
}
