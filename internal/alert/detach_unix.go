//go:build unix

package alert

import (
	"os/exec"
	"syscall"
)

// detach puts cmd in a session of its own, so it outlives the shim and PM2
// never signals it.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
