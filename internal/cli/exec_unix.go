//go:build unix

package cli

import (
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/pm2dock/pm2dock/internal/containerexec"
)

// execTerminal wires the local terminal (tty: raw mode, its size, SIGWINCH)
// or the signals to send on (not tty) into o, and returns what undoes it.
// A signal is sent on only to a pid this machine's /proc shows inside the
// container (cid in its cgroup): an engine in a VM (Docker Desktop, a Podman
// machine) reports pids of the VM, which name other processes here.
func execTerminal(f *Factory, o *containerexec.Options, tty, local bool, cid string) func() {
	if tty {
		o.TTY = true
		in, out := int(os.Stdin.Fd()), int(os.Stdout.Fd())
		o.Size = func() (uint, uint) {
			w, h, err := term.GetSize(out)
			if err != nil {
				return 24, 80
			}
			return uint(h), uint(w)
		}
		winch := make(chan os.Signal, 1)
		resized := make(chan struct{}, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		go func() {
			for range winch {
				select {
				case resized <- struct{}{}:
				default:
				}
			}
		}()
		o.Resized = resized
		old, err := term.MakeRaw(in)
		return func() {
			signal.Stop(winch)
			close(winch)
			if err == nil {
				term.Restore(in, old)
			}
		}
	}
	if !local || runtime.GOOS != "linux" {
		return func() {}
	}
	sigs := make(chan os.Signal, 4)
	fwd := make(chan syscall.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	go func() {
		for s := range sigs {
			fwd <- s.(syscall.Signal)
		}
	}()
	o.Signals = fwd
	o.Kill = func(pid int, sig syscall.Signal) error {
		cg, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
		if err != nil || !strings.Contains(string(cg), cid) {
			return syscall.ESRCH
		}
		return syscall.Kill(pid, sig)
	}
	return func() { signal.Stop(sigs); close(sigs) }
}
