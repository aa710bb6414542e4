//go:build unix

package alert

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup runs cmd in a process group of its own and makes the timeout kill
// the whole group: an alert script that forks (`curl … &`, a pipeline, a
// shell without exec) must not leave its children running when it is cut off.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != syscall.ESRCH {
			return err
		}
		return os.ErrProcessDone
	}
}
